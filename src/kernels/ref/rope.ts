// CPU reference for shaders/rope.wgsl, in float64: theta = pos * inv_freq[i] with inv_freq taken
// straight from the formula (ropeInvFreqs), not from the GPU's split table, so the table is tested too.
import { ropeInvFreqs, type RopeFrequencies, type RopeMode } from '../rope';

/** x: [T, nHeads, headDim]; returns the rotated copy. */
export function ropeRef(
  x: Float32Array,
  mode: RopeMode,
  shape: { T: number; nHeads: number; headDim: number; pos0: number },
  freqs: RopeFrequencies,
): Float32Array {
  const { T, nHeads, headDim, pos0 } = shape;
  const inv = ropeInvFreqs(freqs);
  const half = inv.length;
  const out = Float32Array.from(x);
  for (let t = 0; t < T; t++) {
    const pos = pos0 + t;
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const theta = pos * inv[i];
        const c = Math.cos(theta);
        const s = Math.sin(theta);
        const i0 = mode === 'neox' ? base + i : base + 2 * i;
        const i1 = mode === 'neox' ? i0 + half : i0 + 1;
        out[i0] = x[i0] * c - x[i1] * s;
        out[i1] = x[i0] * s + x[i1] * c;
      }
    }
  }
  return out;
}
