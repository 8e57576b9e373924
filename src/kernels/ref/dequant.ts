// CPU dequantizers for the ggml block formats: the reference every GPU dequant/matvec kernel is
// held against, and the path for small CPU-side reads (one embedding row, a norm weight).
// Layouts follow ggml-common.h; values follow ggml-quants.c `dequantize_row_*`. Products that ggml
// rounds to f32 before adding are rounded here too (Math.fround), so results match ggml's scalar
// path bit for bit rather than to within an ulp. Tensors are little-endian, as are all WebGPU hosts.

import { loadError } from '../../formats/errors';
import { GGML_TYPE_INFO, ggmlTypeName } from '../../formats/gguf/ggml-types';
import { GgmlType } from '../../formats/gguf/types';
import { f16BitsToF32 } from '../../util/f16';

const fr = Math.fround;

let f16Table: Float32Array | undefined;
/** All 65536 halves decoded once (256 KB): block scales and F16 tensors read through it. */
function f16lut(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32(h);
  }
  return f16Table;
}

type BlockFn = (b: Uint8Array, o: number, y: Float32Array, yo: number, h: Float32Array) => void;

const half = (h: Float32Array, b: Uint8Array, o: number) => h[b[o] | (b[o + 1] << 8)];
const i8 = (v: number) => (v << 24) >> 24;

// Q8_0: f16 d, 32 x int8.   y = d * q
const q8_0: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  for (let j = 0; j < 32; j++) y[yo + j] = d * i8(b[o + 2 + j]);
};

// Q4_0: f16 d, 16 bytes. Byte j holds value j (low nibble) and value j+16 (high). y = d * (q - 8)
const q4_0: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  for (let j = 0; j < 16; j++) {
    const q = b[o + 2 + j];
    y[yo + j] = d * ((q & 15) - 8);
    y[yo + j + 16] = d * ((q >> 4) - 8);
  }
};

// Q4_1: f16 d, f16 m, 16 bytes of nibbles as Q4_0.   y = d * q + m
const q4_1: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  const m = half(h, b, o + 2);
  for (let j = 0; j < 16; j++) {
    const q = b[o + 4 + j];
    y[yo + j] = fr(d * (q & 15)) + m;
    y[yo + j + 16] = fr(d * (q >> 4)) + m;
  }
};

/** Bit i of the little-endian u32 `qh` is the 5th bit of value i (Q5_0, Q5_1). */
const u32le = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

// Q5_0: f16 d, u32 qh, 16 bytes of nibbles.   y = d * (q5 - 16)
const q5_0: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  const qh = u32le(b, o + 2);
  for (let j = 0; j < 16; j++) {
    const q = b[o + 6 + j];
    y[yo + j] = d * (((q & 15) | (((qh >>> j) & 1) << 4)) - 16);
    y[yo + j + 16] = d * (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16);
  }
};

// Q5_1: f16 d, f16 m, u32 qh, 16 bytes of nibbles.   y = d * q5 + m
const q5_1: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  const m = half(h, b, o + 2);
  const qh = u32le(b, o + 4);
  for (let j = 0; j < 16; j++) {
    const q = b[o + 8 + j];
    y[yo + j] = fr(d * ((q & 15) | (((qh >>> j) & 1) << 4))) + m;
    y[yo + j + 16] = fr(d * ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4))) + m;
  }
};

/**
 * Q4_K/Q5_K pack 8 six-bit scales and 8 six-bit mins in 12 bytes: sub-blocks 0-3 in the low 6 bits
 * of bytes 0-3 (scales) and 4-7 (mins); sub-blocks 4-7 in bytes 8-11 (low nibble scale, high
 * nibble min) plus the top 2 bits of bytes 0-3 (scale) and 4-7 (min) as their high bits.
 */
export function kScaleMin(b: Uint8Array, s: number, j: number): [scale: number, min: number] {
  if (j < 4) return [b[s + j] & 63, b[s + j + 4] & 63];
  return [(b[s + j + 4] & 15) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
}

// Q4_K: f16 d, f16 dmin, 12 bytes scales, 128 bytes qs. 256 values in 4 groups of 64: group g uses
// qs[32g..32g+31], low nibbles for sub-block 2g, high nibbles for 2g+1. y = d*sc * q - dmin*m
const q4_K: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  const dmin = half(h, b, o + 2);
  for (let g = 0; g < 4; g++) {
    const [sc1, m1] = kScaleMin(b, o + 4, 2 * g);
    const [sc2, m2] = kScaleMin(b, o + 4, 2 * g + 1);
    const d1 = fr(d * sc1), mn1 = fr(dmin * m1), d2 = fr(d * sc2), mn2 = fr(dmin * m2);
    const q = o + 16 + 32 * g;
    const out = yo + 64 * g;
    for (let l = 0; l < 32; l++) {
      y[out + l] = fr(d1 * (b[q + l] & 15)) - mn1;
      y[out + l + 32] = fr(d2 * (b[q + l] >> 4)) - mn2;
    }
  }
};

// Q5_K: as Q4_K plus qh (32 bytes) after the scales: bit 2g of qh[l] is the 5th bit of value l of
// sub-block 2g, bit 2g+1 that of sub-block 2g+1. qs follow at byte 48.
const q5_K: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o);
  const dmin = half(h, b, o + 2);
  for (let g = 0; g < 4; g++) {
    const [sc1, m1] = kScaleMin(b, o + 4, 2 * g);
    const [sc2, m2] = kScaleMin(b, o + 4, 2 * g + 1);
    const d1 = fr(d * sc1), mn1 = fr(dmin * m1), d2 = fr(d * sc2), mn2 = fr(dmin * m2);
    const q = o + 48 + 32 * g;
    const out = yo + 64 * g;
    for (let l = 0; l < 32; l++) {
      const hb = b[o + 16 + l] >> (2 * g);
      y[out + l] = fr(d1 * ((b[q + l] & 15) | ((hb & 1) << 4))) - mn1;
      y[out + l + 32] = fr(d2 * ((b[q + l] >> 4) | ((hb & 2) << 3))) - mn2;
    }
  }
};

