// safetensors: an 8-byte little-endian header length N, N bytes of JSON
//   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ..., "__metadata__": {..} }
// then the raw little-endian tensor bytes, offsets relative to the byte after the header. Only the
// header is read here (one or two small range reads); tensors are fetched range by range later, so
// a 2 GB UNet never sits in one ArrayBuffer. Every check names the tensor and what was wrong.
import { loadError } from '../errors';
import type { ByteSource } from '../source';
import { bf16BitsToF32, f16BitsToF32 } from '../../util/f16';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
export const SAFETENSORS_DTYPES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/**
 * Dtypes a file may hold beside its weights (SD 1.x text encoders keep an I64 `position_ids` buffer):
 * listed in `others` with their size checked, never read.
 */
const OTHER_DTYPES: Record<string, number> = { F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset in the file. */
  offset: number;
  nbytes: number;
}

export interface SafetensorsFile {
  source: string;
  headerBytes: number;
  byteLength: number;
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensor>;
  /** Tensors of a dtype the playground does not read (name -> dtype). */
  others: Map<string, string>;
}

/** Headers larger than this are refused as corrupt (real ones are well under 1 MB). */
const MAX_HEADER = 100 * 2 ** 20;

export async function parseSafetensors(src: ByteSource, opts: { signal?: AbortSignal } = {}): Promise<SafetensorsFile> {
  const name = src.name;
  const bad = (msg: string) =>
    loadError('ModelLoad', `${name} is not a valid safetensors file: ${msg}.`, { hint: 'Download the file again, or pick the .safetensors file of a diffusers model.' });
  const head = await src.read(0, 8, opts.signal);
  if (head.length < 8) throw bad(`it is only ${head.length} bytes long`);
  const dv = new DataView(head.buffer, head.byteOffset, 8);
  const n = Number(dv.getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER) throw bad(`the header length ${n} is out of range (the first 8 bytes should hold it)`);
  const size = src.size;
  if (size !== undefined && 8 + n > size) throw bad(`the header claims ${n} bytes but the file has ${size}`);
  const hb = await src.read(8, n, opts.signal);
  if (hb.length < n) throw bad(`the file ends inside its header (${hb.length} of ${n} bytes)`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
  } catch (e) {
    throw bad(`its header is not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('its header is not a JSON object');
  const dataStart = 8 + n;
  const tensors = new Map<string, SafetensorsTensor>();
  const others = new Map<string, string>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof v === 'object' && v !== null) metadata = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw bad(`tensor "${key}" has no description`);
    if (typeof t.dtype !== 'string') throw bad(`tensor "${key}" has no dtype`);
    const other = !(t.dtype in SAFETENSORS_DTYPES);
    if (other && !(t.dtype in OTHER_DTYPES)) {
      throw loadError('Unsupported', `Tensor "${key}" in ${name} is ${t.dtype}; the playground reads F32, F16 and BF16.`, {
        hint: 'Use the fp16 or fp32 variant of the model.',
      });
    }
    const dtype = t.dtype as SafetensorsDtype;
    const elemBytes = other ? OTHER_DTYPES[t.dtype] : SAFETENSORS_DTYPES[dtype];
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor "${key}" has a malformed shape`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[1] < offs[0]) {
      throw bad(`tensor "${key}" has malformed data_offsets`);
    }
    const shape = t.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    const nbytes = offs[1] - offs[0];
    if (nbytes !== count * elemBytes) {
      throw bad(`tensor "${key}" (${t.dtype} [${shape.join(', ')}]) needs ${count * elemBytes} bytes but data_offsets span ${nbytes}`);
    }
    const offset = dataStart + offs[0];
    if (size !== undefined && offset + nbytes > size) throw bad(`tensor "${key}" ends at byte ${offset + nbytes}, past the end of the file (${size})`);
    if (other) others.set(key, t.dtype);
    else tensors.set(key, { name: key, dtype, shape, offset, nbytes });
    spans.push([offs[0], offs[1], key]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw bad(`tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap`);
  }
  return { source: name, headerBytes: dataStart, byteLength: size ?? dataStart + (spans.at(-1)?.[1] ?? 0), metadata, tensors, others };
}

/** Decode raw tensor bytes to f32. */
export function toF32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const n = bytes.length / SAFETENSORS_DTYPES[dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(n);
  if (dtype === 'F32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = f16BitsToF32(dv.getUint16(2 * i, true));
  else for (let i = 0; i < n; i++) out[i] = bf16BitsToF32(dv.getUint16(2 * i, true));
  return out;
}

/** Read one tensor whole, as f32 (small tensors: norms, biases, test fixtures). */
export async function readTensorF32(src: ByteSource, t: SafetensorsTensor, signal?: AbortSignal): Promise<Float32Array> {
  const bytes = await src.read(t.offset, t.nbytes, signal);
  if (bytes.length < t.nbytes) {
    throw loadError('ModelLoad', `${src.name} ends inside tensor "${t.name}" (${bytes.length} of ${t.nbytes} bytes).`, { hint: 'The file is truncated: download it again.' });
  }
  return toF32(t.dtype, bytes);
}
