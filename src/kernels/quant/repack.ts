// Repack at load: GGUF blocks (18, 20, 22, 24, 34, 144, 176, 210 bytes: mostly not 4-byte
// aligned) become two aligned u32 arrays per tensor, quants in one and scales in the other
// (layouts in format.ts and drawn in shaders/lib/quant.wgsl). Pure CPU work on the loader's
// bytes, done once per weight.
//
// A tensor bigger than the device's largest storage binding (a 150k-vocab embedding in f16 is
// ~270 MiB; WebGPU's default is 128 MiB) is split by rows into parts that each fit; kernels run
// once per part with the part's first row as an offset.
import { GGML_TYPE_INFO } from '../../formats/gguf/ggml-types';
import { kScaleMin } from '../ref/dequant';
import { EngineError } from '../../util/errors';
import { QUANT_FORMATS, rowLayout, type QuantType, type RowLayout } from './format';

export interface RowRange {
  rowStart: number;
  rows: number;
}

export interface RepackedPart extends RowRange {
  /** [rows, layout.qStride] u32 */
  q: Uint32Array<ArrayBuffer>;
  /** [rows, layout.sStride] u32; null for dense types. */
  s: Uint32Array<ArrayBuffer> | null;
}

export interface RepackedTensor {
  type: QuantType;
  rows: number;
  K: number;
  layout: RowLayout;
  parts: RepackedPart[];
}

export interface RepackOptions {
  /** Largest buffer one part may use, in bytes: min(maxStorageBufferBindingSize, maxBufferSize). */
  maxBindingBytes?: number;
}

/** Bytes one repacked row takes in q and in s. */
export function repackedRowBytes(type: QuantType, K: number): { q: number; s: number } {
  const l = rowLayout(type, K);
  return { q: l.qStride * 4, s: l.sStride * 4 };
}

/**
 * Split `rows` rows into consecutive ranges whose q and s arrays each fit in `maxBindingBytes`.
 * One range when everything fits.
 */
