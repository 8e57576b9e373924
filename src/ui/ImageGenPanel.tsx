// The image tab's generator: a prompt for the embedded emoji model (a pixel-space UNet trained
// here), steps, guidance and seed; a preview of the predicted image after every step, ms per step,
// and Cancel between steps.
import { useEffect, useRef } from 'react';
import type { ImageRgba } from '../engine/protocol';
import { useSession } from '../store';
import { drawImage } from './image-io';

function Big({ img, testId }: { img: ImageRgba; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawImage(ref.current, img);
  }, [img]);
  return <canvas ref={ref} className="pixels big" data-testid={testId} />;
}

export function ImageGenPanel() {
  const g = useSession((s) => s.image.gen);
  const ready = useSession((s) => s.status === 'ready');
  const set = useSession((s) => s.setImageGen);
  const run = useSession((s) => s.generateImage);
  const cancel = useSession((s) => s.cancelImage);
  const mean = g.stepMs.length ? g.stepMs.reduce((a, b) => a + b, 0) / g.stepMs.length : null;
  return (
    <section className="panel" data-testid="image-gen" aria-label="Generate an image">
      <h2>Generate an image</h2>
      <p className="muted small">
        The embedded model: a 1.5M-parameter pixel-space UNet (resnet blocks, self/cross attention, timestep embedding) trained here on 32×32 Twemoji,
        conditioned on emoji names. DDIM with classifier-free guidance.
      </p>
      <div className="row">
        <input className="grow" value={g.prompt} onChange={(e) => set({ prompt: e.target.value })} aria-label="Image prompt" data-testid="image-prompt" placeholder="e.g. smiling face, red heart, cat" />
        {g.running ? (
          <button onClick={cancel} data-testid="image-gen-cancel">
            Cancel
          </button>
        ) : (
          <button disabled={!ready} onClick={() => void run()} data-testid="image-generate">
            Generate
          </button>
        )}
      </div>
      <div className="controls">
        <label>
          steps
          <input type="number" min={1} max={200} value={g.steps} onChange={(e) => set({ steps: Math.max(1, Math.floor(Number(e.target.value) || 1)) })} aria-label="steps" />
        </label>
        <label>
          guidance
          <input type="number" min={0} max={30} step={0.5} value={g.guidance} onChange={(e) => set({ guidance: Number(e.target.value) })} aria-label="guidance" />
        </label>
        <label>
          seed
          <input type="number" min={0} value={g.seed} onChange={(e) => set({ seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} aria-label="image seed" />
        </label>
      </div>
      <div className="row">
        {g.preview && <Big img={g.preview} testId={g.result ? 'image-final' : 'image-preview'} />}
        <div className="muted small" data-testid="image-gen-stats">
          {g.running && `step ${g.step} of ${g.total || g.steps}${g.step === 0 ? ' (loading the model and compiling the first time)' : ''}`}
          {!g.running && g.result && `${g.result.stepMs.length} steps`}
          {mean !== null && <> · {mean.toFixed(0)} ms/step</>}
          {g.result && g.result.loadMs > 0 && <> · model loaded in {(g.result.loadMs / 1000).toFixed(1)} s</>}
        </div>
      </div>
    </section>
  );
}
