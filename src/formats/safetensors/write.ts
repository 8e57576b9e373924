// A safetensors writer for tests (and tools): tensors laid out in the order given, 8-byte aligned
// header padding with spaces, as the reference implementation does.
import { f32ToF16Bits } from '../../util/f16';
import type { SafetensorsDtype } from './parse';

export interface TensorToWrite {
  name: string;
  shape: number[];
  dtype: SafetensorsDtype;
  values: Float32Array;
}

export function writeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let at = 0;
  for (const t of tensors) {
    const n = t.values.length;
    const bytes = new Uint8Array(n * (t.dtype === 'F32' ? 4 : 2));
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      const v = t.values[i];
      if (t.dtype === 'F32') dv.setFloat32(4 * i, v, true);
      else if (t.dtype === 'F16') dv.setUint16(2 * i, f32ToF16Bits(v), true);
      else dv.setUint16(2 * i, new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16, true);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes.length] };
    blobs.push(bytes);
    at += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
