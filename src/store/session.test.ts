// The session store against a scripted engine: streamed tokens are batched into frames and the
// final text replaces them exactly once; errors land in the banner list without losing state.
import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../engine/client';
import { DEFAULT_SAMPLING, type ChatTurn, type EngineApi, type EngineEvent, type GenerateRequest, type GenerationResult, type LoadModelOptions, type ModelSource } from '../engine/protocol';
import { decodeShare, encodeShare, fnv1a, shareFromHash } from '../share/link';
import { rateTracker } from './loading';
import { EMPTY_RUN, foldTokens } from './metrics';
import { EngineError } from '../util/errors';
import { createSessionStore } from './session';

function fakeEngine(script: Partial<EngineApi>) {
  let sink: (e: EngineEvent) => void = () => {};
  const api = script as EngineApi;
  const client = {
    call: <T>(fn: (api: EngineApi, id: number) => Promise<T>) => fn(api, 1),
    restart: () => {},
    terminate: () => {},
  } as unknown as EngineClient;
  return {
    make: (onEvent: (e: EngineEvent) => void) => {
      sink = onEvent;
      return client;
    },
    emit: (e: EngineEvent) => sink(e),
  };
}

const stats = { promptTokens: 2, reusedTokens: 0, generatedTokens: 3, timeToFirstTokenMs: 5, prefillTokensPerS: 1, decodeTokensPerS: 1, stepMs: [] };

