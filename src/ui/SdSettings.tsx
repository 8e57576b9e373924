// Settings of a Stable Diffusion pipeline from the hub (diffusers layout): the repository, an optional
// TAESD for per-step previews and fast decoding, size, negative prompt, sampler, decoder and how the
// weights sit on the GPU. What the repo or the device cannot do (a size past the device's buffer
// limits, a size the UNet cannot halve evenly) is refused by the worker with the reason.
import type { ImageSampler } from '../engine/protocol';
import type { ImageGenState } from '../store/images';

const SAMPLERS: [ImageSampler | 'auto', string][] = [
  ['auto', "the repo's scheduler"],
  ['euler', 'Euler'],
  ['euler_ancestral', 'Euler ancestral'],
  ['ddim', 'DDIM'],
  ['lcm', 'LCM'],
];

export function SdSettings({ g, set, disabled }: { g: ImageGenState; set: (p: Partial<ImageGenState>) => void; disabled: boolean }) {
  return (
    <div className="controls" data-testid="sd-settings">
      <label className="grow">
        repository
        <input value={g.sdRepo} disabled={disabled} onChange={(e) => set({ sdRepo: e.target.value })} aria-label="SD repository" size={26} placeholder="owner/name, e.g. stabilityai/sd-turbo" />
      </label>
      <label className="grow">
        TAESD (previews)
        <input value={g.taesdRepo} disabled={disabled} onChange={(e) => set({ taesdRepo: e.target.value })} aria-label="TAESD repository" size={22} placeholder="madebyollin/taesd, or empty" />
      </label>
      <label>
        width
        <input
          type="number"
          min={64}
          max={8192}
          step={64}
          value={g.width}
          disabled={disabled}
          onChange={(e) => set({ width: Math.max(0, Math.floor(Number(e.target.value) || 0)) })}
          aria-label="image width"
        />
      </label>
      <label>
        height
        <input
          type="number"
          min={64}
          max={8192}
          step={64}
          value={g.height}
          disabled={disabled}
          onChange={(e) => set({ height: Math.max(0, Math.floor(Number(e.target.value) || 0)) })}
          aria-label="image height"
        />
      </label>
      <label>
        sampler
        <select value={g.sampler} disabled={disabled} onChange={(e) => set({ sampler: e.target.value as ImageGenState['sampler'] })} aria-label="sampler">
          {SAMPLERS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        decoder
        <select value={g.decoder} disabled={disabled} onChange={(e) => set({ decoder: e.target.value as ImageGenState['decoder'] })} aria-label="decoder">
          <option value="vae">VAE (full quality)</option>
          <option value="taesd">TAESD (fast)</option>
        </select>
      </label>
      <label>
        weights
        <select value={g.weights} disabled={disabled} onChange={(e) => set({ weights: e.target.value as ImageGenState['weights'] })} aria-label="weight precision">
          <option value="f16">f16 (half the GPU memory)</option>
          <option value="f32">f32</option>
          <option value="i8">int8 (a quarter of f32, for small GPUs)</option>
        </select>
      </label>
      <label>
        <input type="checkbox" checked={g.fp16} disabled={disabled} onChange={(e) => set({ fp16: e.target.checked })} aria-label="download fp16 files" /> download .fp16 files
      </label>
      <label className="grow">
        negative prompt
        <input value={g.negativePrompt} disabled={disabled} onChange={(e) => set({ negativePrompt: e.target.value })} aria-label="negative prompt" size={30} placeholder="used when guidance > 1" />
      </label>
    </div>
  );
}
