// The image tab. Now: "upscale an image": drop or pick an image (or use the sample), pick 2x/3x/4x,
// and esrgan-slim's real weights run on the playground's conv kernels; before and after side by side,
// with the time it took and a PNG download.
import { useEffect, useRef } from 'react';
import type { ImageRgba } from '../engine/protocol';
import { useSession } from '../store';
import { UPSCALER_BASE } from '../store/images';
import { decodeImage, downloadPng, drawImage } from './image-io';

function Canvas({ img, testId, label }: { img: ImageRgba; testId: string; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawImage(ref.current, img);
  }, [img]);
  return <canvas ref={ref} data-testid={testId} aria-label={label} className="pixels" />;
}

export function ImagePanel() {
  const image = useSession((s) => s.image);
  const ready = useSession((s) => s.status === 'ready');
  const setSource = useSession((s) => s.setUpscaleSource);
  const setScale = useSession((s) => s.setUpscaleScale);
  const upscale = useSession((s) => s.upscale);
  const cancel = useSession((s) => s.cancelUpscale);
  const report = useSession((s) => s.reportError);

  const take = async (blob: Blob, name: string) => {
    try {
      setSource(await decodeImage(blob), name);
    } catch (e) {
      report(new Error(`${name}: ${(e as Error).message}`));
    }
  };

  return (
    <section
      className="panel"
      data-testid="image-panel"
      aria-label="Upscale an image"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        const f = e.dataTransfer.files[0];
        if (!f || f.name.toLowerCase().endsWith('.gguf')) return;
        e.preventDefault();
        e.stopPropagation();
        void take(f, f.name);
      }}
    >
      <h2>Upscale an image</h2>
      <p className="muted small">
        ESRGAN-slim (a trained super-resolution network, ~230k parameters) on the playground&apos;s own conv kernels. Drop an image here, or pick one.
      </p>
      <div className="row">
        <label className="file button">
          Choose an image…
          <input
            type="file"
            accept="image/*"
            data-testid="image-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void take(f, f.name);
              e.target.value = '';
            }}
          />
        </label>
        <button
          data-testid="image-sample"
          onClick={async () => {
            const res = await fetch(new URL(`${UPSCALER_BASE}fixture.png`, document.baseURI));
            await take(await res.blob(), 'sample (esrgan-slim fixture.png)');
          }}
        >
          Use the sample image
        </button>
        <label>
          scale{' '}
          <select value={image.scale} onChange={(e) => setScale(Number(e.target.value) as 2 | 3 | 4)} data-testid="image-scale" aria-label="scale">
            <option value={2}>2x</option>
            <option value={3}>3x</option>
            <option value={4}>4x</option>
          </select>
        </label>
        {image.running ? (
          <button onClick={cancel} data-testid="image-cancel">
            Cancel
          </button>
        ) : (
          <button disabled={!ready || !image.source} onClick={() => void upscale()} data-testid="image-upscale">
            Upscale
          </button>
        )}
        {image.running && (
          <span className="muted" data-testid="image-progress">
            {image.progress ? `tile ${image.progress.done} of ${image.progress.total}` : 'loading the model and compiling…'}
          </span>
        )}
      </div>
      <div className="images">
        {image.source && (
          <figure>
            <Canvas img={image.source} testId="image-before" label="input image" />
            <figcaption className="muted small">
              {image.sourceName}: {image.source.width}×{image.source.height}
            </figcaption>
          </figure>
        )}
        {image.result && (
          <figure>
            <Canvas img={image.result.image} testId="image-after" label="upscaled image" />
            <figcaption className="muted small" data-testid="image-stats">
              {image.result.scale}x: {image.result.image.width}×{image.result.image.height} in {(image.result.ms / 1000).toFixed(1)} s ({image.result.tiles} tile
              {image.result.tiles === 1 ? '' : 's'}){' '}
              <button className="link" onClick={() => image.result && downloadPng(image.result.image, `upscaled-${image.result.scale}x.png`)} data-testid="image-download">
                download PNG
              </button>
            </figcaption>
          </figure>
        )}
      </div>
    </section>
  );
}