// Q6_K: ql (128 bytes, low 4 bits), qh (64 bytes, high 2 bits), 16 int8 scales, f16 d. Two halves of
// 128 values; in half n, byte l of ql/qh feeds values l, l+32, l+64, l+96 (each sub-block is 16).
// y = d * scale * (q6 - 32)
const q6_K: BlockFn = (b, o, y, yo, h) => {
  const d = half(h, b, o + 208);
  for (let n = 0; n < 2; n++) {
    const ql = o + 64 * n, qh = o + 128 + 32 * n, sc = o + 192 + 8 * n, out = yo + 128 * n;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const hi = b[qh + l];
      const a = b[ql + l], c = b[ql + l + 32];
      y[out + l] = fr(d * i8(b[sc + is])) * (((a & 15) | ((hi & 3) << 4)) - 32);
      y[out + l + 32] = fr(d * i8(b[sc + is + 2])) * (((c & 15) | (((hi >> 2) & 3) << 4)) - 32);
      y[out + l + 64] = fr(d * i8(b[sc + is + 4])) * (((a >> 4) | (((hi >> 4) & 3) << 4)) - 32);
      y[out + l + 96] = fr(d * i8(b[sc + is + 6])) * (((c >> 4) | (((hi >> 6) & 3) << 4)) - 32);
    }
  }
};

const BLOCK_FNS: Partial<Record<GgmlType, BlockFn>> = {
  [GgmlType.Q8_0]: q8_0, [GgmlType.Q4_0]: q4_0, [GgmlType.Q4_1]: q4_1, [GgmlType.Q5_0]: q5_0,
  [GgmlType.Q5_1]: q5_1, [GgmlType.Q4_K]: q4_K, [GgmlType.Q5_K]: q5_K, [GgmlType.Q6_K]: q6_K,
};

/** Types `dequantize` handles. */
export const DEQUANT_TYPES: readonly GgmlType[] = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, ...Object.keys(BLOCK_FNS).map(Number)];

function plain(type: GgmlType, bytes: Uint8Array, count: number, y: Float32Array): void {
  if (type === GgmlType.F32) {
    new Uint8Array(y.buffer, y.byteOffset, count * 4).set(bytes.subarray(0, count * 4));
  } else if (type === GgmlType.F16) {
    const h = f16lut();
    for (let i = 0; i < count; i++) y[i] = h[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  } else {
    // bf16 is the top half of an f32: shift the bits into place through an integer view.
    const u = new Uint32Array(y.buffer, y.byteOffset, count);
    for (let i = 0; i < count; i++) u[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >>> 0;
  }
}

/** Dequantize `count` values (whole blocks) from the start of `bytes`. */
export function dequantize(type: GgmlType, bytes: Uint8Array, count: number, out?: Float32Array): Float32Array {
  const info = GGML_TYPE_INFO[type];
  const fn = BLOCK_FNS[type];
  if (!info || (!fn && type !== GgmlType.F32 && type !== GgmlType.F16 && type !== GgmlType.BF16)) {
    throw loadError('Unsupported', `dequantize: ggml type ${ggmlTypeName(type)} has no CPU dequantizer (have ${DEQUANT_TYPES.map(ggmlTypeName).join(', ')}).`);
  }
  if (!Number.isSafeInteger(count) || count < 0 || count % info.blockSize !== 0) {
    throw new RangeError(`dequantize ${info.name}: count ${count} is not a whole number of ${info.blockSize}-value blocks`);
  }
  const nb = count / info.blockSize;
  if (bytes.length < nb * info.bytesPerBlock) {
    throw new RangeError(`dequantize ${info.name}: ${count} values need ${nb * info.bytesPerBlock} bytes, got ${bytes.length}`);
  }
  const y = out ?? new Float32Array(count);
  if (y.length < count) throw new RangeError(`dequantize ${info.name}: output holds ${y.length} values, need ${count}`);
  if (!fn) {
    plain(type, bytes, count, y);
    return y;
  }
  const h = f16lut();
  for (let i = 0; i < nb; i++) fn(bytes, i * info.bytesPerBlock, y, i * info.blockSize, h);
  return y;
}

/** Dequantize row `row` of a matrix whose rows hold `rowLength` values (e.g. one embedding). */
export function dequantizeRow(type: GgmlType, bytes: Uint8Array, row: number, rowLength: number, out?: Float32Array): Float32Array {
  const info = GGML_TYPE_INFO[type];
  if (!info) return dequantize(type, bytes, rowLength, out); // throws Unsupported with the type's name
  if (rowLength % info.blockSize !== 0) {
    throw new RangeError(`dequantizeRow ${info.name}: row length ${rowLength} is not a whole number of ${info.blockSize}-value blocks`);
  }
  const rowBytes = (rowLength / info.blockSize) * info.bytesPerBlock;
  if (!Number.isSafeInteger(row) || row < 0 || (row + 1) * rowBytes > bytes.length) {
    throw new RangeError(`dequantizeRow ${info.name}: row ${row} of ${rowBytes} bytes is outside the ${bytes.length}-byte tensor`);
  }
  return dequantize(type, bytes.subarray(row * rowBytes, (row + 1) * rowBytes), rowLength, out);
}
