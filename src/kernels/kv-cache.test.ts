// The KV-cache allocation and its writer: f16 halves the bytes and refuses odd head sizes; the
// writer cases (kv-cache.cases.ts) on every substrate.
import { describe, expect, it } from 'vitest';
import { kernelSuite } from '../test/kernel-suite';
import { nodeSubstrates } from '../test/node-gpu';
import { allocKvCache, kvRowBytes } from './kv-cache';
import { attentionDecode } from './attention';
import { kvCacheCases } from './kv-cache.cases';

const first = nodeSubstrates()[0];

describe('kv-cache host side', () => {
  it('an f16 cache takes half the bytes of an f32 one', async () => {
    const rt = await first.runtime();
    const shape = { nCtx: 33, nKvHeads: 2, headDim: 80, nLayers: 3 };
    const f32 = await allocKvCache(rt, shape);
    const f16 = await allocKvCache(rt, { ...shape, dtype: 'f16' });
    expect(f32.dtype).toBe('f32');
    expect(f16.dtype).toBe('f16');
    expect(f32.bytes).toBe(33 * kvRowBytes(shape, 'f32') * 2 * 3);
    expect(f16.bytes * 2).toBe(f32.bytes);
    expect(f16.layers[0].k.size).toBe(33 * 2 * 80 * 2);
    f32.release();
    f16.release();
  });

  it('refuses an odd head size for f16, naming the op and the value', async () => {
    const rt = await first.runtime();
    await expect(allocKvCache(rt, { nCtx: 8, nKvHeads: 1, headDim: 33, nLayers: 1, dtype: 'f16' })).rejects.toThrow(/kv-cache: .*headDim must be even \(got 33\)/);
    await expect(attentionDecode(rt, { headDim: 33, kvType: 'f16' })).rejects.toThrow(/attention-decode: .*headDim must be even \(got 33\)/);
  });
});

await kernelSuite('kv-cache', kvCacheCases);
