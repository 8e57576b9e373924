// A GGUF writer for tests and benchmarks (random-weight models, corrupt files to break the parser
// with). The engine itself never writes files. JS numbers cannot say whether they are u32, i32 or
// f32, so every number (and bigint) needs its stored type spelled out; only strings and booleans,
// and arrays of them, are inferred. Layout as in parse.ts: header, metadata, tensor infos, padding
// to the alignment, tensor data with each tensor padded to the alignment.

import { GGML_TYPE_INFO, typeBytes } from './ggml-types';
import { GgufValueType, type GgmlType, type GgufValue } from './types';

export type GgufScalarKind = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'bool' | 'string';
/** A stored type: a short name ('u32'), a GgufValueType id, or an array of one (arrays may nest). */
export type GgufKind = GgufScalarKind | GgufValueType | { array: GgufKind };

export interface GgufWriteTensor {
  name: string;
  /** GGUF order: dims[0] is the row length. */
  dims: number[];
  type: GgmlType;
  data: Uint8Array;
}

export interface GgufWriteSpec {
  metadata: Array<[key: string, value: GgufValue, type?: GgufKind]>;
  tensors: GgufWriteTensor[];
  /** Written as general.alignment when not 32 (and not already in metadata). Default 32. */
  alignment?: number;
  version?: 2 | 3;
}

const KIND_IDS: Record<GgufScalarKind, GgufValueType> = {
  u8: GgufValueType.UINT8, i8: GgufValueType.INT8, u16: GgufValueType.UINT16, i16: GgufValueType.INT16,
  u32: GgufValueType.UINT32, i32: GgufValueType.INT32, u64: GgufValueType.UINT64, i64: GgufValueType.INT64,
  f32: GgufValueType.FLOAT32, f64: GgufValueType.FLOAT64, bool: GgufValueType.BOOL, string: GgufValueType.STRING,
};

const INT_RANGES: Partial<Record<GgufValueType, [number, number]>> = {
  [GgufValueType.UINT8]: [0, 0xff], [GgufValueType.INT8]: [-0x80, 0x7f],
  [GgufValueType.UINT16]: [0, 0xffff], [GgufValueType.INT16]: [-0x8000, 0x7fff],
  [GgufValueType.UINT32]: [0, 0xffffffff], [GgufValueType.INT32]: [-0x80000000, 0x7fffffff],
};

const utf8 = new TextEncoder();

type Resolved = GgufValueType | { array: Resolved };

function resolve(kind: GgufKind): Resolved {
  if (typeof kind === 'string') return KIND_IDS[kind];
  if (typeof kind === 'number') return kind;
  return { array: resolve(kind.array) };
}

/** The stored type of a value with no declared type, or undefined when it is ambiguous. */
function infer(v: GgufValue): Resolved | undefined {
  if (typeof v === 'string') return GgufValueType.STRING;
  if (typeof v === 'boolean') return GgufValueType.BOOL;
  if (!Array.isArray(v) || v.length === 0) return undefined;
  if (v.every((x) => typeof x === 'string')) return { array: GgufValueType.STRING }; // fast path: vocabularies
  const inner = v.map(infer);
  const first = JSON.stringify(inner[0]);
  return inner[0] !== undefined && inner.every((k) => JSON.stringify(k) === first) ? { array: inner[0] } : undefined;
}

