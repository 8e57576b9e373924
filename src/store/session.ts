// Session state: the engine's status, the device, errors, the log, and the self-test. UI
// components read it with selectors and call its actions; only this store talks to the engine.
import { create } from 'zustand';
import type { EngineClient } from '../engine/client';
import type { DeviceInfo, EngineEvent, SelfTestCase, SelfTestSummary } from '../engine/protocol';
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

export interface SessionState {
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
export function createSessionStore(makeEngine: (onEvent: (e: EngineEvent) => void) => EngineClient) {
  let selfTestAbort: AbortController | null = null;

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

      async boot() {
        if (get().status === 'starting') return;
        set({ status: 'starting', fatal: null });
        try {
          const device = await engine.call((api, id) => api.init(id), { what: 'Starting the engine' });
          set({ status: 'ready', device });
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
        set({ status: 'idle', device: null, selfTest: { running: false, results: [], total: 0, summary: null } });
        await get().boot();
      },

      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((x) => x.id !== id) }));
      },
    };
  });
}
