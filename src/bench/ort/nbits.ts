// One quantized weight, encoded twice: as the GGUF blocks our kernels repack, and as ORT's
// com.microsoft MatMulNBits inputs, with the same dequantized values.
//
// MatMulNBits (docs/ContribOperators.md): Y = A · dequant(B)ᵀ with B uint8 [N, k_blocks, blob_size],
// blob_size = block_size·bits/8, codes packed along K low bits first (4-bit: value 2i in the low
// nibble of byte i, value 2i+1 in the high one); scales [N, k_blocks] in A's type; optional
// zero_points, either uint8 packed like B or unpacked [N, k_blocks] in A's type; absent = 2^(bits-1).
// dequant = (code - zero_point) · scale.
//
//   Q4_0 (d·(q-8), 32 per block)  -> bits 4, block 32, scale d, default zero point 8: identical.
//   Q8_0 (d·q, q int8)            -> bits 8, block 32, code q+128, default zero point 128: identical.
//   Q4_K (d·sc·q - dmin·m per 32) -> bits 4, block 32, scale d·sc, float zero point dmin·m/(d·sc):
//                                    equal up to f32 rounding of (q - zp)·scale (a sub-block with
//                                    sc = 0 has no such form: counted and reported).
import { quantize } from '../../formats/gguf/quantize';
import { GgmlType } from '../../formats/gguf/types';
import { randn } from '../../kernels/check/data';
import { kScaleMin, dequantize } from '../../kernels/ref/dequant';
import { f16BitsToF32 } from '../../util/f16';

export type BenchQuant = 'q4_0' | 'q4_k' | 'q8_0';

export const GGML: Record<BenchQuant, GgmlType> = { q4_0: GgmlType.Q4_0, q4_k: GgmlType.Q4_K, q8_0: GgmlType.Q8_0 };

export interface NBitsWeight {
  bits: 4 | 8;
  blockSize: 32;
  /** [N, K/32, 32·bits/8] */
  B: Uint8Array;
  /** [N, K/32] */
  scales: Float32Array;
  /** [N, K/32] float zero points, or null for the default (2^(bits-1)). */
  zeroPoints: Float32Array | null;
  /** Blocks whose values MatMulNBits cannot express exactly (Q4_K sub-blocks with scale 0). */
  inexactBlocks: number;
}

export interface BenchWeight {
  type: BenchQuant;
  N: number;
  K: number;
  /** The GGUF blocks (what our loader repacks). */
  ggml: Uint8Array;
  /** [N, K] the dequantized values both sides must compute with. */
  deq: Float32Array;
  nbits: NBitsWeight;
}

const half = (b: Uint8Array, o: number) => f16BitsToF32(b[o] | (b[o + 1] << 8));

/** Gaussian weights with 1% outliers (as the kernel tests use), quantized once. */
export function benchWeight(type: BenchQuant, N: number, K: number, seed: number): BenchWeight {
  const ggml = quantize(GGML[type], randn(N * K, seed, { scale: 0.5, outlierRate: 0.01 }));
  return { type, N, K, ggml, deq: dequantize(GGML[type], ggml, N * K), nbits: toNBits(type, ggml, N, K) };
}

export function toNBits(type: BenchQuant, ggml: Uint8Array, N: number, K: number): NBitsWeight {
  const nb = K / 32;
  const scales = new Float32Array(N * nb);
  if (type === 'q4_0') {
    const B = new Uint8Array(N * nb * 16);
    for (let blk = 0; blk < N * nb; blk++) {
      const o = blk * 18;
      scales[blk] = half(ggml, o);
      for (let i = 0; i < 16; i++) {
        // values 2i and 2i+1 of the block: GGUF keeps value j in byte j's low nibble, j+16 in its high
        const v = (j: number) => (j < 16 ? ggml[o + 2 + j] & 15 : ggml[o + 2 + j - 16] >> 4);
        B[blk * 16 + i] = v(2 * i) | (v(2 * i + 1) << 4);
      }
    }
    return { bits: 4, blockSize: 32, B, scales, zeroPoints: null, inexactBlocks: 0 };
  }
  if (type === 'q8_0') {
    const B = new Uint8Array(N * nb * 32);
    for (let blk = 0; blk < N * nb; blk++) {
      const o = blk * 34;
      scales[blk] = half(ggml, o);
      for (let j = 0; j < 32; j++) B[blk * 32 + j] = (ggml[o + 2 + j] + 128) & 255; // int8 -> code + 128
    }
    return { bits: 8, blockSize: 32, B, scales, zeroPoints: null, inexactBlocks: 0 };
  }
  // Q4_K: 144-byte super-blocks of 256 = 8 sub-blocks of 32 (see kernels/ref/dequant.ts).
  const B = new Uint8Array(N * nb * 16);
  const zeroPoints = new Float32Array(N * nb);
  let inexact = 0;
  for (let sb = 0; sb < (N * K) / 256; sb++) {
    const o = sb * 144;
    const d = half(ggml, o);
    const dmin = half(ggml, o + 2);
    for (let g = 0; g < 4; g++) {
      for (let hi = 0; hi < 2; hi++) {
        const sub = 2 * g + hi;
        const blk = sb * 8 + sub;
        const [sc, m] = kScaleMin(ggml, o + 4, sub);
        const scale = Math.fround(d * sc);
        const min = Math.fround(dmin * m);
        scales[blk] = scale;
        if (scale === 0) {
          inexact++;
          zeroPoints[blk] = 0;
        } else {
          zeroPoints[blk] = min / scale;
        }
        const q = (l: number) => (hi ? ggml[o + 16 + 32 * g + l] >> 4 : ggml[o + 16 + 32 * g + l] & 15);
        for (let i = 0; i < 16; i++) B[blk * 16 + i] = q(2 * i) | (q(2 * i + 1) << 4);
      }
    }
  }
  return { bits: 4, blockSize: 32, B, scales, zeroPoints, inexactBlocks: inexact };
}

/** CPU dequantization of MatMulNBits inputs, to prove the encoding before ORT sees it. */
export function dequantNBits(w: NBitsWeight, N: number, K: number): Float32Array {
  const nb = K / 32;
  const out = new Float32Array(N * K);
  const per = (32 * w.bits) / 8;
  const zpDefault = 2 ** (w.bits - 1);
  for (let blk = 0; blk < N * nb; blk++) {
    const zp = w.zeroPoints ? w.zeroPoints[blk] : zpDefault;
    for (let j = 0; j < 32; j++) {
      const code = w.bits === 8 ? w.B[blk * per + j] : (w.B[blk * per + (j >> 1)] >> ((j & 1) * 4)) & 15;
      out[blk * 32 + j] = Math.fround((code - zp) * w.scales[blk]);
    }
  }
  return out;
}
