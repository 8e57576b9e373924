// The session store: the one place that talks to the engine. It composes the model
// (loading.ts), generation (generation.ts) and share-link (share.ts) parts with the engine's
// lifecycle, errors, log and self-test kept here. UI components read it with selectors.
import { create } from 'zustand';
import type { EngineClient } from '../engine/client';
import { DEFAULT_KV_TYPE, DEFAULT_SAMPLING, type EngineEvent, type ModelSource } from '../engine/protocol';
import { EMBEDDED_MODEL_URL, toUiError, type StoreCtx } from './context';
import { generationActions } from './generation';
import { imageShareActions } from './image-share';
import { EMPTY_IMAGE_STATE, imageActions } from './images';
import { useMetrics } from './metrics';
import { initialHubBase, modelActions } from './loading';
import { shareActions } from './share';
import type { SessionState } from './types';
import { EngineError } from '../util/errors';

export type { EngineStatus, UiError, LogLine, SelfTestState, LoadState, GenState, SessionState, FitState, ShareState } from './types';
export { EMBEDDED_MODEL_URL };

const LOG_LIMIT = 300;

/** Build the store around an engine factory (the browser worker in the app, a fake in tests). */
export function createSessionStore(
  makeEngine: (onEvent: (e: EngineEvent) => void) => EngineClient,
  opts: { autoLoad?: boolean } = {},
) {
  let selfTestAbort: AbortController | null = null;

  return create<SessionState>((set, get) => {
    // Filled in below, once the parts exist; events only arrive after the engine starts.
    let onProgress: ReturnType<typeof modelActions>['onProgress'] = () => {};
    let onToken: ReturnType<typeof generationActions>['onToken'] = () => {};
    let onImageProgress: ReturnType<typeof imageActions>['onProgress'] = () => false;
    let onImageStep: ReturnType<typeof imageActions>['onStep'] = () => {};
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
          set((s) => ({ status: 'lost', errors: [...s.errors, toUiError(EngineError.fromWire(e.error))] }));
          break;
        case 'progress':
          if (!onImageProgress(e)) onProgress(e);
          break;
        case 'token':
          onToken(e);
          break;
        case 'generation':
          break;
        case 'image-step':
          onImageStep(e);
          break;
      }
    };
    const engine = makeEngine(onEvent);
    const assetUrl = (path: string) => (typeof document !== 'undefined' ? new URL(path, document.baseURI).href : path);
    const pushError = (e: unknown) => set((s) => ({ errors: [...s.errors, toUiError(e)] }));
    const ctx: StoreCtx = {
      set,
      get,
      engine,
      pushError,
      assetUrl,
      embeddedUrl: () => assetUrl(EMBEDDED_MODEL_URL),
    };
    const models = modelActions(ctx);
    const gen = generationActions(ctx);
    const share = shareActions(ctx, gen.run);
    const images = imageActions(ctx);
    const imageShare = imageShareActions(ctx);
    onImageProgress = images.onProgress;
    onImageStep = images.onStep;
    onProgress = models.onProgress;
    onToken = gen.onToken;

    /** Start the engine; then load `reload` (after a restart), a shared demo's model, or the embedded one. */
    const start = async (reload: ModelSource | null) => {
      if (get().status === 'starting') return;
      set({ status: 'starting', fatal: null });
      try {
        const device = await engine.call((api, id) => api.init(id), { what: 'Starting the engine' });
        set({ status: 'ready', device, model: null });
      } catch (e) {
        const err = toUiError(e);
        set({ status: err.name === 'WebGPUUnavailable' ? 'no-webgpu' : 'failed', fatal: err });
        return;
      }
      if (!opts.autoLoad) return;
      void get().refreshCache();
      if (reload) await get().loadModel(reload);
      else if (get().share?.status === 'loading') await share.play();
      else await get().loadEmbedded();
      if (get().imageShare?.status === 'pending') await imageShare.play();
    };

    return {
      status: 'idle',
      device: null,
      fatal: null,
      errors: [],
      log: [],
      selfTest: { running: false, results: [], total: 0, summary: null },
      model: null,
      source: null,
      loading: null,
      hubBase: initialHubBase(),
      loadOptions: { kvType: DEFAULT_KV_TYPE },
      fit: null,
      cache: null,
      sampling: { ...DEFAULT_SAMPLING },
      gen: { running: false, mode: 'raw', messages: [], system: '', prompt: 'It was a dark and stormy night', output: '', stats: null, finish: null, profile: false, last: null },
      share: null,
      image: EMPTY_IMAGE_STATE,
      imageShare: null,

      ...models.actions,
      async loadModel(source) {
        await models.actions.loadModel(source);
        if (source.kind === 'file' && get().share?.status === 'needs-file') await share.runIfModelMatches();
      },
      ...gen.actions,
      ...share.actions,
      ...images.actions,
      ...imageShare.actions,

      boot: () => start(null),

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
        gen.abort();
        get().cancelLoad();
        const reload = get().source;
        engine.restart();
        useMetrics.getState().setBandwidth(null);
        get().cancelUpscale();
        get().cancelImage();
        set({ status: 'idle', device: null, model: null, loading: null, fit: null, selfTest: { running: false, results: [], total: 0, summary: null } });
        await start(reload);
      },

      async simulateDeviceLoss() {
        try {
          await engine.call((api) => api.simulateDeviceLoss());
        } catch (e) {
          pushError(e);
        }
      },

      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((x) => x.id !== id) }));
      },

      reportError: pushError,
    };
  });
}
