// K-quant quantizers (Q4_K, Q5_K, Q6_K) for tests and benchmarks: they make random-weight models
// in the exact ggml block layouts (see src/kernels/ref/dequant.ts for the layouts). The scale
// choice is simpler than ggml's iterative search: per sub-block min/max (or signed absmax) scales,
// 6/8-bit quantized against a super-block scale that is rounded *up* to f16 so nothing clips, then
// the floor and ceil of each quantized scale (and min) are both tried and the lower squared error
// kept. Quantization then uses the f16/f32-rounded scales the dequantizer will actually see.

import { f16BitsToF32, f32ToF16Bits } from '../../util/f16';

const fr = Math.fround;
const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
/** Round half away from zero, as ggml's nearest_int/roundf do. */
const rnd = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));

/** The f16 bits of the smallest half >= v (v >= 0), so a scale never shrinks when stored. */
export function f16Up(v: number): number {
  let bits = f32ToF16Bits(v);
  if (f16BitsToF32(bits) < v) bits += 1;
  return bits;
}

function putHalf(out: Uint8Array, o: number, bits: number): void {
  out[o] = bits & 0xff;
  out[o + 1] = bits >> 8;
}

/**
 * Quantize one 32-value sub-block as x ~ d*sc*q - dmin*m with q in [0, nmax]. Keeps the (sc, m)
 * candidate with the least squared error; writes q into L and returns the chosen [sc, m].
 */
function subBlockAffine(x: Float32Array, xo: number, L: Uint8Array, lo: number, nmax: number, d: number, dmin: number): [number, number] {
  let mn = 0, mx = -Infinity;
  for (let i = 0; i < 32; i++) {
    mn = Math.min(mn, x[xo + i]);
    mx = Math.max(mx, x[xo + i]);
  }
  const idealSc = d > 0 ? (mx - mn) / nmax / d : 0;
  const idealM = dmin > 0 ? -mn / dmin : 0;
  // Candidates: floor/ceil of the ideal scale and min, plus the pair that clips nothing (min
  // rounded up, then the scale rounded up to still reach the top value).
  const mUp = clamp(Math.ceil(idealM), 0, 63);
  const scNoClip = d > 0 ? clamp(Math.ceil((mx + fr(dmin * mUp)) / nmax / d), 0, 63) : 0;
  const pairs: Array<[number, number]> = [[scNoClip, mUp]];
  for (const sc of [Math.floor(idealSc), Math.ceil(idealSc)]) {
    for (const m of [Math.floor(idealM), mUp]) pairs.push([clamp(sc, 0, 63), clamp(m, 0, 63)]);
  }
  let best = Infinity, bestSc = 0, bestM = 0;
  for (const [sc, m] of pairs) {
    const d1 = fr(d * sc), m1 = fr(dmin * m);
    let err = 0;
    for (let i = 0; i < 32; i++) {
      const q = d1 > 0 ? clamp(rnd((x[xo + i] + m1) / d1), 0, nmax) : 0;
      const e = fr(d1 * q) - m1 - x[xo + i];
      err += e * e;
    }
    if (err < best) [best, bestSc, bestM] = [err, sc, m];
  }
  const d1 = fr(d * bestSc), m1 = fr(dmin * bestM);
  for (let i = 0; i < 32; i++) L[lo + i] = d1 > 0 ? clamp(rnd((x[xo + i] + m1) / d1), 0, nmax) : 0;
  return [bestSc, bestM];
}

/** Shared body of Q4_K and Q5_K: d, dmin, 12 bytes of packed 6-bit scales/mins; returns the 256 q. */
function affineSuperBlock(x: Float32Array, xo: number, out: Uint8Array, o: number, nmax: number): Uint8Array {
  let maxScale = 0, maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let mn = 0, mx = -Infinity;
    for (let i = 0; i < 32; i++) {
      mn = Math.min(mn, x[xo + 32 * j + i]);
      mx = Math.max(mx, x[xo + 32 * j + i]);
    }
    maxScale = Math.max(maxScale, (mx - mn) / nmax);
    maxMin = Math.max(maxMin, -mn);
  }
  const dBits = f16Up(maxScale / 63), dminBits = f16Up(maxMin / 63);
  putHalf(out, o, dBits);
  putHalf(out, o + 2, dminBits);
  const d = f16BitsToF32(dBits), dmin = f16BitsToF32(dminBits);
  const L = new Uint8Array(256);
  const sc = new Array<number>(8), m = new Array<number>(8);
  for (let j = 0; j < 8; j++) [sc[j], m[j]] = subBlockAffine(x, xo + 32 * j, L, 32 * j, nmax, d, dmin);
  const s = o + 4;
  for (let j = 0; j < 4; j++) {
    out[s + j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    out[s + j + 4] = m[j] | ((m[j + 4] >> 4) << 6);
    out[s + j + 8] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
  }
  return L;
}

