// Writer -> parser round trips: every metadata type (scalars, arrays, nested arrays, string
// arrays) in GGUF v2 and v3, tensor infos and alignment, a 150k-token vocabulary parsed quickly
// and in chunks, and proof that parsing never reads tensor data.

import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../source';
import { parseGguf } from './parse';
import { quantize } from './quantize';
import { GgmlType, GgufValueType as T, type GgufValue } from './types';
import { writeGguf, type GgufKind } from './writer';

/** A source that records the furthest byte it was asked for and how many reads it served. */
function counting(inner: ByteSource, knownSize = true): ByteSource & { maxEnd: number; reads: number } {
  const s = {
    maxEnd: 0,
    reads: 0,
    name: inner.name,
    get size() {
      return knownSize ? inner.size : undefined;
    },
    read(offset: number, length: number, signal?: AbortSignal) {
      s.reads++;
      s.maxEnd = Math.max(s.maxEnd, offset + length);
      return inner.read(offset, length, signal);
    },
  };
  return s;
}

const METADATA: Array<[string, GgufValue, GgufKind | undefined, GgufValue, unknown]> = [
  // key, written value, declared type, value read back, stored type read back
  ['t.u8', 255, 'u8', 255, T.UINT8],
  ['t.i8', -128, 'i8', -128, T.INT8],
  ['t.u16', 65535, 'u16', 65535, T.UINT16],
  ['t.i16', -32768, 'i16', -32768, T.INT16],
  ['t.u32', 4294967295, 'u32', 4294967295, T.UINT32],
  ['t.i32', -2147483648, 'i32', -2147483648, T.INT32],
  ['t.f32', 0.1, 'f32', Math.fround(0.1), T.FLOAT32],
  ['t.f64', 0.1, 'f64', 0.1, T.FLOAT64],
  ['t.bool', true, undefined, true, T.BOOL],
  ['t.bool.false', false, 'bool', false, T.BOOL],
  ['t.u64', 2n ** 64n - 1n, 'u64', 2n ** 64n - 1n, T.UINT64],
  ['t.i64', -(2n ** 63n), 'i64', -(2n ** 63n), T.INT64],
  ['t.u64.small', 7, 'u64', 7n, T.UINT64],
  ['t.string', 'héllo ✓ 日本 🦙', undefined, 'héllo ✓ 日本 🦙', T.STRING],
  ['t.string.empty', '', 'string', '', T.STRING],
  ['a.u8', [0, 1, 255], { array: 'u8' }, [0, 1, 255], { array: T.UINT8 }],
  ['a.i8', [-128, 127], { array: 'i8' }, [-128, 127], { array: T.INT8 }],
  ['a.u16', [0, 65535], { array: 'u16' }, [0, 65535], { array: T.UINT16 }],
  ['a.i16', [-32768, 32767], { array: 'i16' }, [-32768, 32767], { array: T.INT16 }],
  ['a.u32', [0, 4294967295], { array: 'u32' }, [0, 4294967295], { array: T.UINT32 }],
  ['a.i32', [-1, 2147483647], { array: 'i32' }, [-1, 2147483647], { array: T.INT32 }],
  ['a.f32', [1.5, -0.1], { array: 'f32' }, [1.5, Math.fround(-0.1)], { array: T.FLOAT32 }],
  ['a.f64', [Math.PI], { array: T.FLOAT64 }, [Math.PI], { array: T.FLOAT64 }],
  ['a.bool', [true, false, true], undefined, [true, false, true], { array: T.BOOL }],
  ['a.u64', [0n, 2n ** 63n], { array: 'u64' }, [0n, 2n ** 63n], { array: T.UINT64 }],
  ['a.i64', [-5n, 5n], { array: 'i64' }, [-5n, 5n], { array: T.INT64 }],
  ['a.string', ['a', '', 'ü', '<0x0A>', 'Ġthe'], undefined, ['a', '', 'ü', '<0x0A>', 'Ġthe'], { array: T.STRING }],
  ['a.empty', [], { array: 'f32' }, [], { array: T.FLOAT32 }],
  ['a.nested', [[1, 2], [], [3]], { array: { array: 'i32' } }, [[1, 2], [], [3]], { array: { array: T.INT32 } }],
  ['a.nested.str', [['x'], ['y', 'z']], undefined, [['x'], ['y', 'z']], { array: { array: T.STRING } }],
];

function sampleTensors() {
  const f32 = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const wave = new Float32Array(512).map((_, i) => Math.sin(i));
  return [
    { name: 'token_embd.weight', dims: [4, 3], type: GgmlType.F32, data: new Uint8Array(f32.buffer) },
    { name: 'blk.0.attn_q.weight', dims: [256, 2], type: GgmlType.Q4_K, data: quantize(GgmlType.Q4_K, wave) },
    { name: 'blk.0.ffn_up.weight', dims: [64, 3], type: GgmlType.Q8_0, data: quantize(GgmlType.Q8_0, wave.subarray(0, 192)) },
    { name: 'output_norm.weight', dims: [5], type: GgmlType.F16, data: quantize(GgmlType.F16, f32.subarray(0, 5)) },
  ];
}

