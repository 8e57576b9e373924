// The shape of a parsed GGUF file, shared by the parser, the loader and the tokenizer.
// Dimensions follow GGUF order: dims[0] is the fastest-varying (a row of a weight matrix).

/** GGML tensor type ids as stored in GGUF tensor infos. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
}

/** GGUF metadata value type ids, as stored before each value (and before an array's elements). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** A stored value's type: a scalar type id, or an array of an element type (arrays may nest). */
export type GgufValueTypeSpec = GgufValueType | { array: GgufValueTypeSpec };

/** A metadata value. Arrays of numbers are plain arrays (u64/i64 arrays become bigint[]). */
export type GgufValue = string | number | bigint | boolean | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** GGUF order: dims[0] is the innermost (contiguous) dimension. */
  dims: number[];
  type: GgmlType;
  /** Absolute byte offset of the tensor data in the file. */
  offset: number;
  /** Bytes the tensor occupies in the file. */
  nbytes: number;
}

export interface GgufFile {
  version: 2 | 3;
  metadata: Map<string, GgufValue>;
  /** The stored type of each metadata value (JS numbers cannot tell u32 from f32). Set by the parser. */
  metadataTypes?: Map<string, GgufValueTypeSpec>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute byte offset where the tensor data section begins. */
  dataOffset: number;
  /** Total bytes of the file as far as the header and tensor infos say. */
  byteLength: number;
}
