// Sizes of ggml tensor types: how many values a block holds and how many bytes it takes. The
// parser computes each tensor's byte size from this table, the loader slices tensors by it and
// the dequantizers walk blocks by it, so it must match ggml's block structs (ggml-common.h).

import { GgmlType } from './types';

export interface GgmlTypeInfo {
  /** Values per block (1 for plain floats). */
  blockSize: number;
  /** Bytes per block. */
  bytesPerBlock: number;
  name: string;
}

/** Every type of the GgmlType enum. K-quants pack 256 values (QK_K); the older quants 32. */
export const GGML_TYPE_INFO: Readonly<Record<GgmlType, GgmlTypeInfo>> = {
  [GgmlType.F32]: { blockSize: 1, bytesPerBlock: 4, name: 'F32' },
  [GgmlType.F16]: { blockSize: 1, bytesPerBlock: 2, name: 'F16' },
  [GgmlType.BF16]: { blockSize: 1, bytesPerBlock: 2, name: 'BF16' },
  [GgmlType.Q4_0]: { blockSize: 32, bytesPerBlock: 2 + 16, name: 'Q4_0' }, // d, 16 bytes of nibbles
  [GgmlType.Q4_1]: { blockSize: 32, bytesPerBlock: 4 + 16, name: 'Q4_1' }, // d, m, nibbles
  [GgmlType.Q5_0]: { blockSize: 32, bytesPerBlock: 2 + 4 + 16, name: 'Q5_0' }, // d, qh (32 high bits), nibbles
  [GgmlType.Q5_1]: { blockSize: 32, bytesPerBlock: 4 + 4 + 16, name: 'Q5_1' }, // d, m, qh, nibbles
  [GgmlType.Q8_0]: { blockSize: 32, bytesPerBlock: 2 + 32, name: 'Q8_0' }, // d, 32 int8
  [GgmlType.Q8_1]: { blockSize: 32, bytesPerBlock: 4 + 32, name: 'Q8_1' }, // d, s, 32 int8
  [GgmlType.Q2_K]: { blockSize: 256, bytesPerBlock: 16 + 64 + 4, name: 'Q2_K' }, // scales, qs, d, dmin
  [GgmlType.Q3_K]: { blockSize: 256, bytesPerBlock: 32 + 64 + 12 + 2, name: 'Q3_K' }, // hmask, qs, scales, d
  [GgmlType.Q4_K]: { blockSize: 256, bytesPerBlock: 4 + 12 + 128, name: 'Q4_K' }, // d, dmin, scales, qs
  [GgmlType.Q5_K]: { blockSize: 256, bytesPerBlock: 4 + 12 + 32 + 128, name: 'Q5_K' }, // d, dmin, scales, qh, qs
  [GgmlType.Q6_K]: { blockSize: 256, bytesPerBlock: 128 + 64 + 16 + 2, name: 'Q6_K' }, // ql, qh, scales, d
  [GgmlType.Q8_K]: { blockSize: 256, bytesPerBlock: 4 + 256 + 32, name: 'Q8_K' }, // f32 d, qs, i16 bsums
};

/** Names of ggml type ids this engine does not know, so an "unsupported" message can name them. */
const OTHER_TYPE_NAMES: Record<number, string> = {
  4: 'Q4_2 (removed from ggml)', 5: 'Q4_3 (removed from ggml)',
  16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S',
  23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M',
  34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

export function isKnownGgmlType(id: number): id is GgmlType {
  return Object.prototype.hasOwnProperty.call(GGML_TYPE_INFO, id);
}

/** "Q4_K" for known types, "IQ2_XS (id 17)" or "id 99" for others. */
export function ggmlTypeName(id: number): string {
  if (isKnownGgmlType(id)) return GGML_TYPE_INFO[id].name;
  return OTHER_TYPE_NAMES[id] ? `${OTHER_TYPE_NAMES[id]} (id ${id})` : `id ${id}`;
}

/** Bytes of `count` values of `type`; count must be a whole number of blocks. */
export function typeBytes(type: GgmlType, count: number): number {
  const info = GGML_TYPE_INFO[type];
  if (count % info.blockSize !== 0) {
    throw new RangeError(`${info.name}: ${count} values is not a whole number of ${info.blockSize}-value blocks`);
  }
  return (count / info.blockSize) * info.bytesPerBlock;
}
