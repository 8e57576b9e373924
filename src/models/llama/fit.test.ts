// The "will it fit" estimate against what loading really allocates: the same bytes by category
// on a fresh runtime, and plain verdicts for models that break a limit or the budget.
import { describe, expect, it } from 'vitest';
import { parseGguf } from '../../formats/gguf/parse';
import { GgmlType } from '../../formats/gguf/types';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { readLlamaConfig } from './config';
import { estimateFit } from './fit';
import { LlamaSession } from './session';
import { syntheticLlama } from './synthetic';
import { loadInMemory } from './testing';
import { createTokenizer, specFromGgufMetadata } from '../../formats/tokenizer';

const GiB = 2 ** 30;
const LIMITS = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 };

async function header(opts: Parameters<typeof syntheticLlama>[0]) {
  const { gguf } = syntheticLlama(opts);
  const file = await parseGguf(bufferSource(gguf));
  return { gguf, file, cfg: readLlamaConfig(file) };
}

describe('estimateFit', () => {
  it('matches the bytes a loaded model and its session allocate, by category', async () => {
    const rt = await nodeSubstrates()[0].runtime();
    const opts = { arch: 'qwen2' as const, dim: 256, layers: 2, heads: 4, kvHeads: 1, ffn: 512, vocab: 300, context: 96, type: GgmlType.Q4_K, embdType: GgmlType.Q6_K, bias: true, seed: 5 };
    const { gguf, file, cfg } = await header(opts);
    const before = rt.pool.stats().live;
    const { model } = await loadInMemory(rt, gguf, { contextLength: 80, prefillChunk: 16 });
    const session = await LlamaSession.create(rt, model, createTokenizer(specFromGgufMetadata(file.metadata)));
    const after = rt.pool.stats().live;
    const est = estimateFit(file, cfg, rt.limits, { contextLength: 80, prefillChunk: 16, budgetBytes: GiB, budgetSource: 'test' });
    expect(est.contextLength).toBe(80);
    expect(est.weightBytes).toBe(after.weights - before.weights);
    expect(est.kvCacheBytes).toBe(after['kv-cache'] - before['kv-cache']);
    expect(est.activationBytes).toBe(after.activations - before.activations);
    expect(est.totalBytes).toBe(est.weightBytes + est.kvCacheBytes + est.activationBytes);
    expect(est.verdict).toBe('fits');
    expect(est.reasons).toEqual([]);
    session.release();
    model.release();
  });

  it('says a model over the budget is too big, and one near it is tight, in numbers', async () => {
    const { file, cfg } = await header({ dim: 256, layers: 2, heads: 4, kvHeads: 2, ffn: 512, vocab: 1000, context: 512 });
    const base = estimateFit(file, cfg, LIMITS, { budgetBytes: GiB, budgetSource: 'test' });
    const tooBig = estimateFit(file, cfg, LIMITS, { budgetBytes: base.totalBytes - 1, budgetSource: 'half of 8 GB' });
    expect(tooBig.verdict).toBe('too-big');
    expect(tooBig.reasons.join(' ')).toMatch(/needs .* of GPU memory; the budget here is .* \(half of 8 GB\)/);
    const tight = estimateFit(file, cfg, LIMITS, { budgetBytes: Math.ceil(base.totalBytes / 0.9), budgetSource: 'test' });
    expect(tight.verdict).toBe('tight');
    expect(tight.reasons[0]).toMatch(/90% of the/);
  });

  it('names the KV cache and the context that would fit when one layer exceeds the binding limit', async () => {
    const { file, cfg } = await header({ dim: 256, layers: 1, heads: 4, kvHeads: 4, ffn: 256, vocab: 300, context: 4096 });
    // One layer's K: 4096 positions x 256 floats x 4 bytes = 4 MiB; a 1 MiB binding limit holds 1024.
    const small = { maxBufferSize: 2 ** 20, maxStorageBufferBindingSize: 2 ** 20 };
    const est = estimateFit(file, cfg, small, { contextLength: 4096, budgetBytes: GiB, budgetSource: 'test' });
    expect(est.verdict).toBe('too-big');
    expect(est.reasons.join(' ')).toContain('use a context of at most 1024');
    const f16 = estimateFit(file, cfg, small, { contextLength: 2048, kvType: 'f16', budgetBytes: GiB, budgetSource: 'test' });
    expect(f16.kvCacheBytes).toBe(2 * 2048 * 256 * 2);
    expect(f16.reasons.some((r) => r.includes('KV cache'))).toBe(false);
  });

  it('refuses a weight row wider than the binding limit', async () => {
    const { file, cfg } = await header({ dim: 256, layers: 1, heads: 4, kvHeads: 4, ffn: 256, vocab: 300, context: 64 });
    const est = estimateFit(file, cfg, { maxBufferSize: 512, maxStorageBufferBindingSize: 512 }, { budgetBytes: GiB, budgetSource: 'test' });
    expect(est.verdict).toBe('too-big');
    expect(est.reasons[0]).toMatch(/^A row of \S+ needs 1\.0 KiB, more than this device's 512 B storage binding limit\.$/);
  });
});
