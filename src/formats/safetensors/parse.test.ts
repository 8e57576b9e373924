// The safetensors header parser: round-trips every dtype, and each kind of damage gets its own
// message naming the tensor.
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../source';
import { parseSafetensors, readTensorF32 } from './parse';
import { writeSafetensors } from './write';

const vals = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.125 * k);

function rawFile(header: object, dataBytes: number): Uint8Array {
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  return out;
}

describe('safetensors', () => {
  it('reads F32, F16 and BF16 tensors and the metadata', async () => {
    const bytes = writeSafetensors(
      [
        { name: 'conv_in.weight', shape: [4, 3, 3, 3], dtype: 'F32', values: vals(108) },
        { name: 'conv_in.bias', shape: [4], dtype: 'F16', values: vals(4) },
        { name: 'norm.weight', shape: [6], dtype: 'BF16', values: vals(6, 2) },
      ],
      { format: 'pt' },
    );
    const src = bufferSource(bytes, 'unet.safetensors');
    const f = await parseSafetensors(src);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect([...f.tensors.keys()]).toEqual(['conv_in.weight', 'conv_in.bias', 'norm.weight']);
    expect(f.tensors.get('conv_in.weight')).toMatchObject({ dtype: 'F32', shape: [4, 3, 3, 3], nbytes: 432 });
    expect(await readTensorF32(src, f.tensors.get('conv_in.weight')!)).toEqual(vals(108));
    expect(await readTensorF32(src, f.tensors.get('conv_in.bias')!)).toEqual(vals(4)); // exact in f16
    expect(await readTensorF32(src, f.tensors.get('norm.weight')!)).toEqual(vals(6, 2)); // exact in bf16
  });

  it("lists integer tensors (an SD 1.x text encoder's I64 position_ids) without reading them", async () => {
    const f = await parseSafetensors(bufferSource(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, position_ids: { dtype: 'I64', shape: [1, 2], data_offsets: [4, 20] } }, 20), 'clip.safetensors'));
    expect([...f.tensors.keys()]).toEqual(['w']);
    expect(f.others).toEqual(new Map([['position_ids', 'I64']]));
  });

  it('names what is wrong with a damaged file', async () => {
    const parse = (b: Uint8Array) => parseSafetensors(bufferSource(b, 'bad.safetensors'));
    await expect(parse(new Uint8Array(5))).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringContaining('only 5 bytes') });
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    await expect(parse(huge)).rejects.toMatchObject({ message: expect.stringContaining('header length') });
    await expect(parse(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8))).rejects.toMatchObject({
      message: expect.stringContaining('tensor "a" (F32 [2]) needs 8 bytes but data_offsets span 4'),
    });
    await expect(parse(rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8))).rejects.toMatchObject({
      message: expect.stringContaining('past the end of the file'),
    });
    await expect(
      parse(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12)),
    ).rejects.toMatchObject({ message: expect.stringContaining('overlap') });
    await expect(parse(rawFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1))).rejects.toMatchObject({
      name: 'Unsupported',
      message: expect.stringContaining('"a" in bad.safetensors is F8_E4M3'),
    });
    await expect(parse(rawFile({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 8] } }, 8))).rejects.toMatchObject({
      message: expect.stringContaining('tensor "a" (I64 [2]) needs 16 bytes'),
    });
    const notJson = rawFile({}, 0);
    notJson.set(new TextEncoder().encode('{x'), 8);
    await expect(parse(notJson)).rejects.toMatchObject({ message: expect.stringContaining('not JSON') });
  });
});