class Bytes {
  buf = new Uint8Array(1024);
  view = new DataView(this.buf.buffer);
  length = 0;
  private grow(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // grow() may replace buf/view, so it must run before they are read: hence `at` first.
  private put(n: number, write: (view: DataView, at: number) => void) {
    const at = this.grow(n);
    write(this.view, at);
  }
  u8(v: number) { this.put(1, (w, at) => w.setUint8(at, v)); }
  i8(v: number) { this.put(1, (w, at) => w.setInt8(at, v)); }
  u16(v: number) { this.put(2, (w, at) => w.setUint16(at, v, true)); }
  i16(v: number) { this.put(2, (w, at) => w.setInt16(at, v, true)); }
  u32(v: number) { this.put(4, (w, at) => w.setUint32(at, v, true)); }
  i32(v: number) { this.put(4, (w, at) => w.setInt32(at, v, true)); }
  f32(v: number) { this.put(4, (w, at) => w.setFloat32(at, v, true)); }
  f64(v: number) { this.put(8, (w, at) => w.setFloat64(at, v, true)); }
  u64(v: number | bigint) { this.put(8, (w, at) => w.setBigUint64(at, BigInt(v), true)); }
  i64(v: number | bigint) { this.put(8, (w, at) => w.setBigInt64(at, BigInt(v), true)); }
  raw(b: Uint8Array) {
    const at = this.grow(b.length);
    this.buf.set(b, at);
  }
  string(s: string) {
    const b = utf8.encode(s);
    this.u64(b.length);
    this.raw(b);
  }
  padTo(alignment: number) { this.grow((alignment - (this.length % alignment)) % alignment); }
}

function writeValue(out: Bytes, key: string, v: GgufValue, kind: Resolved): void {
  const bad = (what: string) => new TypeError(`writeGguf: metadata "${key}" = ${String(v).slice(0, 40)} ${what}`);
  if (typeof kind === 'object') {
    if (!Array.isArray(v)) throw bad('is not an array, but its type says array');
    out.u32(typeof kind.array === 'object' ? GgufValueType.ARRAY : kind.array);
    out.u64(v.length);
    // Elements of an array of arrays carry no type tag of their own: each is (type, count, values).
    v.forEach((x, i) => writeValue(out, `${key}[${i}]`, x, kind.array));
    return;
  }
  if (kind === GgufValueType.ARRAY) throw bad("has type ARRAY without an element type; use { array: 'u32' }-style types");
  if (kind === GgufValueType.STRING) {
    if (typeof v !== 'string') throw bad('is not a string');
    return out.string(v);
  }
  if (kind === GgufValueType.BOOL) {
    if (typeof v !== 'boolean') throw bad('is not a boolean');
    return out.u8(v ? 1 : 0);
  }
  if (kind === GgufValueType.UINT64 || kind === GgufValueType.INT64) {
    if (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isSafeInteger(v))) throw bad('is not an integer');
    const lo = kind === GgufValueType.UINT64 ? 0n : -(1n << 63n);
    const hi = kind === GgufValueType.UINT64 ? (1n << 64n) - 1n : (1n << 63n) - 1n;
    if (BigInt(v) < lo || BigInt(v) > hi) throw bad(`does not fit ${GgufValueType[kind]}`);
    return kind === GgufValueType.UINT64 ? out.u64(v) : out.i64(v);
  }
  if (typeof v !== 'number') throw bad(`is not a number, but its type is ${GgufValueType[kind]}`);
  if (kind === GgufValueType.FLOAT32) return out.f32(v);
  if (kind === GgufValueType.FLOAT64) return out.f64(v);
  const range = INT_RANGES[kind];
  if (!range) throw bad(`has unknown type id ${kind}`);
  if (!Number.isInteger(v) || v < range[0] || v > range[1]) throw bad(`does not fit ${GgufValueType[kind]}`);
  const writers: Record<number, (x: number) => void> = {
    [GgufValueType.UINT8]: (x) => out.u8(x), [GgufValueType.INT8]: (x) => out.i8(x),
    [GgufValueType.UINT16]: (x) => out.u16(x), [GgufValueType.INT16]: (x) => out.i16(x),
    [GgufValueType.UINT32]: (x) => out.u32(x), [GgufValueType.INT32]: (x) => out.i32(x),
  };
  writers[kind](v);
}

/** Serialize a whole GGUF file. Tensor data lengths are checked against their type and shape. */
export function writeGguf(spec: GgufWriteSpec): Uint8Array<ArrayBuffer> {
  const metadata = [...spec.metadata];
  const declared = metadata.find(([k]) => k === 'general.alignment');
  const alignment = spec.alignment ?? (declared ? Number(declared[1]) : 32);
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`writeGguf: alignment ${alignment} is not a power of two`);
  }
  if (declared && Number(declared[1]) !== alignment) {
    throw new RangeError(`writeGguf: general.alignment ${String(declared[1])} disagrees with alignment ${alignment}`);
  }
  if (!declared && alignment !== 32) metadata.push(['general.alignment', alignment, 'u32']);

  const out = new Bytes();
  out.raw(utf8.encode('GGUF'));
  out.u32(spec.version ?? 3);
  out.u64(spec.tensors.length);
  out.u64(metadata.length);
  for (const [key, value, kind] of metadata) {
    const resolved = kind !== undefined ? resolve(kind) : infer(value);
    if (resolved === undefined) {
      throw new TypeError(`writeGguf: metadata "${key}" needs an explicit type (u32, i32, f32, u64, { array: 'f32' }...): ` +
        'only strings, booleans and non-empty arrays of them are inferred');
    }
    out.string(key);
    out.u32(typeof resolved === 'object' ? GgufValueType.ARRAY : resolved);
    writeValue(out, key, value, resolved);
  }

  let offset = 0;
  for (const t of spec.tensors) {
    const info = GGML_TYPE_INFO[t.type];
    if (!info) throw new RangeError(`writeGguf: tensor "${t.name}" has unknown type ${t.type}`);
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.dims[0] % info.blockSize !== 0) {
      throw new RangeError(`writeGguf: tensor "${t.name}" rows of ${t.dims[0]} are not whole ${info.name} blocks of ${info.blockSize}`);
    }
    const nbytes = typeBytes(t.type, count);
    if (t.data.length !== nbytes) {
      throw new RangeError(`writeGguf: tensor "${t.name}" (${info.name} [${t.dims.join(', ')}]) needs ${nbytes} bytes, got ${t.data.length}`);
    }
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.type);
    out.u64(offset);
    offset += Math.ceil(nbytes / alignment) * alignment;
  }
  out.padTo(alignment);
  for (const t of spec.tensors) {
    out.raw(t.data);
    out.padTo(alignment);
  }
  return out.buf.slice(0, out.length);
}
