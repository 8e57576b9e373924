// The generation part of the session: chat and raw modes, sampling, Stop and Regenerate, and the
// token stream folded into the page once per animation frame (text into this store, timings into
// the metrics store), never one render per token.
import type { ChatTurn, TokenEvent } from '../engine/protocol';
import { useMetrics } from './metrics';
import type { StoreCtx } from './context';
import type { FinishedRun, SessionState } from './types';

export function generationActions(ctx: StoreCtx) {
  const { set, get, engine, pushError } = ctx;
  let genAbort: AbortController | null = null;
  let pending: TokenEvent[] = [];
  let flushScheduled = false;
  const schedule = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 16);

  const flush = () => {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const add = batch.map((t) => t.text).join('');
    set((s) => ({ gen: { ...s.gen, output: s.gen.output + add } }));
    useMetrics.getState().addTokens(batch);
  };

  const onToken = (e: TokenEvent) => {
    pending.push(e);
    if (!flushScheduled) {
      flushScheduled = true;
      schedule(flush);
    }
  };

  /** Run one generation; resolves with the finished run, or null when it failed. */
  const run = async (): Promise<FinishedRun | null> => {
    const { gen, model, sampling } = get();
    if (gen.running || !model) return null;
    genAbort = new AbortController();
    pending = [];
    const chat = gen.mode === 'chat';
    const history = chat ? gen.messages : [];
    const turns: ChatTurn[] = chat ? [...history, { role: 'user', content: gen.prompt }] : [];
    const messages: ChatTurn[] = chat && gen.system.trim() ? [{ role: 'system', content: gen.system }, ...turns] : turns;
    // In chat mode the typed message moves into the conversation; it comes back if the turn fails.
    set({ gen: { ...gen, running: true, output: '', stats: null, finish: null, ...(chat ? { messages: turns, prompt: '' } : {}) } });
    useMetrics.getState().startRun();
    try {
      const r = await engine.call(
        (api, id) =>
          api.generate(id, chat ? { mode: 'chat', messages, sampling, profile: gen.profile } : { mode: 'raw', prompt: gen.prompt, sampling, profile: gen.profile }),
        { signal: genAbort.signal, what: 'Generation' },
      );
      // Tokens still waiting for a frame go to the gauges; the final text replaces the streamed one.
      useMetrics.getState().addTokens(pending);
      pending = [];
      const last: FinishedRun = { mode: gen.mode, system: gen.system, history, prompt: gen.prompt, sampling, text: r.text, stats: r.stats };
      set((s) => ({
        gen: {
          ...s.gen,
          output: chat ? '' : r.text,
          messages: chat ? [...turns, { role: 'assistant', content: r.text }] : s.gen.messages,
          stats: r.stats,
          finish: r.finish,
          last,
        },
      }));
      useMetrics.getState().setGeneration(r.stats);
      return last;
    } catch (e) {
      pending = [];
      pushError(e);
      if (chat) set((s) => ({ gen: { ...s.gen, messages: gen.messages, prompt: gen.prompt, output: '' } }));
      return null;
    } finally {
      genAbort = null;
      useMetrics.getState().endRun();
      set((s) => ({ gen: { ...s.gen, running: false } }));
    }
  };

  const actions: Pick<
    SessionState,
    'setPrompt' | 'setMode' | 'setSystem' | 'setProfile' | 'newChat' | 'setSampling' | 'generate' | 'regenerate' | 'stopGeneration'
  > = {
    setPrompt(prompt) {
      set((s) => ({ gen: { ...s.gen, prompt } }));
    },

    setMode(mode) {
      if (get().gen.running) return;
      set((s) => ({ gen: { ...s.gen, mode, output: '', stats: null, finish: null } }));
    },

    setSystem(system) {
      set((s) => ({ gen: { ...s.gen, system } }));
    },

    setProfile(profile) {
      set((s) => ({ gen: { ...s.gen, profile } }));
    },

    async newChat() {
      if (get().gen.running) return;
      set((s) => ({ gen: { ...s.gen, messages: [], output: '', stats: null, finish: null } }));
      if (get().model) await engine.call((api) => api.resetContext());
    },

    setSampling(patch) {
      set((s) => ({ sampling: { ...s.sampling, ...patch } }));
    },

    async generate() {
      await run();
    },

    async regenerate() {
      const { gen, sampling } = get();
      if (gen.running || !gen.last) return;
      // Random sampling gets the next seed, so the answer changes and the link still reproduces it.
      if (sampling.temperature > 0) set({ sampling: { ...sampling, seed: (sampling.seed + 1) >>> 0 } });
      if (gen.mode === 'chat') {
        const m = gen.messages;
        if (m.length < 2 || m[m.length - 1].role !== 'assistant' || m[m.length - 2].role !== 'user') return;
        set({ gen: { ...gen, messages: m.slice(0, -2), prompt: m[m.length - 2].content } });
      } else {
        set({ gen: { ...gen, prompt: gen.last.prompt } });
      }
      await run();
    },

    stopGeneration() {
      genAbort?.abort();
    },
  };
  return { actions, onToken, run, abort: () => genAbort?.abort() };
}
