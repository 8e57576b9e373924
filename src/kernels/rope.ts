// Rotary position embedding, in place on q and k. Shader: shaders/rope.wgsl.
//
// The frequencies live in a small per-pair table built once per model on the host, in float64
// (ropeTable): base, rot_dim, linear scaling (freqScale) and per-pair frequency factors (llama3's
// "rope_freqs", or llama3RopeFactors below) are folded into it. The shader's header says why the
// table holds each frequency as three f32 parts instead of one.
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';

/** "normal": adjacent pairs (llama.cpp LLAMA_ROPE_TYPE_NORM, llama); "neox": halves (qwen2). */
export type RopeMode = 'normal' | 'neox';

export interface RopeFrequencies {
  /** theta base ("rope.freq_base"), 10000 for llama 2, 500000 for llama 3, 1e6 for qwen2. */
  base: number;
  /** Rotated dimensions (even, <= head_dim); the rest of each head is left alone. */
  rotDim: number;
  /** Linear scaling: every frequency is multiplied by this ("rope.scaling.factor" = 1/freqScale). */
  freqScale?: number;
  /** Per-pair divisors of the frequency, rotDim/2 of them (llama3 "rope_freqs.weight"). */
  freqFactors?: ArrayLike<number>;
}

/** inv_freq[i] = freqScale * base^(-2i/rotDim) / factor[i], in float64. */
export function ropeInvFreqs(f: RopeFrequencies): Float64Array {
  const half = f.rotDim / 2;
  guard(Number.isInteger(half) && half > 0, 'rope', `rotDim must be a positive even number (got ${f.rotDim})`);
  guard(f.base > 1, 'rope', `base must be > 1 (got ${f.base})`);
  if (f.freqFactors) guard(f.freqFactors.length === half, 'rope', `freqFactors needs rotDim/2 = ${half} entries (got ${f.freqFactors.length})`);
  const scale = f.freqScale ?? 1;
  const out = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const factor = f.freqFactors ? f.freqFactors[i] : 1;
    guard(factor > 0, 'rope', `freqFactors[${i}] must be > 0 (got ${factor})`);
    out[i] = (scale * Math.pow(f.base, (-2 * i) / f.rotDim)) / factor;
  }
  return out;
}

/** The leading `bits` significant bits of v > 0 (exact in float64). */
function truncBits(v: number, bits: number): number {
  if (v <= 0) return 0;
  const q = 2 ** (Math.floor(Math.log2(v)) - bits + 1);
  return Math.floor(v / q) * q;
}

/** The shader's table: per pair, turns per position g = inv_freq / 2pi as (hi, mid, lo, 0) with
 *  hi and mid 12 significant bits each, so pos * hi and pos * mid are exact in f32. */
/** Bytes of ropeTable's output: four f32 per rotated pair. */
export function ropeTableBytes(rotDim: number): number {
  return (rotDim / 2) * 4 * 4;
}

export function ropeTable(f: RopeFrequencies): Float32Array {
  const inv = ropeInvFreqs(f);
  const out = new Float32Array(inv.length * 4);
  inv.forEach((w, i) => {
    const g = w / (2 * Math.PI);
    const hi = truncBits(g, 12);
    const mid = truncBits(g - hi, 12);
    out.set([hi, mid, g - hi - mid, 0], i * 4);
  });
  return out;
}

export interface Llama3Scaling {
  base: number;
  rotDim: number;
  /** "rope.scaling.factor" (8 for Llama 3.1). */
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  /** "rope.scaling.original_context_length" (8192 for Llama 3.1). */
  originalContextLength: number;
}

/**
 * Llama 3 frequency factors (what GGUF stores as rope_freqs.weight): wavelengths shorter than
 * original_ctx / high_freq_factor keep their frequency (factor 1), those longer than
 * original_ctx / low_freq_factor are divided by `factor`, and the band between is blended:
 * smooth = (original_ctx / wavelen - low) / (high - low), new_freq = ((1 - smooth) / factor + smooth) * freq,
 * so the divisor is 1 / ((1 - smooth) / factor + smooth).
 */
export function llama3RopeFactors(s: Llama3Scaling): Float32Array {
  guard(s.highFreqFactor > s.lowFreqFactor, 'rope', `llama3 scaling needs highFreqFactor > lowFreqFactor (got ${s.highFreqFactor}, ${s.lowFreqFactor})`);
  const inv = ropeInvFreqs({ base: s.base, rotDim: s.rotDim });
  const lowWavelen = s.originalContextLength / s.lowFreqFactor;
  const highWavelen = s.originalContextLength / s.highFreqFactor;
  return Float32Array.from(inv, (freq) => {
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) return 1;
    if (wavelen > lowWavelen) return s.factor;
    const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return 1 / ((1 - smooth) / s.factor + smooth);
  });
}

export interface RopeArgs {
  /** [T, nHeads, headDim] f32, rotated in place. */
  x: Binding;
  /** ropeTable(...) uploaded: [rotDim/2, 4] f32. */
  table: Binding;
  T: number;
  nHeads: number;
  headDim: number;
  rotDim: number;
  /** Position of token 0 of this batch. */
  pos0: number;
}

export interface RopeQKArgs extends Omit<RopeArgs, 'x' | 'nHeads'> {
  q: Binding;
  k: Binding;
  nHeads: number;
  nKvHeads: number;
}

export interface RopeKernel {
  readonly label: string;
  encode(rec: Recorder, args: RopeArgs): void;
  /** Both of a layer's rotations: q [T, nHeads, headDim] and k [T, nKvHeads, headDim]. */
  encodeQK(rec: Recorder, args: RopeQKArgs): void;
}

const WG = 64;

export async function rope(rt: GpuRuntime, mode: RopeMode): Promise<RopeKernel> {
  const label = `rope.${mode}`;
  const pipeline = await rt.pipelines.get({ shader: 'rope', label, defines: { NEOX: mode === 'neox' } });
  const encode = (rec: Recorder, { x, table, T, nHeads, headDim, rotDim, pos0 }: RopeArgs): void => {
    guardDim(label, 'T', T);
    guardDim(label, 'nHeads', nHeads);
    guardDim(label, 'headDim', headDim);
    guard(rotDim % 2 === 0 && rotDim > 0 && rotDim <= headDim, label, `rotDim must be even and in (0, headDim=${headDim}] (got ${rotDim})`);
    guard(Number.isInteger(pos0) && pos0 >= 0 && pos0 + T <= 2 ** 24, label, `positions must lie in [0, 2^24) (got pos0=${pos0}, T=${T})`);
    guardIndex(label, 'x', T * nHeads * headDim);
    guardBytes(label, 'x', x, T * nHeads * headDim * 4);
    guardBytes(label, 'table', table, (rotDim / 2) * 16);
    const rows = T * nHeads;
    rec.dispatch({
      pipeline,
      label,
      bindings: [x, table],
      workgroups: foldGroups(Math.ceil((rows * rotDim) / 2 / WG)),
      uniforms: packUniforms([rows, headDim, rotDim / 2, nHeads, pos0]),
    });
  };
  return {
    label,
    encode,
    encodeQK(rec, { q, k, nHeads, nKvHeads, ...rest }) {
      encode(rec, { x: q, nHeads, ...rest });
      encode(rec, { x: k, nHeads: nKvHeads, ...rest });
    },
  };
}