export function splitRows(rows: number, rowBytes: { q: number; s: number }, maxBindingBytes: number): RowRange[] {
  const widest = Math.max(rowBytes.q, rowBytes.s);
  const per = Math.floor(maxBindingBytes / widest);
  if (per < 1) {
    throw new EngineError('Unsupported', `A weight row needs ${widest} bytes, more than the ${maxBindingBytes}-byte storage binding limit.`, {
      hint: 'This model is too wide for this GPU; try a smaller model.',
    });
  }
  const out: RowRange[] = [];
  for (let r = 0; r < rows; r += per) out.push({ rowStart: r, rows: Math.min(per, rows - r) });
  return out;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Copy `n` little-endian words from unaligned bytes. */
function words(src: Uint8Array, o: number, dst: Uint32Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = u32(src, o + 4 * i);
}

/** Repack one block: source bytes at `o`, q words from `qo`, this row's s words from `so`, block `b` of the row. */
type BlockRepack = (src: Uint8Array, o: number, q: Uint32Array, qo: number, s: Uint32Array, so: number, b: number) => void;

/** f16 d of block b goes in half (b & 1) of word b >> 1. */
const halfScale = (s: Uint32Array, so: number, b: number, h: number) => {
  s[so + (b >> 1)] |= h << (16 * (b & 1));
};

/** 8 six-bit scales and 8 mins (Q4_K, Q5_K), one byte each: words 1-2 scales, words 3-4 mins. */
function kScales(src: Uint8Array, o: number, s: Uint32Array, at: number): void {
  s[at] = (u16(src, o) | (u16(src, o + 2) << 16)) >>> 0; // (d, dmin)
  for (let j = 0; j < 8; j++) {
    const [sc, m] = kScaleMin(src, o + 4, j);
    s[at + 1 + (j >> 2)] |= sc << (8 * (j & 3));
    s[at + 3 + (j >> 2)] |= m << (8 * (j & 3));
  }
}

const BLOCKS: Partial<Record<QuantType, BlockRepack>> = {
  q8_0: (src, o, q, qo, s, so, b) => {
    words(src, o + 2, q, qo, 8);
    halfScale(s, so, b, u16(src, o));
  },
  q4_0: (src, o, q, qo, s, so, b) => {
    words(src, o + 2, q, qo, 4);
    halfScale(s, so, b, u16(src, o));
  },
  q4_1: (src, o, q, qo, s, so, b) => {
    words(src, o + 4, q, qo, 4);
    s[so + b] = (u16(src, o) | (u16(src, o + 2) << 16)) >>> 0;
  },
  q5_0: (src, o, q, qo, s, so, b) => {
    words(src, o + 2, q, qo, 5); // qh (1 word) then qs (4 words): contiguous in the block already
    halfScale(s, so, b, u16(src, o));
  },
  q5_1: (src, o, q, qo, s, so, b) => {
    words(src, o + 4, q, qo, 5); // qh then qs, as Q5_0
    s[so + b] = (u16(src, o) | (u16(src, o + 2) << 16)) >>> 0;
  },
  q4_k: (src, o, q, qo, s, so, b) => {
    words(src, o + 16, q, qo, 32);
    kScales(src, o, s, so + 5 * b);
  },
  q5_k: (src, o, q, qo, s, so, b) => {
    words(src, o + 16, q, qo, 8); // qh
    words(src, o + 48, q, qo + 8, 32); // qs
    kScales(src, o, s, so + 5 * b);
  },
  q6_k: (src, o, q, qo, s, so, b) => {
    words(src, o, q, qo, 48); // ql (32 words) then qh (16 words): contiguous in the block already
    s[so + 5 * b] = u16(src, o + 208);
    words(src, o + 192, s, so + 5 * b + 1, 4); // 16 int8 scales, sign-extended by the reader
  },
};

function repackDenseRow(type: QuantType, src: Uint8Array, o: number, K: number, q: Uint32Array, qo: number): void {
  if (type === 'f32') {
    words(src, o, q, qo, K);
    return;
  }
  // F16 / BF16: two halves per word, element 2i in the low half (the bytes as stored, when K is even).
  for (let i = 0; i < K; i += 2) {
    const lo = u16(src, o + 2 * i);
    const hi = i + 1 < K ? u16(src, o + 2 * i + 2) : 0;
    q[qo + (i >> 1)] = (lo | (hi << 16)) >>> 0;
  }
}

/**
 * Repack the raw GGUF bytes of a [rows, K] tensor of `type` (rows of K values, row-major as ggml
 * stores a weight: one row per output feature).
 */
export function repack(type: QuantType, bytes: Uint8Array, rows: number, K: number, opts: RepackOptions = {}): RepackedTensor {
  const f = QUANT_FORMATS[type];
  const layout = rowLayout(type, K);
  if (!Number.isInteger(rows) || rows <= 0) throw new EngineError('Internal', `repack ${type}: rows must be a positive integer (got ${rows})`);
  const info = GGML_TYPE_INFO[f.ggml];
  const nb = K / info.blockSize;
  const srcRow = nb * info.bytesPerBlock;
  if (bytes.length < rows * srcRow) {
    throw new EngineError('ModelLoad', `repack ${type}: a [${rows}, ${K}] tensor needs ${rows * srcRow} bytes, got ${bytes.length}`);
  }
  const ranges = splitRows(rows, { q: layout.qStride * 4, s: layout.sStride * 4 }, opts.maxBindingBytes ?? Infinity);
  const block = BLOCKS[type];
  const parts = ranges.map(({ rowStart, rows: n }): RepackedPart => {
    const q = new Uint32Array(Math.max(1, n * layout.qStride));
    const s = f.dense ? null : new Uint32Array(Math.max(1, n * layout.sStride));
    for (let r = 0; r < n; r++) {
      const o = (rowStart + r) * srcRow;
      if (!block || !s) {
        repackDenseRow(type, bytes, o, K, q, r * layout.qStride);
        continue;
      }
      for (let b = 0; b < nb; b++) {
        block(bytes, o + b * info.bytesPerBlock, q, r * layout.qStride + b * f.qWords, s, r * layout.sStride, b);
      }
    }
    return { rowStart, rows: n, q, s };
  });
  return { type, rows, K, layout, parts };
}
