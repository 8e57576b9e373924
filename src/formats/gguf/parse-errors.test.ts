// Every way parseGguf refuses a file: the error's name (ModelLoad / Unsupported / Cancelled) and a
// message that names the problem and where it is. Broken files are made by writing a good one and
// patching bytes at known places, so each test breaks exactly one thing.

import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../source';
import { metaF32, metaString, metaStringArray, metaU32, metaU32Opt, metaArrayOpt, parseGguf } from './parse';
import { GgmlType } from './types';
import { writeGguf } from './writer';

const enc = new TextEncoder();

function model(alignment?: number): Uint8Array {
  return writeGguf({
    alignment,
    metadata: [
      ['general.architecture', 'llama'],
      ['general.name', 'tiny'],
      ['llama.context_length', 2048, 'u32'],
    ],
    tensors: [
      { name: 'blk.0.w', dims: [256, 2], type: GgmlType.Q4_K, data: new Uint8Array(288) },
      { name: 'out.w', dims: [32], type: GgmlType.F32, data: new Uint8Array(128) },
    ],
  });
}

/** Byte offset just past the length-prefixed GGUF string `s` in `bytes`. */
function after(bytes: Uint8Array, s: string): number {
  const needle = enc.encode(s);
  for (let i = 8; i + needle.length <= bytes.length; i++) {
    if (bytes[i - 8] === needle.length && needle.every((b, j) => bytes[i + j] === b)) return i + needle.length;
  }
  throw new Error(`test setup: "${s}" not in file`);
}

function patch(bytes: Uint8Array, at: number, write: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  write(new DataView(copy.buffer, at));
  return copy;
}

/** Tensor info fields of `name`: n_dims at p, dims at p+4, then type and offset. */
function tensorField(bytes: Uint8Array, name: string, field: 'ndims' | 'dim0' | 'type' | 'offset'): number {
  const p = after(bytes, name);
  const nDims = new DataView(bytes.buffer, bytes.byteOffset).getUint32(p, true);
  return { ndims: p, dim0: p + 4, type: p + 4 + 8 * nDims, offset: p + 8 + 8 * nDims }[field];
}

async function failure(source: ByteSource | Uint8Array, opts = {}): Promise<Error> {
  try {
    await parseGguf(source instanceof Uint8Array ? bufferSource(source, 'model.gguf') : source, opts);
  } catch (e) {
    return e as Error;
  }
  throw new Error('test: parseGguf did not fail');
}

function unknownSize(bytes: Uint8Array): ByteSource {
  const inner = bufferSource(bytes, 'model.gguf');
  return { name: inner.name, size: undefined, read: (o, l, s) => inner.read(o, l, s) };
}

