// The weight types the quantized kernels read, and the GPU layout of each after repacking
// (repack.ts writes it, shaders/lib/quant.wgsl reads it; the WGSL header draws every layout).
//
// A repacked [rows, K] tensor is two u32 arrays, both row-major with a fixed stride per row:
//   q: the quantized values (or dense floats), `qStride` words per row;
//   s: per-block scales/mins, `sStride` words per row (none for F32/F16/BF16).
// Block boundaries never straddle a word, so every read in a shader is an aligned u32.
import { EngineError } from '../../util/errors';
import { GgmlType } from '../../formats/gguf/types';
import { ggmlTypeName } from '../../formats/gguf/ggml-types';
import type { Defines } from '../../runtime/wgsl';

export type QuantType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_1' | 'q4_k' | 'q5_k' | 'q6_k' | 'q5_0' | 'q5_1';

// Q5_0/Q5_1 come last, not beside Q4_0/Q4_1: test seeds are derived from a type's index here, and
// appending keeps every earlier type's test data as it was.
export const QUANT_TYPES: readonly QuantType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q4_k', 'q5_k', 'q6_k', 'q5_0', 'q5_1'];

export interface QuantFormat {
  type: QuantType;
  ggml: GgmlType;
  /** Values per GGUF block (1 for plain floats). K must be a multiple of it. */
  blockSize: number;
  /** Dense float rows (no scales): F32, F16, BF16. */
  dense: boolean;
  /** u32 words of q per block (dense: per 8 values, the shaders' chunk). */
  qWords: number;
  /** u32 words of s per block; 0.5 means an f16 pair shared by two blocks. */
  sWords: number;
  /** Shader define that selects the type's reader in lib/quant.wgsl. */
  define: string;
}

const F = (type: QuantType, ggml: GgmlType, blockSize: number, qWords: number, sWords: number): QuantFormat => ({
  type, ggml, blockSize, dense: sWords === 0, qWords, sWords, define: `QT_${type.toUpperCase()}`,
});

export const QUANT_FORMATS: Readonly<Record<QuantType, QuantFormat>> = {
  f32: F('f32', GgmlType.F32, 1, 8, 0),
  f16: F('f16', GgmlType.F16, 1, 4, 0),
  bf16: F('bf16', GgmlType.BF16, 1, 4, 0),
  q8_0: F('q8_0', GgmlType.Q8_0, 32, 8, 0.5), // 32 x i8; f16 d (pairs of blocks per word)
  q4_0: F('q4_0', GgmlType.Q4_0, 32, 4, 0.5), // 16 bytes of nibbles; f16 d
  q4_1: F('q4_1', GgmlType.Q4_1, 32, 4, 1), // nibbles; f16 (d, m)
  q4_k: F('q4_k', GgmlType.Q4_K, 256, 32, 5), // qs; (d, dmin) f16 pair, 8 u8 scales, 8 u8 mins
  q5_k: F('q5_k', GgmlType.Q5_K, 256, 40, 5), // qh then qs; scales as Q4_K
  q6_k: F('q6_k', GgmlType.Q6_K, 256, 48, 5), // ql then qh; (d, 0) f16 pair, 16 i8 scales
  q5_0: F('q5_0', GgmlType.Q5_0, 32, 5, 0.5), // qh word then nibbles as Q4_0; f16 d
  q5_1: F('q5_1', GgmlType.Q5_1, 32, 5, 1), // qh word then nibbles; f16 (d, m)
};

/** The quant type of a GGUF tensor type, or an Unsupported error naming what is supported. */
export function quantTypeOf(ggml: GgmlType): QuantType {
  const f = Object.values(QUANT_FORMATS).find((q) => q.ggml === ggml);
  if (!f) {
    throw new EngineError('Unsupported', `GPU kernels cannot read ${ggmlTypeName(ggml)} weights (supported: ${QUANT_TYPES.join(', ')}).`, {
      hint: 'Pick a GGUF file quantized as Q4_K_M, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16 or F32.',
    });
  }
  return f.type;
}

export interface RowLayout {
  /** u32 words of q per row. */
  qStride: number;
  /** u32 words of s per row (0 for dense types). */
  sStride: number;
  /** Chunks of 8 values per row, the unit every shader loop steps by (ceil(K / 8)). */
  chunks: number;
}

/** Per-row strides of a repacked [rows, K] tensor. Dense rows are zero-padded to 8 values. */
export function rowLayout(type: QuantType, K: number): RowLayout {
  const f = QUANT_FORMATS[type];
  checkK(type, K, 'repack');
  const chunks = Math.ceil(K / 8);
  if (f.dense) return { qStride: chunks * f.qWords, sStride: 0, chunks };
  const nb = K / f.blockSize;
  return { qStride: nb * f.qWords, sStride: Math.ceil(nb * f.sWords), chunks };
}

/** Refuse a row length that is not a whole number of blocks, naming the op and the value. */
export function checkK(type: QuantType, K: number, op: string): void {
  const bs = QUANT_FORMATS[type].blockSize;
  if (!Number.isInteger(K) || K <= 0 || K % bs !== 0) {
    throw new EngineError('Internal', `${op}: K must be a positive multiple of ${bs} for ${type} (got ${K})`);
  }
}

/**
 * How the shader reads a type. `f16`: native f16 storage for F16 weights (needs shader-f16);
 * without it F16 is read as u32 pairs with unpack2x16float.
 */
export function quantDefines(type: QuantType, opts: { nativeF16?: boolean } = {}): Defines {
  const f = QUANT_FORMATS[type];
  const native = type === 'f16' && opts.nativeF16 === true;
  return {
    [f.define]: true,
    ...(native ? { QT_F16_NATIVE: true, NEEDS_F16: true } : {}),
    DENSE: f.dense,
    HAS_SCALES: !f.dense,
    Q_ELEM: type === 'f32' ? 'vec4<f32>' : native ? 'vec4<f16>' : 'u32',
  };
}

/** Binding numbers for a kernel's optional operands: contiguous, in the order given, uniforms last. */
export function bindingSlots(names: readonly string[]): Defines {
  const out: Defines = {};
  names.forEach((n, i) => (out[`B_${n.toUpperCase()}`] = i));
  out.B_PARAMS = names.length;
  return out;
}