describe('session store', () => {
  it('shows the final text once even when token frames are still pending', async () => {
    const f = fakeEngine({
      init: async () => ({ adapter: { vendor: 'v', architecture: 'a', device: '', description: '', isFallback: false, isSoftware: false }, features: [], limits: {}, caps: { f16: false, subgroups: false, timestamps: false } }),
      loadModel: async () => ({ name: 'm' }) as never,
      generate: async (): Promise<GenerationResult> => {
        for (const [i, t] of ['a', 'b', ','].entries()) f.emit({ type: 'token', callId: 1, index: i, id: i, text: t, ms: 1 + i });
        return { text: 'ab,', promptTokenIds: [1, 2], tokenIds: [0, 1, 2], finish: 'length', stats };
      },
    });
    const store = createSessionStore(f.make);
    await store.getState().boot();
    await store.getState().loadModel({ kind: 'url', url: 'x' });
    await store.getState().generate();
    await new Promise((r) => setTimeout(r, 50)); // let any pending frame run
    expect(store.getState().gen.output).toBe('ab,');
    expect(store.getState().gen.finish).toBe('length');
  });

  it('keeps the loaded model and the prompt when a load fails', async () => {
    let n = 0;
    const f = fakeEngine({
      init: async () => ({ adapter: { vendor: '', architecture: '', device: '', description: '', isFallback: true, isSoftware: true }, features: [], limits: {}, caps: { f16: false, subgroups: false, timestamps: false } }),
      loadModel: async () => {
        if (n++ === 0) return { name: 'first' } as never;
        throw new EngineError('ModelLoad', 'bad.gguf is not a GGUF file', { hint: 'Pick a .gguf file.' });
      },
    });
    const store = createSessionStore(f.make);
    await store.getState().boot();
    await store.getState().loadModel({ kind: 'url', url: 'a' });
    store.getState().setPrompt('my words');
    await store.getState().loadModel({ kind: 'url', url: 'b' });
    expect(store.getState().model?.name).toBe('first');
    expect(store.getState().gen.prompt).toBe('my words');
    expect(store.getState().errors.at(-1)).toMatchObject({ name: 'ModelLoad', hint: 'Pick a .gguf file.' });
  });

  const device = { adapter: { vendor: 'v', architecture: 'a', device: '', description: 'd', isFallback: false, isSoftware: true }, features: [], limits: {}, caps: { f16: false, subgroups: false, timestamps: false } };
  const plan = { qmatvec: { q4_0: { variant: 'coop', subgroups: true } }, source: 'link', adapter: 'x' };
  const info = (fileBytes: number) => ({ name: 'm', fileBytes, decodeBytesPerToken: 1000, kvType: 'f32', contextLength: 64, kernelPlan: plan }) as never;

  it('Regenerate runs the last chat turn again with the next seed, and Stop/cancel keep the conversation', async () => {
    const sent: { messages?: ChatTurn[]; seed: number }[] = [];
    const f = fakeEngine({
      init: async () => device,
      loadModel: async () => info(10),
      generate: async (_id, req) => {
        sent.push({ messages: req.messages, seed: req.sampling.seed });
        return { text: `reply ${sent.length}`, promptTokenIds: [1], tokenIds: [2], finish: 'eos', stats };
      },
    });
    const store = createSessionStore(f.make);
    await store.getState().boot();
    await store.getState().loadModel({ kind: 'url', url: 'x' });
    store.getState().setMode('chat');
    store.getState().setSystem('Be brief.');
    store.getState().setSampling({ temperature: 0.8, seed: 7 });
    store.getState().setPrompt('Hello');
    await store.getState().generate();
    expect(store.getState().gen.messages).toEqual([{ role: 'user', content: 'Hello' }, { role: 'assistant', content: 'reply 1' }]);
    await store.getState().regenerate();
    expect(sent[1]).toEqual({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }], seed: 8 });
    expect(store.getState().gen.messages).toEqual([{ role: 'user', content: 'Hello' }, { role: 'assistant', content: 'reply 2' }]);
    expect(store.getState().gen.last?.sampling.seed).toBe(8);
  });

  it('after a device loss, Restart brings a new engine, reloads the same model and keeps the conversation', async () => {
    const loads: ModelSource[] = [];
    let inits = 0;
    const f = fakeEngine({
      init: async () => {
        inits++;
        return device;
      },
      loadModel: async (_id, src) => {
        loads.push(src);
        return info(10);
      },
      generate: async () => ({ text: 'hi', promptTokenIds: [1], tokenIds: [2], finish: 'eos', stats }),
      listCachedModels: async () => ({ models: [], backend: 'memory' }),
      measureBandwidth: async () => ({ bytes: 1, ms: 1, gbps: 1, timing: 'cpu' }),
    });
    const store = createSessionStore(f.make, { autoLoad: true });
    await store.getState().boot();
    await store.getState().loadModel({ kind: 'url', url: 'http://hub/a.gguf', cache: true });
    store.getState().setMode('chat');
    store.getState().setPrompt('Hello');
    await store.getState().generate();
    f.emit({ type: 'device-lost', error: { name: 'DeviceLost', message: 'The GPU device was lost.' } });
    expect(store.getState().status).toBe('lost');
    store.getState().setPrompt('half-typed');
    await store.getState().restartEngine();
    expect(inits).toBe(2);
    expect(store.getState().status).toBe('ready');
    expect(loads.at(-1)).toEqual({ kind: 'url', url: 'http://hub/a.gguf', cache: true });
    expect(store.getState().model).not.toBeNull();
    expect(store.getState().gen.messages).toHaveLength(2);
    expect(store.getState().gen.prompt).toBe('half-typed');
    expect(store.getState().errors.map((e) => `${e.name}: ${e.message}`)).toEqual(['DeviceLost: The GPU device was lost.']);
  });

  it('a tampered share link becomes a clear error and the app boots as usual', async () => {
    const loads: ModelSource[] = [];
    const f = fakeEngine({ init: async () => device, loadModel: async (_id, src) => (loads.push(src), info(10)), listCachedModels: async () => ({ models: [], backend: 'memory' }) });
    const store = createSessionStore(f.make, { autoLoad: true });
    store.getState().openShare('#share=eyJ2IjoxfQ.00000000');
    expect(store.getState().share).toBeNull();
    expect(store.getState().errors.at(-1)?.message).toContain('checksum does not match');
    await store.getState().boot();
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ kind: 'url', url: expect.stringContaining('embedded-q8_0.gguf') });
  });

  it('a share link loads the same model, applies every setting, runs it and compares the text', async () => {
    const reqs: GenerateRequest[] = [];
    const loads: ModelSource[] = [];
    const loadOpts: LoadModelOptions[] = [];
    const f = fakeEngine({
      init: async () => device,
      loadModel: async (_id, src, opts) => (loads.push(src), loadOpts.push(opts ?? {}), info(4242)),
      listCachedModels: async () => ({ models: [], backend: 'memory' }),
      generate: async (_id, req) => {
        reqs.push(req);
        return { text: 'The whale swam.', promptTokenIds: [1], tokenIds: [2, 3], finish: 'length', stats };
      },
    });
    const sampling = { ...DEFAULT_SAMPLING, temperature: 0.5, seed: 99, maxTokens: 12 };
    const value = encodeShare({
      v: 1,
      model: { kind: 'url', url: 'http://hub/o/r/resolve/main/m.gguf', bytes: 4242 },
      mode: 'raw',
      system: '',
      history: [],
      prompt: 'The whale',
      sampling,
      load: { kvType: 'f32', kernels: { q4_0: 'coop-sg' } },
      sharer: { device: 'x', software: false, ttftMs: 1, prefillTokS: 2, decodeTokS: 3, tokens: 2, textHash: fnv1a('The whale swam.') },
    });
    const store = createSessionStore(f.make, { autoLoad: true });
    store.getState().openShare(`#share=${value}`);
    await store.getState().boot();
    expect(loads).toEqual([{ kind: 'url', url: 'http://hub/o/r/resolve/main/m.gguf', cache: true }]);
    // The sharer's kernels for this load only.
    expect(loadOpts[0]).toMatchObject({ kvType: 'f32', kernelPlan: { qmatvec: { q4_0: { variant: 'coop', subgroups: true } }, source: 'link' } });
    expect(store.getState().loadOptions.kernelPlan).toBeUndefined();
    expect(reqs[0]).toMatchObject({ mode: 'raw', prompt: 'The whale', sampling });
    expect(store.getState().share).toMatchObject({ status: 'done', match: true });
    // ...and the viewer's own link carries the same settings.
    const link = store.getState().shareLink('http://app/');
    const back = decodeShare(shareFromHash(new URL(link as string).hash) as string);
    expect(back.ok && back.payload).toMatchObject({ model: { kind: 'url', bytes: 4242 }, prompt: 'The whale', sampling, load: { kernels: { q4_0: 'coop-sg' } } });
  });
});

