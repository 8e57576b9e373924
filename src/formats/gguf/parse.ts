// GGUF v2/v3 header parser (little-endian). Layout: magic "GGUF", u32 version, u64 tensor count,
// u64 metadata count, then metadata (string key, u32 type, value), then tensor infos (string name,
// u32 n_dims, u64 dims[n_dims], u32 type, u64 offset relative to the data section), then padding to
// `general.alignment` (default 32) and the tensor data. Only the header is read; tensors are left
// for the loader to fetch range by range. Every check names the byte, key or tensor it failed on.

import { loadError } from '../errors';
import type { ByteSource } from '../source';
import { HeaderReader, TruncatedError, type ReaderOptions } from './reader';
import { GGML_TYPE_INFO, ggmlTypeName, isKnownGgmlType } from './ggml-types';
import { GgufValueType, type GgufFile, type GgufTensorInfo, type GgufValue, type GgufValueTypeSpec } from './types';

export { GGML_TYPE_INFO, ggmlTypeName, typeBytes } from './ggml-types';
export * from './meta';

export type ParseOptions = ReaderOptions;

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
// Bounds on counts, far above any real model, so a corrupt count fails fast instead of allocating.
const MAX_TENSORS = 1 << 20;
const MAX_KV = 1 << 20;
const MAX_ARRAY = 1 << 28;
const MAX_STRING = 64 * 1024 * 1024;

/** Fixed-size scalar types: bytes per value. */
const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1, [GgufValueType.INT8]: 1, [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT16]: 2, [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4, [GgufValueType.INT32]: 4, [GgufValueType.FLOAT32]: 4,
  [GgufValueType.UINT64]: 8, [GgufValueType.INT64]: 8, [GgufValueType.FLOAT64]: 8,
};

