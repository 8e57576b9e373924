// CPU reader of the repacked weight layouts (src/kernels/quant/repack.ts), written as a line-by-line
// mirror of `w8` in shaders/lib/quant.wgsl: same word and bit arithmetic, same rounding order.
// The repack test holds it against dequant.ts (which reads GGUF blocks directly), so a wrong index
// in the layout or in the shader's reading of it shows up on the CPU, with a readable diff.
import type { RepackedTensor } from '../quant/repack';
import type { QuantType } from '../quant/format';
import { f16BitsToF32 } from '../../util/f16';

const fr = Math.fround;
const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);
const bitsToF32 = (u: number) => ((u32View[0] = u >>> 0), f32View[0]);
/** unpack2x16float(w)[i] */
const half = (w: number, i: number) => f16BitsToF32((w >>> (16 * i)) & 0xffff);
const byteOf = (w: number, i: number) => (w >>> (8 * i)) & 255;
const nib = (w: number, shift: number, i: number) => (w >>> (shift + 8 * i)) & 15;
const i8 = (w: number, i: number) => ((w << (24 - 8 * i)) >> 24);
/** q5x4(w, sh, qh, hb)[i]: nibble i at `sh`, with bit hb + i of qh as its 5th bit (Q5_0, Q5_1). */
const q5 = (w: number, sh: number, qh: number, hb: number, i: number) => nib(w, sh, i) | (((qh >>> (hb + i)) & 1) << 4);

type Reader = (q: Uint32Array, qb: number, s: Uint32Array, sb: number, c: number, out: Float32Array) => void;

function kScaleMin(s: Uint32Array, s0: number, sub: number): [number, number] {
  const sc = byteOf(s[s0 + 1 + (sub >> 2)], sub & 3);
  const mn = byteOf(s[s0 + 3 + (sub >> 2)], sub & 3);
  return [fr(half(s[s0], 0) * sc), fr(half(s[s0], 1) * mn)];
}

