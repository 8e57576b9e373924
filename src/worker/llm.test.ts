// The engine's LLM path end to end on a real WebGPU device: a GGUF (random weights, in memory)
// loaded through the worker API, greedy generation held against the CPU reference, streaming
// events, KV reuse across turns, stop conditions and errors.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLING, type EngineEvent, type LoadModelOptions, type SamplingSettings } from '../engine/protocol';
import { syntheticLlama } from '../models/llama/synthetic';
import { refGreedy } from '../models/llama/testing';
import { nodeGpu } from '../test/node-gpu';
import { Engine } from './engine';

const gpu = await nodeGpu('swiftshader');
const { gguf } = syntheticLlama({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, vocab: 300, context: 48, seed: 7 });
const greedy: SamplingSettings = { ...DEFAULT_SAMPLING, temperature: 0, repetitionPenalty: 1, maxTokens: 12, topK: 0, topP: 1, minP: 0 };

async function engineWithModel(events: EngineEvent[] = []) {
  const e = new Engine({ gpu: () => gpu });
  e.connect((ev) => events.push(ev));
  await e.init(1);
  const info = await e.loadModel(2, { kind: 'bytes', name: 'synthetic.gguf', bytes: gguf.slice().buffer as ArrayBuffer }, { prefillChunk: 4 });
  return { e, info };
}

const refGreedyTokens = (prompt: number[], n: number) => refGreedy(gguf, prompt, n, new Set([256]));