/** Q4_K: 256 values -> 144 bytes. */
export function quantizeBlockQ4K(x: Float32Array, xo: number, out: Uint8Array, o: number): void {
  const L = affineSuperBlock(x, xo, out, o, 15);
  for (let g = 0; g < 4; g++) {
    for (let l = 0; l < 32; l++) out[o + 16 + 32 * g + l] = L[64 * g + l] | (L[64 * g + 32 + l] << 4);
  }
}

/** Q5_K: 256 values -> 176 bytes (qh at 16, qs at 48). */
export function quantizeBlockQ5K(x: Float32Array, xo: number, out: Uint8Array, o: number): void {
  const L = affineSuperBlock(x, xo, out, o, 31);
  out.fill(0, o + 16, o + 48);
  for (let g = 0; g < 4; g++) {
    for (let l = 0; l < 32; l++) {
      const a = L[64 * g + l], b = L[64 * g + 32 + l];
      out[o + 48 + 32 * g + l] = (a & 15) | ((b & 15) << 4);
      out[o + 16 + l] |= ((a >> 4) << (2 * g)) | ((b >> 4) << (2 * g + 1));
    }
  }
}

/** Signed absmax of x[xo..xo+n): the value with the largest magnitude, sign kept. */
function signedMax(x: Float32Array, xo: number, n: number): number {
  let best = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[xo + i]) > Math.abs(best)) best = x[xo + i];
  return best;
}

/** Q6_K: 256 values -> 210 bytes. 16 sub-blocks of 16, x ~ d*sc*q with int8 sc and q in [-32, 31]. */
export function quantizeBlockQ6K(x: Float32Array, xo: number, out: Uint8Array, o: number): void {
  // A sub-block's scale is its signed absmax / -32, so the extreme lands on q = -32 (the range's
  // longer side); likewise the super-block scale maps the largest sub-block scale to sc = -128.
  const ideal = new Array<number>(16);
  let maxScale = 0;
  for (let j = 0; j < 16; j++) {
    ideal[j] = signedMax(x, xo + 16 * j, 16) / -32;
    if (Math.abs(ideal[j]) > Math.abs(maxScale)) maxScale = ideal[j];
  }
  const mag = f16Up(Math.abs(maxScale) / 128);
  const dBits = maxScale > 0 ? mag | 0x8000 : mag; // d = maxScale / -128
  const d = f16BitsToF32(dBits);
  out.fill(0, o, o + 210);
  putHalf(out, o + 208, dBits);
  const L = new Uint8Array(256);
  for (let j = 0; j < 16; j++) {
    const t = d !== 0 ? ideal[j] / d : 0;
    let best = Infinity, bestSc = 0;
    for (const sc of new Set([clamp(Math.floor(t), -128, 127), clamp(Math.ceil(t), -128, 127)])) {
      const d1 = fr(d * sc);
      let err = 0;
      for (let i = 0; i < 16; i++) {
        const v = x[xo + 16 * j + i];
        const e = (d1 !== 0 ? d1 * clamp(rnd(v / d1), -32, 31) : 0) - v;
        err += e * e;
      }
      if (err < best) [best, bestSc] = [err, sc];
    }
    out[o + 192 + j] = bestSc & 0xff;
    const d1 = fr(d * bestSc);
    for (let i = 0; i < 16; i++) L[16 * j + i] = (d1 !== 0 ? clamp(rnd(x[xo + 16 * j + i] / d1), -32, 31) : 0) + 32;
  }
  for (let n = 0; n < 2; n++) {
    const b = 128 * n, ql = o + 64 * n, qh = o + 128 + 32 * n;
    for (let l = 0; l < 32; l++) {
      out[ql + l] = (L[b + l] & 15) | ((L[b + l + 64] & 15) << 4);
      out[ql + l + 32] = (L[b + l + 32] & 15) | ((L[b + l + 96] & 15) << 4);
      out[qh + l] = (L[b + l] >> 4) | ((L[b + l + 32] >> 4) << 2) | ((L[b + l + 64] >> 4) << 4) | ((L[b + l + 96] >> 4) << 6);
    }
  }
}
