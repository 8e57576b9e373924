// Multi-head attention for the diffusion transformer blocks (self and cross), tiled over keys with
// an online softmax, and its causal self-attention variant for the CLIP text encoder.
// Shader: shaders/diffusion/attention.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';

/** Query rows per workgroup (one per invocation). */
const BQ = 32;
export const MAX_HEAD_DIM = 160;

/** tiled: K/V tiles staged in workgroup memory (GPUs). direct: each invocation reads K/V from
 *  storage, no workgroup memory or barriers (CPU-backed adapters, where it also compiles in a
 *  fraction of the time). */
export type AttentionVariant = 'tiled' | 'direct';

export interface DiffusionAttentionArgs {
  /** [N, Lq, heads * headDim] (row stride qStride) */
  q: Binding;
  /** [N, Lk, heads * headDim] (row stride kvStride) */
  k: Binding;
  v: Binding;
  /** [N, Lq, heads * headDim] (row stride oStride) */
  out: Binding;
  N: number;
  Lq: number;
  Lk: number;
  heads: number;
  /** Default 1 / sqrt(headDim). */
  scale?: number;
  /** Floats between consecutive token rows; default heads * headDim. */
  qStride?: number;
  kvStride?: number;
  oStride?: number;
}

export interface DiffusionAttentionKernel {
  readonly label: string;
  readonly headDim: number;
  encode(rec: Recorder, args: DiffusionAttentionArgs): void;
}

/** Keys per tile: 16, or fewer when two tiles of K and V would not fit the device's workgroup memory. */
function keyTile(rt: GpuRuntime, headDim: number): number {
  const d4 = Math.ceil(headDim / 4);
  let bk = 16;
  while (bk > 1 && 2 * bk * d4 * 16 > rt.limits.maxComputeWorkgroupStorageSize) bk >>= 1;
  return bk;
}

/** `causal`: query i attends to keys 0..i only (self-attention, Lk = Lq), as CLIP's text encoder. */
export async function diffusionAttention(rt: GpuRuntime, opts: { headDim: number; variant?: AttentionVariant; causal?: boolean }): Promise<DiffusionAttentionKernel> {
  const { headDim } = opts;
  const causal = opts.causal ?? false;
  const variant = opts.variant ?? (rt.report.adapter.isSoftware ? 'direct' : 'tiled');
  guard(Number.isInteger(headDim) && headDim >= 1 && headDim <= MAX_HEAD_DIM, 'diffusion-attention', `headDim must be an integer in 1..${MAX_HEAD_DIM} (got ${headDim})`);
  const bk = variant === 'tiled' ? keyTile(rt, headDim) : 16;
  const label = `diffusion-attention.d${headDim}-${variant}-bq${BQ}-bk${bk}${causal ? '-causal' : ''}`;
  const pipeline = await rt.pipelines.get({
    shader: 'diffusion/attention',
    label,
    defines: { HEAD_DIM: `${headDim}u`, BQ: `${BQ}u`, BK: `${bk}u`, TILED: variant === 'tiled', CAUSAL: causal },
  });
  const maxGroups = rt.limits.maxComputeWorkgroupsPerDimension;
  return {
    label,
    headDim,
    encode(rec, a) {
      const { N, Lq, Lk, heads } = a;
      for (const [name, v] of Object.entries({ N, Lq, Lk, heads })) guardDim(label, name, v);
      if (causal) guard(Lq === Lk, label, `causal attention is self-attention: Lq must equal Lk (got Lq=${Lq}, Lk=${Lk})`);
      const width = heads * headDim;
      const qStride = a.qStride ?? width;
      const kvStride = a.kvStride ?? width;
      const oStride = a.oStride ?? width;
      for (const [name, s] of Object.entries({ qStride, kvStride, oStride })) {
        guard(Number.isInteger(s) && s >= width, label, `${name} must be an integer >= heads * headDim = ${width} (got ${s})`);
      }
      const scale = a.scale ?? 1 / Math.sqrt(headDim);
      guard(Number.isFinite(scale), label, `scale must be finite (got ${scale})`);
      guardIndex(label, 'q', N * Lq * qStride);
      guardIndex(label, 'k', N * Lk * kvStride);
      guardIndex(label, 'out', N * Lq * oStride);
      guardBytes(label, 'q', a.q, ((N * Lq - 1) * qStride + width) * 4);
      guardBytes(label, 'k', a.k, ((N * Lk - 1) * kvStride + width) * 4);
      guardBytes(label, 'v', a.v, ((N * Lk - 1) * kvStride + width) * 4);
      guardBytes(label, 'out', a.out, ((N * Lq - 1) * oStride + width) * 4);
      const workgroups = [Math.ceil(Lq / BQ), heads, N] as const;
      guard(workgroups.every((g) => g <= maxGroups), label, `Lq=${Lq}, heads=${heads}, N=${N} need workgroups (${workgroups.join(', ')}), past this device's ${maxGroups}`);
      rec.dispatch({
        pipeline,
        label,
        bindings: [a.q, a.k, a.v, a.out],
        workgroups,
        uniforms: packUniforms([Lq, Lk, qStride, kvStride, oStride, { f32: scale }]),
      });
    },
  };
}
