// The denoising loop shared by every UNet pipeline: seeded initial noise scaled by the sampler, one
// UNet forward per step (a batch of [unconditional; conditional] when guidance > 1, as diffusers
// does classifier-free guidance; the conditional alone otherwise), the sampler's update, and the
// predicted clean sample handed out as the step's preview. Cancels between steps.
import { throwIfAborted } from '../../util/errors';
import { noiseStream } from './noise';
import { guide, makeSampler, type SchedulerConfig } from './scheduler';
import type { Unet } from './unet';

export interface DenoiseOptions {
  steps: number;
  guidance: number;
  scheduler: SchedulerConfig;
  /** Seeds the initial noise and every later draw (ancestral and LCM steps). */
  seed?: number;
  /** Initial noise [C, H, W] instead of the seed's first draw (fixtures). */
  noise?: Float32Array;
  signal?: AbortSignal;
  /** Called after each step with the predicted clean sample; awaited (a preview decode may run here). */
  onStep?: (i: number, total: number, preview: Float32Array, ms: number) => void | Promise<void>;
}

/**
 * Sample [C, H, W] (C = the UNet's in_channels) for one prompt. `ctxNull`/`ctxCond` are the encoder
 * hidden states [S, D] of the empty and the given prompt.
 */
export async function denoise(unet: Unet, H: number, W: number, ctxNull: Float32Array, ctxCond: Float32Array, S: number, o: DenoiseOptions): Promise<{ sample: Float32Array; stepMs: number[]; timesteps: number[] }> {
  const n = unet.cfg.inChannels * H * W;
  const draw = noiseStream(o.seed ?? 0);
  const sampler = makeSampler(o.scheduler, o.steps);
  const init = o.noise ?? draw(n);
  const x = Float32Array.from(init, (v) => v * sampler.initNoiseSigma);
  const cfg = o.guidance > 1;
  const ctx = cfg ? new Float32Array(ctxNull.length + ctxCond.length) : ctxCond;
  if (cfg) {
    ctx.set(ctxNull, 0);
    ctx.set(ctxCond, ctxNull.length);
  }
  const stepMs: number[] = [];
  const ts = sampler.timesteps;
  for (let i = 0; i < ts.length; i++) {
    throwIfAborted(o.signal, 'Generating the image');
    const t0 = performance.now();
    const input = sampler.modelInput(x, i);
    let out: Float32Array;
    if (cfg) {
      const batch = new Float32Array(2 * n);
      batch.set(input, 0);
      batch.set(input, n);
      out = guide(await unet.forward(batch, 2, H, W, ts[i], ctx, S), o.guidance);
    } else {
      out = await unet.forward(input, 1, H, W, ts[i], ctx, S);
    }
    const x0 = sampler.step(i, x, out, draw);
    stepMs.push(performance.now() - t0);
    await o.onStep?.(i, ts.length, x0, stepMs[i]);
  }
  return { sample: x, stepMs, timesteps: ts };
}
