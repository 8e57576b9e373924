// Session state: the engine's status, the device, errors, the log, and the self-test. UI
// components read it with selectors and call its actions; only this store talks to the engine.
import { create } from 'zustand';
import type { EngineClient } from '../engine/client';
import {
  DEFAULT_SAMPLING,
  type DeviceInfo,
  type EngineEvent,
  type GenerationStats,
  type ModelInfo,
  type ModelSource,
  type SamplingSettings,
  type ChatTurn,
  type SelfTestCase,
  type SelfTestSummary,
} from '../engine/protocol';
import { asEngineError, type ErrorName } from '../util/errors';
import { useMetrics } from './metrics';

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'no-webgpu' | 'lost' | 'failed';

export interface UiError {
  id: number;
  name: ErrorName;
  message: string;
  hint?: string;
  detail?: string;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  time: number;
}

export interface SelfTestState {
  running: boolean;
  results: SelfTestCase[];
  total: number;
  summary: SelfTestSummary | null;
}

/** The model the playground opens with, offline: trained here, shipped in public/models/. */
export const EMBEDDED_MODEL_URL = 'models/embedded-q8_0.gguf';

export interface LoadState {
  stage: string;
  done: number;
  total: number;
  unit: 'bytes' | 'items';
}

export interface GenState {
  running: boolean;
  /** 'raw' continues the prompt; 'chat' renders the conversation with the model's chat template. */
  mode: 'raw' | 'chat';
  /** Finished chat turns (the system prompt is kept apart). */
  messages: ChatTurn[];
  system: string;
  prompt: string;
  output: string;
  stats: GenerationStats | null;
  finish: string | null;
}

export interface SessionState {
  model: ModelInfo | null;
  loading: LoadState | null;
  sampling: SamplingSettings;
  gen: GenState;
  loadModel(source: ModelSource): Promise<void>;
  cancelLoad(): void;
  setPrompt(prompt: string): void;
  setMode(mode: 'raw' | 'chat'): void;
  setSystem(system: string): void;
  /** Forget the conversation (and its KV cache). */
  newChat(): Promise<void>;
  setSampling(patch: Partial<SamplingSettings>): void;
  generate(): Promise<void>;
  stopGeneration(): void;
  status: EngineStatus;
  device: DeviceInfo | null;
  /** The error that stopped the engine from starting (shown as a page, not a banner). */
  fatal: UiError | null;
  errors: UiError[];
  log: LogLine[];
  selfTest: SelfTestState;
  boot(): Promise<void>;
  runSelfTest(kernels?: string[]): Promise<void>;
  cancelSelfTest(): void;
  restartEngine(): Promise<void>;
  dismissError(id: number): void;
}

let nextErrorId = 1;
const LOG_LIMIT = 300;

function toUiError(e: unknown): UiError {
  const err = asEngineError(e);
  return { id: nextErrorId++, name: err.name, message: err.message, hint: err.hint, detail: err.detail };
}