function hex(bytes: Uint8Array): string {
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${h} ("${text}")`;
}

async function readString(r: HeaderReader, field: string): Promise<string> {
  if (r.available < 8) await r.fill(8, `the length of ${field}`);
  const at = r.pos;
  const len = r.u64Number(`the length of ${field}`);
  if (len > MAX_STRING) r.corrupt(`the length of ${field}`, at, `${len}`, 'longer than any GGUF string');
  if (r.available < len) await r.fill(len, field);
  return r.string(len);
}

/** Decode `count` fixed-size values; `bytes` are already buffered. Plain arrays, as GgufValue asks. */
function readScalars(r: HeaderReader, type: GgufValueType, count: number): GgufValue[] {
  const out = new Array<GgufValue>(count);
  const { view, at } = r.span(count * SCALAR_BYTES[type]!);
  let p = at;
  switch (type) {
    case GgufValueType.UINT8: for (let i = 0; i < count; i++) out[i] = view.getUint8(p++); break;
    case GgufValueType.INT8: for (let i = 0; i < count; i++) out[i] = view.getInt8(p++); break;
    case GgufValueType.BOOL: for (let i = 0; i < count; i++) out[i] = view.getUint8(p++) !== 0; break;
    case GgufValueType.UINT16: for (let i = 0; i < count; i++, p += 2) out[i] = view.getUint16(p, true); break;
    case GgufValueType.INT16: for (let i = 0; i < count; i++, p += 2) out[i] = view.getInt16(p, true); break;
    case GgufValueType.UINT32: for (let i = 0; i < count; i++, p += 4) out[i] = view.getUint32(p, true); break;
    case GgufValueType.INT32: for (let i = 0; i < count; i++, p += 4) out[i] = view.getInt32(p, true); break;
    case GgufValueType.FLOAT32: for (let i = 0; i < count; i++, p += 4) out[i] = view.getFloat32(p, true); break;
    case GgufValueType.FLOAT64: for (let i = 0; i < count; i++, p += 8) out[i] = view.getFloat64(p, true); break;
    case GgufValueType.UINT64: for (let i = 0; i < count; i++, p += 8) out[i] = view.getBigUint64(p, true); break;
    case GgufValueType.INT64: for (let i = 0; i < count; i++, p += 8) out[i] = view.getBigInt64(p, true); break;
  }
  return out;
}

async function readValue(r: HeaderReader, type: number, field: string, at: number): Promise<[GgufValue, GgufValueTypeSpec]> {
  const size = SCALAR_BYTES[type as GgufValueType];
  if (size !== undefined) {
    if (r.available < size) await r.fill(size, field);
    return [readScalars(r, type, 1)[0], type];
  }
  if (type === GgufValueType.STRING) return [await readString(r, field), type];
  if (type !== GgufValueType.ARRAY) r.corrupt(`the value type of ${field}`, at, `${type}`, 'not a GGUF value type (0-12)');

  if (r.available < 12) await r.fill(12, `the array header of ${field}`);
  const typeAt = r.pos;
  const elemType = r.u32();
  const countAt = r.pos;
  const count = r.u64Number(`the length of ${field}`);
  const elemSize = SCALAR_BYTES[elemType as GgufValueType];
  const minBytes = count * (elemSize ?? 8);
  if (count > MAX_ARRAY) r.corrupt(`the length of ${field}`, countAt, `${count}`, 'more elements than any GGUF array');
  // A count the rest of the file cannot hold is a cut-off file: fill() says so before we allocate.
  if (r.remaining !== undefined && minBytes > r.remaining) await r.fill(minBytes, field);
  if (elemSize !== undefined) {
    if (r.available < count * elemSize) await r.fill(count * elemSize, field);
    return [readScalars(r, elemType, count), { array: elemType }];
  }
  const out = new Array<GgufValue>(count);
  if (elemType === GgufValueType.STRING) {
    for (let i = 0; i < count; i++) {
      // Inlined readString: 150k vocabulary entries should not cost 300k awaits.
      if (r.available < 8) await r.fill(8, `${field}[${i}]`);
      const lenAt = r.pos;
      const len = r.u64Number(`the length of ${field}[${i}]`);
      if (len > MAX_STRING) r.corrupt(`the length of ${field}[${i}]`, lenAt, `${len}`, 'longer than any GGUF string');
      if (r.available < len) await r.fill(len, `${field}[${i}]`);
      out[i] = r.string(len);
    }
    return [out, { array: GgufValueType.STRING }];
  }
  if (elemType !== GgufValueType.ARRAY) r.corrupt(`the element type of ${field}`, typeAt, `${elemType}`, 'not a GGUF value type (0-12)');
  let spec: GgufValueTypeSpec = { array: GgufValueType.UINT8 };
  for (let i = 0; i < count; i++) {
    const [v, s] = await readValue(r, GgufValueType.ARRAY, `${field}[${i}]`, r.pos);
    out[i] = v;
    spec = s;
  }
  return [out, { array: spec }];
}

/** Parse the header of a GGUF file: metadata and tensor infos, without touching tensor data. */
export async function parseGguf(source: ByteSource, opts: ParseOptions = {}): Promise<GgufFile> {
  const r = new HeaderReader(source, opts);
  const name = source.name;

  try {
    await r.fill(4, 'the magic number');
  } catch (e) {
    // Only a file too short for the magic is "not a GGUF"; a failed read (HTTP 404, network) keeps
    // its own message, which says what to check.
    if (!(e instanceof TruncatedError)) throw e;
    throw loadError('ModelLoad', `${name} is not a GGUF file: it has only ${source.size ?? r.available} bytes.`);
  }
  if (r.u32() !== GGUF_MAGIC) {
    r.pos = 0;
    const first = r.bytes(4);
    const html = first[0] === 0x3c ? ' It looks like HTML: the URL may point to a web page rather than to the file (on Hugging Face use /resolve/, not /blob/).' : '';
    throw loadError('ModelLoad', `${name} is not a GGUF file: first bytes were ${hex(first)}, expected 47 47 55 46 ("GGUF").${html}`);
  }
  if (r.available < 20) await r.fill(20, 'the header counts');
  const version = r.u32();
  if (version === 1) {
    throw loadError('Unsupported', `${name} is GGUF version 1, which llama.cpp dropped in 2023. Convert the model again with a current llama.cpp.`);
  }
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24 | (version & 0xff00) << 8 | (version >>> 8 & 0xff00) | version >>> 24) >>> 0;
    const why = swapped === 2 || swapped === 3 ? 'It is a big-endian GGUF; this engine reads little-endian files only.' : 'This engine reads versions 2 and 3.';
    throw loadError('Unsupported', `${name} has GGUF version ${version}. ${why} Use a little-endian v3 file (what llama.cpp writes).`);
  }
  const tensorCount = r.u64Number('the tensor count');
  if (tensorCount > MAX_TENSORS) r.corrupt('the tensor count', 8, `${tensorCount}`, 'more tensors than any model has');
  const kvCount = r.u64Number('the metadata count');
  if (kvCount > MAX_KV) r.corrupt('the metadata count', 16, `${kvCount}`, 'more entries than any model has');

  const metadata = new Map<string, GgufValue>();
  const metadataTypes = new Map<string, GgufValueTypeSpec>();
  for (let i = 0; i < kvCount; i++) {
    const keyAt = r.pos;
    const key = await readString(r, `metadata key #${i}`);
    if (metadata.has(key)) throw loadError('ModelLoad', `${name} has metadata key "${key}" twice (at byte ${keyAt}). The file is malformed; convert it again.`);
    if (r.available < 4) await r.fill(4, `the value type of "${key}"`);
    const typeAt = r.pos;
    const [value, spec] = await readValue(r, r.u32(), `metadata "${key}"`, typeAt);
    metadata.set(key, value);
    metadataTypes.set(key, spec);
  }

  let alignment = DEFAULT_ALIGNMENT;
  const align = metadata.get('general.alignment');
  if (align !== undefined) {
    const a = typeof align === 'bigint' ? Number(align) : align;
    if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0) {
      throw loadError('ModelLoad', `${name} has general.alignment = ${String(align)}; it must be a power of two. The file is malformed.`);
    }
    alignment = a;
  }

  const tensors: GgufTensorInfo[] = [];
  const rawOffsets: number[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const tname = await readString(r, `the name of tensor #${i}`);
    const field = `tensor "${tname}"`;
    if (names.has(tname)) throw loadError('ModelLoad', `${name} has two tensors named "${tname}". The file is malformed; convert it again.`);
    names.add(tname);
    if (r.available < 4) await r.fill(4, `the dimension count of ${field}`);
    const nDimsAt = r.pos;
    const nDims = r.u32();
    if (nDims < 1 || nDims > MAX_DIMS) r.corrupt(`the dimension count of ${field}`, nDimsAt, `${nDims}`, `not 1 to ${MAX_DIMS}`);
    const need = nDims * 8 + 12;
    if (r.available < need) await r.fill(need, `the shape, type and offset of ${field}`);
    const dims: number[] = [];
    let count = 1;
    for (let d = 0; d < nDims; d++) {
      const dimAt = r.pos;
      dims.push(r.u64Number(`dimension ${d} of ${field}`));
      count *= dims[d];
      if (count > Number.MAX_SAFE_INTEGER) r.corrupt(`dimension ${d} of ${field}`, dimAt, `${dims[d]}`, 'making the tensor larger than any file');
    }
    const type = r.u32();
    if (!isKnownGgmlType(type)) {
      throw loadError('Unsupported', `Tensor "${tname}" in ${name} has ggml type ${ggmlTypeName(type)}, which this engine cannot run. ` +
        'Choose a file quantized as Q4_K_M, Q5_K_M, Q6_K, Q8_0, Q4_0, F16 or F32.');
    }
    const info = GGML_TYPE_INFO[type];
    if (dims[0] % info.blockSize !== 0) {
      throw loadError('ModelLoad', `Tensor "${tname}" in ${name} is ${info.name} with rows of ${dims[0]} values, ` +
        `not a multiple of its ${info.blockSize}-value block. The file is malformed.`);
    }
    rawOffsets.push(r.u64Number(`the data offset of ${field}`));
    tensors.push({ name: tname, dims, type, offset: 0, nbytes: (count / info.blockSize) * info.bytesPerBlock });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  let byteLength = dataOffset;
  const size = source.size;
  tensors.forEach((t, i) => {
    const rel = rawOffsets[i];
    if (rel % alignment !== 0) {
      throw loadError('ModelLoad', `Tensor "${t.name}" in ${name} starts at data offset ${rel}, which is not a multiple of ` +
        `the file's alignment (${alignment}). The file is malformed; convert it again.`);
    }
    t.offset = dataOffset + rel;
    byteLength = Math.max(byteLength, t.offset + t.nbytes);
    if (size !== undefined && t.offset + t.nbytes > size) {
      throw loadError('ModelLoad', `Tensor "${t.name}" in ${name} needs bytes ${t.offset}-${t.offset + t.nbytes - 1}, ` +
        `but the file has only ${size} bytes. The file is incomplete (an interrupted download?); download it again.`);
    }
  });

  return { version, metadata, metadataTypes, tensors, alignment, dataOffset, byteLength };
}