describe.each([2, 3] as const)('GGUF v%i round trip', (version) => {
  it('reads back every metadata type with its stored type', async () => {
    const bytes = writeGguf({ version, metadata: METADATA.map(([k, v, t]) => [k, v, t]), tensors: [] });
    const file = await parseGguf(bufferSource(bytes));
    expect(file.version).toBe(version);
    expect(file.metadata.size).toBe(METADATA.length);
    for (const [key, , , back, type] of METADATA) {
      expect(file.metadata.get(key), key).toEqual(back);
      expect(file.metadataTypes?.get(key), key).toEqual(type);
    }
    expect(file.tensors).toEqual([]);
    expect(file.dataOffset % 32).toBe(0);
  });

  it.each([32, 64, 256])('lays out tensors at alignment %i and gives their offsets and sizes', async (alignment) => {
    const tensors = sampleTensors();
    const bytes = writeGguf({ version, alignment, metadata: [['general.architecture', 'llama']], tensors });
    const file = await parseGguf(bufferSource(bytes), { chunkSize: 100 });
    expect(file.alignment).toBe(alignment);
    expect(file.metadata.get('general.alignment')).toBe(alignment === 32 ? undefined : alignment);
    expect(file.dataOffset % alignment).toBe(0);
    expect(file.tensors.map((t) => [t.name, t.dims, t.type, t.nbytes])).toEqual(
      tensors.map((t) => [t.name, t.dims, t.type, t.data.length]),
    );
    expect(file.tensors.map((t) => t.nbytes)).toEqual([48, 288, 204, 10]);
    for (const [i, t] of file.tensors.entries()) {
      expect(t.offset % alignment).toBe(0);
      expect(bytes.subarray(t.offset, t.offset + t.nbytes)).toEqual(tensors[i].data);
    }
    const last = file.tensors[file.tensors.length - 1];
    expect(file.byteLength).toBe(last.offset + last.nbytes);
  });
});

describe('incremental reading', () => {
  it('parses a 150k-token vocabulary quickly, in chunks, from a source of unknown size', async () => {
    const n = 150_000;
    const tokens = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? `Ġtok${i}é` : `t${i}`));
    const scores = Array.from({ length: n }, (_, i) => -i / 10);
    const types = Array.from({ length: n }, (_, i) => (i < 3 ? 3 : 1));
    const merges = Array.from({ length: n }, (_, i) => `a${i} b${i}`);
    const bytes = writeGguf({
      metadata: [
        ['tokenizer.ggml.model', 'gpt2'],
        ['tokenizer.ggml.tokens', tokens],
        ['tokenizer.ggml.scores', scores, { array: 'f32' }],
        ['tokenizer.ggml.token_type', types, { array: 'i32' }],
        ['tokenizer.ggml.merges', merges],
      ],
      tensors: [],
    });
    const source = counting(bufferSource(bytes), false);
    const t0 = performance.now();
    const file = await parseGguf(source, { chunkSize: 64 * 1024 });
    const ms = performance.now() - t0;
    expect(file.metadata.get('tokenizer.ggml.tokens')).toEqual(tokens);
    expect((file.metadata.get('tokenizer.ggml.scores') as number[])[12345]).toBe(Math.fround(-1234.5));
    expect((file.metadata.get('tokenizer.ggml.token_type') as number[]).slice(0, 4)).toEqual([3, 3, 3, 1]);
    expect((file.metadata.get('tokenizer.ggml.merges') as string[])[n - 1]).toBe(`a${n - 1} b${n - 1}`);
    expect(source.reads).toBeGreaterThan(3); // it really was read in pieces
    expect(source.reads).toBeLessThan(20); // ...that grow, so HTTP makes few round trips
    expect(ms).toBeLessThan(1500); // ~100 ms on a laptop; generous for slow CI
  });

  it('reads the header but not the tensor data', async () => {
    const big = new Uint8Array(16 * 1024 * 1024);
    const bytes = writeGguf({
      metadata: [['general.architecture', 'llama']],
      tensors: [{ name: 'big', dims: [big.length / 4], type: GgmlType.F32, data: big }],
    });
    const source = counting(bufferSource(bytes));
    const file = await parseGguf(source, { chunkSize: 4096 });
    expect(file.tensors[0].nbytes).toBe(big.length);
    expect(source.maxEnd).toBeLessThanOrEqual(8192);
  });

  it('reports progress in header bytes read', async () => {
    const bytes = writeGguf({ metadata: [['k', 'x'.repeat(5000)]], tensors: [] });
    const seen: number[] = [];
    await parseGguf(bufferSource(bytes), { chunkSize: 1024, onProgress: (n) => seen.push(n) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toBeGreaterThan(5000); // the whole string was read...
    expect(seen[seen.length - 1]).toBeLessThanOrEqual(bytes.length); // ...and nothing past the file
  });
});

describe('writer', () => {
  it('asks for a type where JS values are ambiguous, and checks ranges and tensor sizes', () => {
    expect(() => writeGguf({ metadata: [['n', 3]], tensors: [] })).toThrow(/"n" needs an explicit type/);
    expect(() => writeGguf({ metadata: [['n', 300, 'u8']], tensors: [] })).toThrow(/does not fit UINT8/);
    expect(() => writeGguf({ metadata: [['n', 1.5, 'i32']], tensors: [] })).toThrow(/does not fit INT32/);
    expect(() => writeGguf({ metadata: [['n', -1n, 'u64']], tensors: [] })).toThrow(/does not fit UINT64/);
    expect(() => writeGguf({ metadata: [['a', []]], tensors: [] })).toThrow(/explicit type/);
    const bad = { name: 'w', dims: [32, 2], type: GgmlType.Q8_0, data: new Uint8Array(34) };
    expect(() => writeGguf({ metadata: [], tensors: [bad] })).toThrow(/"w" \(Q8_0 \[32, 2\]\) needs 68 bytes, got 34/);
    expect(() => writeGguf({ metadata: [], tensors: [], alignment: 24 })).toThrow(/power of two/);
  });
});