describe('parseGguf refuses', () => {
  it('files that are not GGUF, showing their first bytes', async () => {
    const e = await failure(enc.encode('<!DOCTYPE html><html>...'));
    expect(e.name).toBe('ModelLoad');
    expect(e.message).toMatch(/model\.gguf is not a GGUF file: first bytes were 3c 21 44 4f \("<!DO"\)/);
    expect(e.message).toMatch(/HTML.*\/resolve\//);
    const tiny = await failure(Uint8Array.from([0x47, 0x47]));
    expect([tiny.name, tiny.message]).toEqual(['ModelLoad', 'model.gguf is not a GGUF file: it has only 2 bytes.']);
  });

  it('versions other than 2 and 3, and big-endian files', async () => {
    const v = (n: number) => patch(model(), 4, (d) => d.setUint32(0, n, true));
    const v1 = await failure(v(1));
    expect([v1.name, v1.message]).toEqual(['Unsupported', expect.stringMatching(/GGUF version 1, which llama\.cpp dropped/)]);
    const v9 = await failure(v(9));
    expect([v9.name, v9.message]).toEqual(['Unsupported', expect.stringMatching(/GGUF version 9\. This engine reads versions 2 and 3/)]);
    const be = await failure(v(0x03000000));
    expect(be.message).toMatch(/big-endian/);
  });

  it.each([
    ['the tensor count', 8, /tensor count at byte 8 is 1099511627776, more tensors than any model has/],
    ['the metadata count', 16, /metadata count at byte 16 is 1099511627776/],
  ])('absurd counts: %s', async (_what, at, message) => {
    const e = await failure(patch(model(), at, (d) => d.setBigUint64(0, 1n << 40n, true)));
    expect([e.name, e.message]).toEqual(['ModelLoad', expect.stringMatching(message)]);
    expect(e.message).toMatch(/looks corrupt/);
  });

  it('absurd string and array lengths, bad value types, too many dims', async () => {
    const good = model();
    const keyLen = 24; // the first key's u64 length
    const longKey = await failure(patch(good, keyLen, (d) => d.setBigUint64(0, 1n << 50n, true)));
    expect(longKey.message).toMatch(/the length of metadata key #0 at byte 24 is 1125899906842624/);
    const typeAt = after(good, 'general.name');
    const badType = await failure(patch(good, typeAt, (d) => d.setUint32(0, 13, true)));
    expect(badType.message).toMatch(/the value type of metadata "general.name" at byte \d+ is 13, not a GGUF value type/);
    const arr = writeGguf({ metadata: [['a', [1, 2], { array: 'u32' }]], tensors: [] });
    const longArr = await failure(patch(arr, after(arr, 'a') + 8, (d) => d.setBigUint64(0, 1n << 40n, true)));
    expect(longArr.message).toMatch(/the length of metadata "a" at byte \d+ is 1099511627776, more elements than any GGUF array/);
    const cutArr = await failure(patch(arr, after(arr, 'a') + 8, (d) => d.setBigUint64(0, 1000n, true)));
    expect(cutArr.message).toMatch(/cut short: metadata "a" at byte \d+ needs 4000 bytes, but the file ends at byte \d+/);
    const dims = await failure(patch(good, tensorField(good, 'out.w', 'ndims'), (d) => d.setUint32(0, 5, true)));
    expect(dims.message).toMatch(/the dimension count of tensor "out.w" at byte \d+ is 5, not 1 to 4/);
  });

  it.each([
    ['known size', (b: Uint8Array) => bufferSource(b, 'model.gguf')],
    ['unknown size', unknownSize],
  ])('truncated headers, naming the field and byte (%s)', async (_kind, wrap) => {
    const good = model();
    const inKey = after(good, 'general.name') - 3;
    const e1 = await failure(wrap(good.subarray(0, inKey)));
    expect(e1.name).toBe('ModelLoad');
    expect(e1.message).toMatch(new RegExp(`cut short: metadata key #1 at byte ${inKey - 9} needs 12 bytes, but the file ends at byte ${inKey}`));
    const inTensor = tensorField(good, 'blk.0.w', 'type') + 2;
    const e2 = await failure(wrap(good.subarray(0, inTensor)));
    expect(e2.message).toMatch(/the shape, type and offset of tensor "blk\.0\.w" at byte \d+ needs 28 bytes/);
    expect(e2.message).toMatch(/download it again/);
  });

  it('unknown tensor types as Unsupported, naming the tensor and the type', async () => {
    const good = model();
    const at = tensorField(good, 'blk.0.w', 'type');
    const iq = await failure(patch(good, at, (d) => d.setUint32(0, 19, true)));
    expect(iq.name).toBe('Unsupported');
    expect(iq.message).toMatch(/Tensor "blk\.0\.w" in model\.gguf has ggml type IQ1_S \(id 19\), which this engine cannot run/);
    const odd = await failure(patch(good, at, (d) => d.setUint32(0, 99, true)));
    expect(odd.message).toMatch(/Tensor "blk\.0\.w" in model\.gguf has ggml type id 99,/);
  });

  it('tensor data past the end of the file', async () => {
    const good = model();
    const e = await failure(good.subarray(0, good.length - 40));
    expect(e.name).toBe('ModelLoad');
    expect(e.message).toMatch(new RegExp(`Tensor "out.w" in model.gguf needs bytes \\d+-\\d+, but the file has only ${good.length - 40} bytes`));
  });

  it('misaligned tensor offsets and bad alignments', async () => {
    const good = model();
    const e = await failure(patch(good, tensorField(good, 'out.w', 'offset'), (d) => d.setBigUint64(0, 8n, true)));
    expect(e.message).toMatch(/Tensor "out.w" .* data offset 8, which is not a multiple of the file's alignment \(32\)/);
    const aligned = model(64);
    const bad = await failure(patch(aligned, after(aligned, 'general.alignment') + 4, (d) => d.setUint32(0, 24, true)));
    expect(bad.message).toMatch(/general\.alignment = 24; it must be a power of two/);
  });

  it('rows that are not whole blocks', async () => {
    const good = model();
    const e = await failure(patch(good, tensorField(good, 'blk.0.w', 'dim0'), (d) => d.setBigUint64(0, 200n, true)));
    expect(e.message).toMatch(/"blk\.0\.w" in model\.gguf is Q4_K with rows of 200 values, not a multiple of its 256-value block/);
  });

  it('duplicate keys and tensor names', async () => {
    const dupKey = writeGguf({ metadata: [['k', 'a'], ['k', 'b']], tensors: [] });
    expect((await failure(dupKey)).message).toMatch(/metadata key "k" twice/);
    const t = { name: 't', dims: [1], type: GgmlType.F32, data: new Uint8Array(4) };
    expect((await failure(writeGguf({ metadata: [], tensors: [t, t] }))).message).toMatch(/two tensors named "t"/);
  });

  it('to go on once cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(model(), { signal: ac.signal });
    expect(e.name).toBe('Cancelled');
  });
});

describe('metadata accessors', () => {
  it('read typed values and name missing or mistyped keys', async () => {
    const file = await parseGguf(bufferSource(writeGguf({
      metadata: [
        ['general.architecture', 'llama'],
        ['u', 7, 'u32'], ['big', 7n, 'u64'], ['neg', -1, 'i32'], ['f', 1e-5, 'f32'], ['s', 'abc'], ['toks', ['a', 'b']],
      ],
      tensors: [],
    })));
    expect([metaU32(file, 'u'), metaU32(file, 'big'), metaString(file, 's')]).toEqual([7, 7, 'abc']);
    expect(metaF32(file, 'f')).toBeCloseTo(1e-5, 10);
    expect(metaStringArray(file, 'toks')).toEqual(['a', 'b']);
    expect([metaU32Opt(file, 'missing'), metaArrayOpt(file, 'missing')]).toEqual([undefined, undefined]);
    expect(() => metaU32(file, 'llama.block_count')).toThrow(/no key "llama\.block_count".*general\.architecture = "llama"/);
    expect(() => metaU32(file, 's')).toThrow(/"s" is a string \("abc"\), expected an unsigned 32-bit integer/);
    expect(() => metaU32(file, 'neg')).toThrow(/"neg" is a number \(-1\), expected an unsigned 32-bit integer/);
    expect(() => metaU32Opt(file, 'f')).toThrow(/expected an unsigned 32-bit integer/);
    expect(() => metaString(file, 'toks')).toThrow(/is an array of 2, expected a string/);
    expect(() => metaF32(file, 's')).toThrow(expect.objectContaining({ name: 'ModelLoad' }));
  });
});
