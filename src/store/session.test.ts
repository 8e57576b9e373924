// The session store against a scripted engine: streamed tokens are batched into frames and the
// final text replaces them exactly once; errors land in the banner list without losing state.
import { describe, expect, it } from 'vitest';
import type { EngineClient } from '../engine/client';
import type { EngineApi, EngineEvent, GenerationResult } from '../engine/protocol';
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
});
