// Quantizers that produce ggml's exact block layouts, for tests and benchmarks that build
// random-weight models (the engine only ever dequantizes). Scales are chosen simply but sensibly:
// absmax or min/max per block, rounded to nearest, with the stored (f16-rounded) scale used for
// the quantization so that dequantize(quantize(x)) is as close as the format allows. Bit-exact
// agreement with ggml's quantizers is not a goal; agreement with its *layouts* is.

import { f16BitsToF32, f32ToF16Bits } from '../../util/f16';
import { GGML_TYPE_INFO, ggmlTypeName } from './ggml-types';
import { quantizeBlockQ4K, quantizeBlockQ5K, quantizeBlockQ6K } from './quantize-k';
import { GgmlType } from './types';

const fr = Math.fround;
const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
const rnd = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));

type BlockQuant = (x: Float32Array, xo: number, out: Uint8Array, o: number) => void;

function putHalf(out: Uint8Array, o: number, v: number): number {
  const bits = f32ToF16Bits(v);
  out[o] = bits & 0xff;
  out[o + 1] = bits >> 8;
  return f16BitsToF32(bits);
}

function signedMax(x: Float32Array, xo: number): number {
  let best = 0;
  for (let i = 0; i < 32; i++) if (Math.abs(x[xo + i]) > Math.abs(best)) best = x[xo + i];
  return best;
}

function minMax(x: Float32Array, xo: number): [number, number] {
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < 32; i++) {
    mn = Math.min(mn, x[xo + i]);
    mx = Math.max(mx, x[xo + i]);
  }
  return [mn, mx];
}

// Q8_0: d = absmax / 127, q = round(x / d).
const q8_0: BlockQuant = (x, xo, out, o) => {
  const d = putHalf(out, o, Math.abs(signedMax(x, xo)) / 127);
  const id = d ? 1 / d : 0;
  for (let j = 0; j < 32; j++) out[o + 2 + j] = clamp(rnd(x[xo + j] * id), -127, 127) & 0xff;
};

/** Q4_0 / Q5_0: d = signed absmax / -half, so the extreme value lands exactly on q = 0. */
function symmetric(bits: 4 | 5): BlockQuant {
  const half = 1 << (bits - 1), top = (1 << bits) - 1, qs = bits === 4 ? 2 : 6;
  return (x, xo, out, o) => {
    const d = putHalf(out, o, signedMax(x, xo) / -half || 0); // || 0: no -0 scale for zero blocks
    const id = d ? 1 / d : 0;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const a = clamp(rnd(x[xo + j] * id) + half, 0, top);
      const b = clamp(rnd(x[xo + j + 16] * id) + half, 0, top);
      out[o + qs + j] = (a & 15) | ((b & 15) << 4);
      qh |= ((a >> 4) << j) | ((b >> 4) << (j + 16));
    }
    if (bits === 5) new DataView(out.buffer, out.byteOffset).setUint32(o + 2, qh >>> 0, true);
  };
}

/** Q4_1 / Q5_1: d = (max - min) / top, m = min. */
function affine(bits: 4 | 5): BlockQuant {
  const top = (1 << bits) - 1, qs = bits === 4 ? 4 : 8;
  return (x, xo, out, o) => {
    const [mn, mx] = minMax(x, xo);
    const d = putHalf(out, o, (mx - mn) / top);
    const m = putHalf(out, o + 2, mn);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const a = d ? clamp(rnd((x[xo + j] - m) / d), 0, top) : 0;
      const b = d ? clamp(rnd((x[xo + j + 16] - m) / d), 0, top) : 0;
      out[o + qs + j] = (a & 15) | ((b & 15) << 4);
      qh |= ((a >> 4) << j) | ((b >> 4) << (j + 16));
    }
    if (bits === 5) new DataView(out.buffer, out.byteOffset).setUint32(o + 4, qh >>> 0, true);
  };
}

const BLOCK_QUANTS: Partial<Record<GgmlType, BlockQuant>> = {
  [GgmlType.Q8_0]: q8_0,
  [GgmlType.Q4_0]: symmetric(4),
  [GgmlType.Q5_0]: symmetric(5),
  [GgmlType.Q4_1]: affine(4),
  [GgmlType.Q5_1]: affine(5),
  [GgmlType.Q4_K]: quantizeBlockQ4K,
  [GgmlType.Q5_K]: quantizeBlockQ5K,
  [GgmlType.Q6_K]: quantizeBlockQ6K,
};

/** Types `quantize` can produce. */
export const QUANTIZE_TYPES: readonly GgmlType[] = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, ...Object.keys(BLOCK_QUANTS).map(Number)];

/** f32 -> bf16 bits, round to nearest even (NaN stays NaN). */
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function f32ToBf16Bits(v: number): number {
  f32Scratch[0] = v;
  const u = u32Scratch[0];
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Quantize `values` (whole blocks: a multiple of 32, or of 256 for K-quants) into `type`'s layout.
 * Rows are not special: a matrix of whole-block rows quantizes the same as one long vector.
 */
export function quantize(type: GgmlType, values: Float32Array): Uint8Array<ArrayBuffer> {
  const info = GGML_TYPE_INFO[type];
  const fn = BLOCK_QUANTS[type];
  if (!info || (!fn && !QUANTIZE_TYPES.includes(type))) {
    throw new RangeError(`quantize: no quantizer for ggml type ${ggmlTypeName(type)} (have ${QUANTIZE_TYPES.map(ggmlTypeName).join(', ')})`);
  }
  const n = values.length;
  if (n % info.blockSize !== 0) {
    throw new RangeError(`quantize ${info.name}: ${n} values is not a whole number of ${info.blockSize}-value blocks`);
  }
  const out = new Uint8Array((n / info.blockSize) * info.bytesPerBlock);
  if (type === GgmlType.F32) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4));
  } else if (type === GgmlType.F16 || type === GgmlType.BF16) {
    const conv = type === GgmlType.F16 ? f32ToF16Bits : f32ToBf16Bits;
    for (let i = 0; i < n; i++) {
      const bits = conv(fr(values[i]));
      out[2 * i] = bits & 0xff;
      out[2 * i + 1] = bits >> 8;
    }
  } else {
    for (let b = 0; b < n / info.blockSize; b++) fn!(values, b * info.blockSize, out, b * info.bytesPerBlock);
  }
  return out;
}
