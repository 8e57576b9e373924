// Sinusoidal timestep embedding with diffusers' get_timestep_embedding semantics, on the CPU (float64,
// for uploading once per step) and as a tiny GPU kernel (shaders/diffusion/timestep.wgsl).
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, packUniforms, type Binding } from '../common';

export interface TimestepEmbeddingOptions {
  /** Swap the halves to [cos, sin] (Stable Diffusion's UNet: true). */
  flipSinToCos?: boolean;
  /** half - shift divides the exponent (diffusers' default 1; SD's UNet: 0). */
  downscaleFreqShift?: number;
  /** Multiplies the arguments (default 1). */
  scale?: number;
  /** Longest period (default 10000). */
  maxPeriod?: number;
}

function resolve(dim: number, o: TimestepEmbeddingOptions) {
  guardDim('timestep-embedding', 'dim', dim);
  const half = Math.floor(dim / 2);
  const shift = o.downscaleFreqShift ?? 1;
  const denom = half - shift;
  guard(half >= 1 && denom !== 0 && Number.isFinite(denom), 'timestep-embedding', `dim / 2 - downscaleFreqShift must be non-zero (dim=${dim}, shift=${shift})`);
  const maxPeriod = o.maxPeriod ?? 10000;
  guard(maxPeriod > 0, 'timestep-embedding', `maxPeriod must be positive (got ${maxPeriod})`);
  return { half, denom, flip: o.flipSinToCos ?? false, scale: o.scale ?? 1, negLog: -Math.log(maxPeriod) };
}

/**
 * [N, dim] embedding of the timesteps, as diffusers computes it:
 *   half = dim // 2; exponent = -ln(max_period) * arange(half) / (half - downscale_freq_shift)
 *   emb = scale * t[:, None] * exp(exponent); emb = cat([sin(emb), cos(emb)]); flip -> cat([cos, sin]);
 *   odd dim -> one zero column at the end.
 * In float64 here; diffusers runs it in f32, so the two differ by its rounding (~1e-4 at t ~ 1000).
 */
export function timestepEmbedding(timesteps: ArrayLike<number>, dim: number, opts: TimestepEmbeddingOptions = {}): Float32Array {
  const { half, denom, flip, scale, negLog } = resolve(dim, opts);
  const N = timesteps.length;
  const out = new Float32Array(N * dim);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < half; j++) {
      const arg = scale * timesteps[n] * Math.exp((negLog * j) / denom);
      out[n * dim + j] = flip ? Math.cos(arg) : Math.sin(arg);
      out[n * dim + half + j] = flip ? Math.sin(arg) : Math.cos(arg);
    }
  }
  return out;
}

const WG = 64;

export interface TimestepKernel {
  readonly label: string;
  /** t: [N] f32 timesteps; out: [N, dim] f32. */
  encode(rec: Recorder, args: { t: Binding; out: Binding; N: number; dim: number } & TimestepEmbeddingOptions): void;
}

export async function timestepKernel(rt: GpuRuntime): Promise<TimestepKernel> {
  const label = 'timestep-embedding.sincos';
  const pipeline = await rt.pipelines.get({ shader: 'diffusion/timestep', label, defines: { WG_SIZE: WG } });
  return {
    label,
    encode(rec, { t, out, N, dim, ...opts }) {
      guardDim(label, 'N', N);
      const { half, denom, flip, scale, negLog } = resolve(dim, opts);
      guardBytes(label, 't', t, N * 4);
      guardBytes(label, 'out', out, N * dim * 4);
      const total = N * dim;
      const groups = Math.ceil(total / WG);
      guard(groups <= rt.limits.maxComputeWorkgroupsPerDimension, label, `N * dim = ${total} is more than a timestep embedding should be`);
      rec.dispatch({
        pipeline,
        label,
        bindings: [t, out],
        workgroups: [groups],
        uniforms: packUniforms([total, dim, half, flip ? 1 : 0, { f32: negLog }, { f32: denom }, { f32: scale }]),
      });
    },
  };
}
