// The image tab's generator: the embedded emoji model (a pixel-space UNet trained here) or a Stable
// Diffusion pipeline from the hub; prompt, steps, guidance and seed; a preview after every step,
// download progress of a hub model, ms per step, text/decode time, weight memory, and Cancel
// between steps.
import { useEffect, useRef } from 'react';
import type { ImageRgba } from '../engine/protocol';
import { useSession } from '../store';
import { fmtBytes } from '../util/format';
import { drawImage } from './image-io';
import { ImageShareButton, SharedImage } from './ImageShare';
import { SdSettings } from './SdSettings';

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
      <SharedImage />
      <div className="row">
        <label>
          model{' '}
          <select value={g.source} disabled={g.running} onChange={(e) => set({ source: e.target.value as 'emoji' | 'sd', ...(e.target.value === 'sd' ? { steps: 1, guidance: 0, prompt: 'a photo of a red fox in the snow' } : { steps: 20, guidance: 3, prompt: 'smiling face' }) })} aria-label="image model">
            <option value="emoji">Embedded emoji model (offline)</option>
            <option value="sd">Stable Diffusion from the hub (diffusers)</option>
          </select>
        </label>
      </div>
      {g.source === 'emoji' ? (
        <p className="muted small">
          The embedded model: a 1.5M-parameter pixel-space UNet (resnet blocks, self/cross attention, timestep embedding) trained here on 32×32 Twemoji,
          conditioned on emoji names. DDIM with classifier-free guidance.
        </p>
      ) : (
        <SdSettings g={g} set={set} disabled={g.running} />
      )}
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
          {g.running && `step ${g.step} of ${g.total || g.steps}${g.step === 0 && !g.loading ? ' (loading the model and compiling the first time)' : ''}`}
          {g.running && g.loading && (
            <span data-testid="image-loading">
              {' '}
              · {g.loading.stage} {fmtBytes(g.loading.done)}
              {g.loading.total > 0 && ` of ${fmtBytes(g.loading.total)}`}
            </span>
          )}
          {!g.running && g.result && `${g.result.stepMs.length} steps (${g.result.sampler}, ${g.result.model})`}
          {mean !== null && <> · {mean.toFixed(0)} ms/step</>}
          {g.result?.textMs !== undefined && <> · text encoder {g.result.textMs.toFixed(0)} ms</>}
          {g.result?.decodeMs !== undefined && <> · decode {g.result.decodeMs.toFixed(0)} ms</>}
          {g.result && <> · weights {fmtBytes(g.result.weightBytes)}</>}
          {g.result && g.result.loadMs > 0 && <> · model loaded in {(g.result.loadMs / 1000).toFixed(1)} s</>}
          {g.preview && g.previewApproximate && !g.result && <> · preview: latent channels (load TAESD for decoded previews)</>}
          {g.result?.note && <div>{g.result.note}</div>}
        </div>
      </div>
      <ImageShareButton />
    </section>
  );
}