const READERS: Record<QuantType, Reader> = {
  f32: (q, qb, _s, _sb, c, out) => {
    for (let i = 0; i < 8; i++) out[i] = bitsToF32(q[qb + 8 * c + i]);
  },
  f16: (q, qb, _s, _sb, c, out) => {
    for (let i = 0; i < 8; i++) out[i] = half(q[qb + 4 * c + (i >> 1)], i & 1);
  },
  bf16: (q, qb, _s, _sb, c, out) => {
    for (let i = 0; i < 8; i++) out[i] = bitsToF32(((q[qb + 4 * c + (i >> 1)] >>> (16 * (i & 1))) & 0xffff) << 16);
  },
  q8_0: (q, qb, s, sb, c, out) => {
    const b = c >> 2;
    const w = qb + b * 8 + (c & 3) * 2;
    const d = half(s[sb + (b >> 1)], b & 1);
    for (let i = 0; i < 8; i++) out[i] = d * i8(q[w + (i >> 2)], i & 3);
  },
  q4_0: (q, qb, s, sb, c, out) => {
    const b = c >> 2, j = c & 3;
    const w = qb + b * 4 + (j & 1) * 2, sh = (j >> 1) * 4;
    const d = half(s[sb + (b >> 1)], b & 1);
    for (let i = 0; i < 8; i++) out[i] = d * (nib(q[w + (i >> 2)], sh, i & 3) - 8);
  },
  q4_1: (q, qb, s, sb, c, out) => {
    const b = c >> 2, j = c & 3;
    const w = qb + b * 4 + (j & 1) * 2, sh = (j >> 1) * 4;
    const d = half(s[sb + b], 0), m = half(s[sb + b], 1);
    for (let i = 0; i < 8; i++) out[i] = fr(d * nib(q[w + (i >> 2)], sh, i & 3)) + m;
  },
  q5_0: (q, qb, s, sb, c, out) => {
    const b = c >> 2, j = c & 3;
    const base = qb + b * 5, qh = q[base];
    const w = base + 1 + (j & 1) * 2, sh = (j >> 1) * 4;
    const d = half(s[sb + (b >> 1)], b & 1);
    for (let i = 0; i < 8; i++) out[i] = d * (q5(q[w + (i >> 2)], sh, qh, 8 * j + (i >> 2) * 4, i & 3) - 16);
  },
  q5_1: (q, qb, s, sb, c, out) => {
    const b = c >> 2, j = c & 3;
    const base = qb + b * 5, qh = q[base];
    const w = base + 1 + (j & 1) * 2, sh = (j >> 1) * 4;
    const d = half(s[sb + b], 0), m = half(s[sb + b], 1);
    for (let i = 0; i < 8; i++) out[i] = fr(d * q5(q[w + (i >> 2)], sh, qh, 8 * j + (i >> 2) * 4, i & 3)) + m;
  },
  q4_k: (q, qb, s, sb, c, out) => {
    const b = c >> 5, j = c & 31, sub = j >> 2;
    const w = qb + b * 32 + (j >> 3) * 8 + (j & 3) * 2, sh = (sub & 1) * 4;
    const [d, m] = kScaleMin(s, sb + b * 5, sub);
    for (let i = 0; i < 8; i++) out[i] = fr(d * nib(q[w + (i >> 2)], sh, i & 3)) - m;
  },
  q5_k: (q, qb, s, sb, c, out) => {
    const b = c >> 5, j = c & 31, sub = j >> 2;
    const base = qb + b * 40;
    const h = base + (j & 3) * 2, w = base + 8 + (j >> 3) * 8 + (j & 3) * 2, sh = (sub & 1) * 4;
    const [d, m] = kScaleMin(s, sb + b * 5, sub);
    for (let i = 0; i < 8; i++) {
      const v = nib(q[w + (i >> 2)], sh, i & 3) | (((q[h + (i >> 2)] >>> (sub + 8 * (i & 3))) & 1) << 4);
      out[i] = fr(d * v) - m;
    }
  },
  q6_k: (q, qb, s, sb, c, out) => {
    const b = c >> 5, j = c & 31, n = j >> 4, p = (j >> 2) & 3, lw = (j & 3) * 2;
    const base = qb + b * 48;
    const ql = base + n * 16 + (p & 1) * 8 + lw, qh = base + 32 + n * 8 + lw;
    const s0 = sb + b * 5, si = n * 8 + ((j & 3) >> 1) + 2 * p;
    const ds = fr(half(s[s0], 0) * i8(s[s0 + 1 + (si >> 2)], si & 3));
    for (let i = 0; i < 8; i++) {
      const lo = nib(q[ql + (i >> 2)], (p >> 1) * 4, i & 3);
      const hi = (q[qh + (i >> 2)] >>> (2 * p + 8 * (i & 3))) & 3;
      out[i] = ds * ((lo | (hi << 4)) - 32);
    }
  },
};

/** Values 8c .. 8c+7 of a row, as `w8` in lib/quant.wgsl returns them. */
export function readChunk8(type: QuantType, q: Uint32Array, qb: number, s: Uint32Array | null, sb: number, c: number, out: Float32Array): void {
  READERS[type](q, qb, s ?? new Uint32Array(0), sb, c, out);
}

/** Dequantize a whole repacked tensor to [rows, K] f32 by reading it chunk by chunk. */
export function dequantRepacked(t: RepackedTensor): Float32Array {
  const { K, layout } = t;
  const y = new Float32Array(t.rows * K);
  const chunk = new Float32Array(8);
  for (const part of t.parts) {
    for (let r = 0; r < part.rows; r++) {
      const row = part.rowStart + r;
      for (let c = 0; c < layout.chunks; c++) {
        readChunk8(t.type, part.q, r * layout.qStride, part.s, r * layout.sStride, c, chunk);
        for (let i = 0; i < 8 && 8 * c + i < K; i++) y[row * K + 8 * c + i] = chunk[i];
      }
    }
  }
  return y;
}