describe('live metrics', () => {
  it('fold token events into TTFT, prefill rate, a rolling decode rate and the sparkline', () => {
    let run = foldTokens(EMPTY_RUN, [{ index: 0, id: 1, text: 'a', ms: 200, prefillTokens: 10 }]);
    expect(run).toMatchObject({ ttftMs: 200, prefillTokS: 50, tokens: 1, steps: [] });
    const steps = Array.from({ length: 20 }, (_, i) => ({ index: i + 1, id: 1, text: 'b', ms: i < 4 ? 1000 : 10 }));
    run = foldTokens(run, steps);
    expect(run.tokens).toBe(21);
    expect(run.steps).toHaveLength(20);
    // The last 16 steps are all 10 ms: the rolling rate has forgotten the four slow ones.
    expect(run.decodeTokS).toBeCloseTo(100, 6);
    run = foldTokens(run, [{ index: 21, id: 1, text: 'c', ms: 5, kernels: { matvec: 3, attention: 1 }, kernelTiming: 'timestamp' }]);
    expect(run.kernels).toEqual({ matvec: 3, attention: 1 });
  });

  it('derive download speed and time left from byte counts', () => {
    let t = 0;
    const r = rateTracker(() => t);
    expect(r.add(0, 1000)).toEqual({});
    t = 1000;
    expect(r.add(100, 1000)).toEqual({ rate: 100, etaS: 9 });
    t = 2000;
    expect(r.add(300, 1000)).toEqual({ rate: 150, etaS: 700 / 150 });
  });
});