/** Build the store around an engine factory (the browser worker in the app, a fake in tests). */
export function createSessionStore(
  makeEngine: (onEvent: (e: EngineEvent) => void) => EngineClient,
  opts: { autoLoad?: boolean } = {},
) {
  let selfTestAbort: AbortController | null = null;
  let loadAbort: AbortController | null = null;
  let genAbort: AbortController | null = null;
  // Tokens arrive far faster than React should render: buffer them and flush once per frame.
  let pendingText = '';
  let flushScheduled = false;
  const schedule = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 16);

  return create<SessionState>((set, get) => {
    const onEvent = (e: EngineEvent) => {
      switch (e.type) {
        case 'log':
          set((s) => ({ log: [...s.log, { level: e.level, message: e.message, time: e.time }].slice(-LOG_LIMIT) }));
          break;
        case 'selftest':
          set((s) => ({ selfTest: { ...s.selfTest, total: e.total, results: [...s.selfTest.results, e.result] } }));
          break;
        case 'metrics':
          useMetrics.getState().setMemory(e.memory);
          break;
        case 'device-lost':
          set((s) => ({ status: 'lost', errors: [...s.errors, toUiError(e.error)] }));
          break;
        case 'progress':
          if (get().loading) set({ loading: { stage: e.stage, done: e.done, total: e.total, unit: e.unit } });
          break;
        case 'token':
          pendingText += e.text;
          if (!flushScheduled) {
            flushScheduled = true;
            schedule(() => {
              flushScheduled = false;
              const add = pendingText;
              pendingText = '';
              set((s) => ({ gen: { ...s.gen, output: s.gen.output + add } }));
            });
          }
          break;
        case 'generation':
          break;
      }
    };
    const engine = makeEngine(onEvent);
    const pushError = (e: unknown) => set((s) => ({ errors: [...s.errors, toUiError(e)] }));

    return {
      status: 'idle',
      device: null,
      fatal: null,
      errors: [],
      log: [],
      selfTest: { running: false, results: [], total: 0, summary: null },
      model: null,
      loading: null,
      sampling: { ...DEFAULT_SAMPLING },
      gen: { running: false, mode: 'raw', messages: [], system: '', prompt: 'It was a dark and stormy night', output: '', stats: null, finish: null },

      async loadModel(source) {
        if (get().loading || get().status !== 'ready') return;
        loadAbort = new AbortController();
        set({ loading: { stage: 'starting', done: 0, total: 1, unit: 'items' } });
        try {
          const model = await engine.call((api, id) => api.loadModel(id, source), { signal: loadAbort.signal, what: 'Loading the model' });
          set({ model });
        } catch (e) {
          pushError(e);
        } finally {
          loadAbort = null;
          set({ loading: null });
        }
      },

      cancelLoad() {
        loadAbort?.abort();
      },

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

      async newChat() {
        if (get().gen.running) return;
        set((s) => ({ gen: { ...s.gen, messages: [], output: '', stats: null, finish: null } }));
        if (get().model) await engine.call((api) => api.resetContext());
      },

      setSampling(patch) {
        set((s) => ({ sampling: { ...s.sampling, ...patch } }));
      },

      async generate() {
        const { gen, model, sampling } = get();
        if (gen.running || !model) return;
        genAbort = new AbortController();
        pendingText = '';
        const chat = gen.mode === 'chat';
        const turns: ChatTurn[] = chat ? [...gen.messages, { role: 'user', content: gen.prompt }] : [];
        const messages: ChatTurn[] = chat && gen.system.trim() ? [{ role: 'system', content: gen.system }, ...turns] : turns;
        // In chat mode the typed message moves into the conversation; it comes back if the turn fails.
        set({ gen: { ...gen, running: true, output: '', stats: null, finish: null, ...(chat ? { messages: turns, prompt: '' } : {}) } });
        try {
          const r = await engine.call(
            (api, id) =>
              api.generate(id, chat ? { mode: 'chat', messages, sampling } : { mode: 'raw', prompt: gen.prompt, sampling, profile: false }),
            { signal: genAbort.signal, what: 'Generation' },
          );
          // The final text replaces the streamed one; drop tokens still waiting for a frame, or
          // the pending flush would append them a second time.
          pendingText = '';
          set((s) => ({
            gen: {
              ...s.gen,
              output: chat ? '' : r.text,
              messages: chat ? [...turns, { role: 'assistant', content: r.text }] : s.gen.messages,
              stats: r.stats,
              finish: r.finish,
            },
          }));
          useMetrics.getState().setGeneration(r.stats);
        } catch (e) {
          pushError(e);
          if (chat) set((s) => ({ gen: { ...s.gen, messages: gen.messages, prompt: gen.prompt, output: '' } }));
        } finally {
          genAbort = null;
          set((s) => ({ gen: { ...s.gen, running: false } }));
        }
      },

      stopGeneration() {
        genAbort?.abort();
      },

      async boot() {
        if (get().status === 'starting') return;
        set({ status: 'starting', fatal: null });
        try {
          const device = await engine.call((api, id) => api.init(id), { what: 'Starting the engine' });
          set({ status: 'ready', device, model: null });
          if (opts.autoLoad) {
            const url = new URL(EMBEDDED_MODEL_URL, document.baseURI).href;
            void get().loadModel({ kind: 'url', url });
          }
        } catch (e) {
          const err = toUiError(e);
          set({ status: err.name === 'WebGPUUnavailable' ? 'no-webgpu' : 'failed', fatal: err });
        }
      },

      async runSelfTest(kernels) {
        if (get().selfTest.running || get().status !== 'ready') return;
        selfTestAbort = new AbortController();
        set({ selfTest: { running: true, results: [], total: 0, summary: null } });
        try {
          const summary = await engine.call((api, id) => api.selfTest(id, { kernels }), {
            signal: selfTestAbort.signal,
            what: 'The self-test',
          });
          set((s) => ({ selfTest: { ...s.selfTest, running: false, summary } }));
        } catch (e) {
          set((s) => ({ selfTest: { ...s.selfTest, running: false } }));
          pushError(e);
        } finally {
          selfTestAbort = null;
        }
      },

      cancelSelfTest() {
        selfTestAbort?.abort();
      },

      async restartEngine() {
        selfTestAbort?.abort();
        engine.restart();
        genAbort?.abort();
        loadAbort?.abort();
        set({ status: 'idle', device: null, model: null, selfTest: { running: false, results: [], total: 0, summary: null } });
        await get().boot();
      },

      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((x) => x.id !== id) }));
      },
    };
  });
}