describe('LLM through the engine', () => {
  it('loads with progress, reports the model, and generates the reference greedy tokens with streamed events', async () => {
    const events: EngineEvent[] = [];
    const { e, info } = await engineWithModel(events);
    expect(info).toMatchObject({ arch: 'llama', layers: 2, vocab: 300, contextLength: 48, tokenizer: 'gpt2 (gpt-2)' });
    expect(info.weightBytes).toBeGreaterThan(0);
    const prog = events.filter((x) => x.type === 'progress' && x.stage === 'loading weights');
    expect(prog.length).toBeGreaterThan(3);
    const last = prog[prog.length - 1];
    expect(last.type === 'progress' && last.done === last.total).toBe(true);

    const r = await e.generate(3, { mode: 'raw', prompt: 'Hello, world', sampling: greedy });
    expect(r.promptTokenIds).toEqual([72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100]);
    expect(r.tokenIds).toEqual(await refGreedyTokens(r.promptTokenIds, 12));
    const toks = events.filter((x) => x.type === 'token');
    expect(toks.map((t) => (t.type === 'token' ? t.id : -1))).toEqual(r.tokenIds);
    expect(r.stats.timeToFirstTokenMs).toBeGreaterThan(0);
    if (r.tokenIds.length > 1) expect(r.stats.decodeTokensPerS).toBeGreaterThan(0);
    expect(events.some((x) => x.type === 'generation')).toBe(true);
    const mem = await e.memory();
    expect(mem?.live.weights).toBeGreaterThanOrEqual(info.weightBytes);
    expect(mem?.live['kv-cache']).toBe(info.kvCacheBytes);
    await e.dispose();
  });

  it('tunes the decode kernels on the first load, reuses the tuned plan on the next, and obeys a given plan', async () => {
    const e = new Engine({ gpu: () => gpu });
    const logs: string[] = [];
    e.connect((ev) => ev.type === 'log' && logs.push(ev.message));
    await e.init(1);
    const load = (opts: LoadModelOptions) => e.loadModel(2, { kind: 'bytes', name: 'synthetic.gguf', bytes: gguf.slice().buffer as ArrayBuffer }, { prefillChunk: 4, ...opts });
    const first = await load({});
    expect(first.kernelPlan.source).toBe('tuned');
    expect(Object.keys(first.kernelPlan.trials ?? {})).toEqual(['f32']);
    expect(logs.some((m) => /Tuned the decode matvec on this device: f32 rows/.test(m))).toBe(true);
    const second = await load({});
    expect(second.kernelPlan).toMatchObject({ source: 'cache', qmatvec: first.kernelPlan.qmatvec });
    const given = await load({ kernelPlan: { qmatvec: { f32: { variant: 'coop', subgroups: false } }, source: 'link', adapter: 'elsewhere' } });
    expect(given.kernelPlan).toMatchObject({ source: 'link', qmatvec: { f32: { variant: 'coop', subgroups: false } } });
    const untuned = await load({ autotune: false });
    expect(untuned.kernelPlan).toMatchObject({ source: 'default', qmatvec: { f32: { variant: 'rows' } } });
    const r = await e.generate(3, { mode: 'raw', prompt: 'Hello, world', sampling: greedy });
    expect(r.tokenIds).toEqual(await refGreedyTokens(r.promptTokenIds, 12));
    await e.dispose();
  });

  it('reuses the KV cache for a shared prefix and gets the same tokens as a fresh run', async () => {
    const { e } = await engineWithModel();
    const first = await e.generate(3, { mode: 'raw', prompt: 'Hello', sampling: { ...greedy, maxTokens: 3 } });
    expect(first.stats.reusedTokens).toBe(0);
    const again = await e.generate(4, { mode: 'raw', prompt: 'Hello, world', sampling: greedy });
    expect(again.stats.reusedTokens).toBe(5);
    await e.resetContext();
    const fresh = await e.generate(5, { mode: 'raw', prompt: 'Hello, world', sampling: greedy });
    expect(fresh.stats.reusedTokens).toBe(0);
    expect(again.tokenIds).toEqual(fresh.tokenIds);
    await e.dispose();
  });

  it('is reproducible with a seed when sampling, and stops at max tokens', async () => {
    const { e } = await engineWithModel();
    const s: SamplingSettings = { ...DEFAULT_SAMPLING, temperature: 1, topK: 50, topP: 0.95, minP: 0, seed: 123, maxTokens: 8 };
    const a = await e.generate(3, { mode: 'raw', prompt: 'abc', sampling: s });
    await e.resetContext();
    const b = await e.generate(4, { mode: 'raw', prompt: 'abc', sampling: s });
    expect(b.tokenIds).toEqual(a.tokenIds);
    if (a.finish === 'length') expect(a.tokenIds).toHaveLength(8);
    await e.dispose();
  });

  it('stops when the context is full and refuses a prompt that cannot fit', async () => {
    const { e } = await engineWithModel();
    const long = 'x'.repeat(40);
    const r = await e.generate(3, { mode: 'raw', prompt: long, sampling: { ...greedy, maxTokens: 100 } });
    expect(['context', 'eos']).toContain(r.finish);
    if (r.finish === 'context') expect(r.promptTokenIds.length + r.tokenIds.length).toBe(48 + 1);
    await expect(e.generate(4, { mode: 'raw', prompt: 'y'.repeat(60), sampling: greedy })).rejects.toMatchObject({
      name: 'Unsupported',
      message: expect.stringContaining('context holds 48'),
    });
    await e.dispose();
  });

  it('cancels between tokens and keeps the model usable', async () => {
    const { e } = await engineWithModel();
    let n = 0;
    e.connect((ev) => {
      if (ev.type === 'token' && ++n === 2) e.cancel(9);
    });
    const r = await e.generate(9, { mode: 'raw', prompt: 'Hello', sampling: { ...greedy, maxTokens: 20 } });
    expect(r.finish === 'cancelled' || r.finish === 'eos').toBe(true);
    const again = await e.generate(10, { mode: 'raw', prompt: 'Hello', sampling: { ...greedy, maxTokens: 2 } });
    expect(again.tokenIds.length).toBeGreaterThan(0);
    await e.dispose();
  });

  it('names a corrupt file and keeps the loaded model', async () => {
    const { e, info } = await engineWithModel();
    const bad = gguf.slice(0, 5000);
    await expect(e.loadModel(3, { kind: 'bytes', name: 'cut.gguf', bytes: bad.buffer })).rejects.toMatchObject({ name: 'ModelLoad' });
    const junk = new TextEncoder().encode('<html>not a model</html>');
    await expect(e.loadModel(4, { kind: 'bytes', name: 'page.html', bytes: junk.buffer })).rejects.toMatchObject({ name: 'ModelLoad' });
    const r = await e.generate(5, { mode: 'raw', prompt: 'Hi', sampling: { ...greedy, maxTokens: 2 } });
    expect(r.tokenIds.length).toBeGreaterThan(0);
    expect((await e.memory())?.live['kv-cache']).toBe(info.kvCacheBytes);
    await e.dispose();
  });
});
