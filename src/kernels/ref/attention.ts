// CPU reference for the attention kernels (float64): causal softmax attention with GQA over a
// [nCtx, nKvHeads, headDim] cache. Query row t sits at position pos0 + t and sees keys 0 .. pos0 + t.
// An f16 cache is referenced by the same function on K and V passed through kvRoundF16: the
// kernels do all their math in f32 on the unpacked halves, so storage rounding is the only
// difference the dtype makes.
import { roundToF16 } from '../../util/f16';

const F16_MAX = 65504;

/** What an f16 KV cache stores for these f32 values: nearest half (ties to even), saturated at
 *  +-65504 as shaders/kv-cache.wgsl does. */
export function kvRoundF16(values: ArrayLike<number>): Float32Array {
  const clamped = Float32Array.from(values, (x) => (x > F16_MAX ? F16_MAX : x < -F16_MAX ? -F16_MAX : x));
  return roundToF16(clamped);
}

export interface AttentionRefShape {
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  pos0: number;
  scale?: number;
}

/** q: [T, nHeads, headDim]; returns out [T, nHeads, headDim]. With `absV`, the same weights
 *  applied to |V|: the magnitude of the terms behind each output (the scale its rounding error
 *  follows, used to normalise comparisons). */
export function attentionRef(q: Float32Array, kCache: Float32Array, vCache: Float32Array, s: AttentionRefShape, absV = false): Float32Array {
  const { T, nHeads, nKvHeads, headDim: hd, pos0 } = s;
  const scale = s.scale ?? 1 / Math.sqrt(hd);
  const group = nHeads / nKvHeads;
  const out = new Float32Array(T * nHeads * hd);
  const acc = new Float64Array(hd);
  for (let t = 0; t < T; t++) {
    const nKeys = pos0 + t + 1;
    const scores = new Float64Array(nKeys);
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      const qb = (t * nHeads + h) * hd;
      let m = -Infinity;
      for (let p = 0; p < nKeys; p++) {
        const kb = (p * nKvHeads + g) * hd;
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q[qb + d] * kCache[kb + d];
        scores[p] = dot * scale;
        m = Math.max(m, scores[p]);
      }
      acc.fill(0);
      let l = 0;
      for (let p = 0; p < nKeys; p++) {
        const w = Math.exp(scores[p] - m);
        l += w;
        const vb = (p * nKvHeads + g) * hd;
        for (let d = 0; d < hd; d++) acc[d] += w * (absV ? Math.abs(vCache[vb + d]) : vCache[vb + d]);
      }
      for (let d = 0; d < hd; d++) out[qb + d] = acc[d] / l;
    }
  }
  return out;
}
