// The model-loading part of the session: load from the embedded file, the hub (through the persistent
// cache) or a local file; the "will it fit" check before a download; the cached-models list;
// download speed and time left from the worker's byte counts.
import { DEFAULT_HUB, parseModelRef } from '../formats/hub';
import { useMetrics } from './metrics';
import type { StoreCtx } from './context';
import { toUiError } from './context';
import type { LoadState, SessionState } from './types';

const HUB_KEY = 'playground.hubBase';
/** Window the download rate is measured over. */
const RATE_WINDOW_MS = 3000;

export function initialHubBase(): string {
  try {
    const fromUrl = typeof location !== 'undefined' ? new URLSearchParams(location.search).get('hub') : null;
    if (fromUrl) return fromUrl;
    const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(HUB_KEY) : null;
    if (saved) return saved;
  } catch {
    // storage blocked: use the default
  }
  return DEFAULT_HUB;
}

/** Tracks (time, bytes) samples of a download and derives its rate and time left. */
export function rateTracker(now: () => number = () => performance.now()) {
  let samples: [number, number][] = [];
  return {
    reset() {
      samples = [];
    },
    add(done: number, total: number): Pick<LoadState, 'rate' | 'etaS'> {
      const t = now();
      samples.push([t, done]);
      while (samples.length > 2 && t - samples[0][0] > RATE_WINDOW_MS) samples.shift();
      const [t0, d0] = samples[0];
      if (t - t0 < 200 || done <= d0) return {};
      const rate = ((done - d0) * 1000) / (t - t0);
      return { rate, etaS: total > done ? (total - done) / rate : 0 };
    },
  };
}

export function modelActions(ctx: StoreCtx) {
  const { set, get, engine, pushError } = ctx;
  let loadAbort: AbortController | null = null;
  let fitAbort: AbortController | null = null;
  const rate = rateTracker();

  const measureBandwidth = async () => {
    if (useMetrics.getState().bandwidth) return;
    try {
      useMetrics.getState().setBandwidth(await engine.call((api, id) => api.measureBandwidth(id), { what: 'Measuring bandwidth' }));
    } catch (e) {
      get().reportError(e);
    }
  };

  const onProgress = (e: { stage: string; done: number; total: number; unit: 'bytes' | 'items' }) => {
    if (!get().loading) return;
    const extra = e.stage === 'downloading' ? rate.add(e.done, e.total) : {};
    set({ loading: { stage: e.stage, done: e.done, total: e.total, unit: e.unit, ...extra } });
  };

  const actions: Pick<
    SessionState,
    'loadModel' | 'loadEmbedded' | 'cancelLoad' | 'checkFit' | 'clearFit' | 'refreshCache' | 'deleteCached' | 'setHubBase' | 'setLoadOptions'
  > = {
    async loadModel(source) {
      if (get().loading || get().status !== 'ready') return;
      loadAbort = new AbortController();
      rate.reset();
      set({ loading: { stage: 'starting', done: 0, total: 1, unit: 'items' } });
      try {
        const model = await engine.call((api, id) => api.loadModel(id, source, get().loadOptions), { signal: loadAbort.signal, what: 'Loading the model' });
        set({ model, source });
        if (source.kind === 'url' && source.cache) {
          void (globalThis.navigator as Navigator | undefined)?.storage?.persist?.().catch(() => false);
          void get().refreshCache();
        }
        void measureBandwidth();
      } catch (e) {
        pushError(e);
      } finally {
        loadAbort = null;
        set({ loading: null });
      }
    },

    async loadEmbedded() {
      await get().loadModel({ kind: 'url', url: ctx.embeddedUrl() });
    },

    cancelLoad() {
      loadAbort?.abort();
    },

    async checkFit(input) {
      fitAbort?.abort();
      let url: string;
      try {
        url = parseModelRef(input, get().hubBase).url;
      } catch (e) {
        set({ fit: { target: input, status: 'error', error: toUiError(e) } });
        return;
      }
      const ac = new AbortController();
      fitAbort = ac;
      set({ fit: { target: url, status: 'checking' } });
      try {
        const result = await engine.call((api, id) => api.inspectModel(id, { kind: 'url', url, cache: true }, get().loadOptions), { signal: ac.signal, what: 'Checking the model' });
        if (get().fit?.target === url) set({ fit: { target: url, status: 'done', result } });
      } catch (e) {
        if (get().fit?.target === url) set({ fit: { target: url, status: 'error', error: toUiError(e) } });
      } finally {
        if (fitAbort === ac) fitAbort = null;
      }
    },

    clearFit() {
      fitAbort?.abort();
      set({ fit: null });
    },

    async refreshCache() {
      try {
        set({ cache: await engine.call((api) => api.listCachedModels()) });
      } catch (e) {
        pushError(e);
      }
    },

    async deleteCached(url) {
      try {
        set({ cache: await engine.call((api) => api.deleteCachedModel(url)) });
        const fit = get().fit;
        if (fit?.result && fit.target === url) set({ fit: { ...fit, result: { ...fit.result, cached: false } } });
      } catch (e) {
        pushError(e);
      }
    },

    setLoadOptions(patch) {
      set((s) => ({ loadOptions: { ...s.loadOptions, ...patch }, fit: null }));
    },

    setHubBase(base) {
      const b = base.trim().replace(/\/+$/, '') || DEFAULT_HUB;
      try {
        localStorage.setItem(HUB_KEY, b);
      } catch {
        // not persisted; still used for this session
      }
      set({ hubBase: b, fit: null });
    },
  };
  return { actions, onProgress };
}
