// Kernel cases for the GPU timestep embedding against the float64 CPU one (diffusers' formula):
// Stable Diffusion's settings (dim 320, flip_sin_to_cos, shift 0), diffusers' defaults (shift 1),
// an odd dim (zero pad column), scale != 1, and timesteps from 0 to 999 and fractional ones.
// Tolerance: the kernel computes each argument t * freq in f32, as diffusers does, so it carries
// that rounding: a few ulps of the largest argument (~6e-5 rad per ulp at t = 999), plus exp's
// error on the frequency (a few ulps here; WGSL allows 3 + 2|x|, x up to ln(max_period) = 9.2).
// So atol = 1e-6 + 2^-21 * max |arg|, about 8 ulps of the largest argument (4.8e-4 at t = 999,
// 1.5e-6 at t = 1); measured worst 1.0e-4 at t = 999 (1.7 ulps), 1.2e-7 at t = 1.
// A swapped half, a wrong shift or period moves values by O(1).
import { checkOp, type KernelCase } from '../check/cases';
import { timestepEmbedding, timestepKernel, type TimestepEmbeddingOptions } from './timestep';

function tsCase(timesteps: number[], dim: number, opts: TimestepEmbeddingOptions): KernelCase {
  const name = `t=[${timesteps.join(', ')}] dim=${dim} flip=${opts.flipSinToCos ?? false} shift=${opts.downscaleFreqShift ?? 1}${opts.scale ? ` scale=${opts.scale}` : ''}`;
  return {
    kernel: 'timestep-embedding',
    name,
    run: (rt) => {
      const t = Float32Array.from(timesteps);
      const N = t.length;
      const maxArg = Math.max(...t.map(Math.abs)) * Math.abs(opts.scale ?? 1);
      return checkOp(rt, {
        kernel: 'timestep-embedding',
        name,
        inputs: { t },
        outputs: { out: N * dim * 4 },
        async prepare(rt) {
          const k = await timestepKernel(rt);
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { t: b.t.buffer, out: b.out.buffer, N, dim, ...opts }) };
        },
        reference: () => timestepEmbedding(t, dim, opts),
        tolerance: { atol: 1e-6 + 2 ** -21 * maxArg, rtol: 0 },
      });
    },
  };
}

export const timestepCases: KernelCase[] = [
  tsCase([999, 0], 320, { flipSinToCos: true, downscaleFreqShift: 0 }),
  tsCase([1, 0.5], 320, { flipSinToCos: true, downscaleFreqShift: 0 }),
  tsCase([500], 64, {}),
  tsCase([3, 250.25], 7, { flipSinToCos: true }),
  tsCase([42], 33, { downscaleFreqShift: 0, scale: 2, maxPeriod: 1000 }),
];
