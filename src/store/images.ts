// The image part of the session: the upscaler's input, scale, progress and result. Pixels go to the
// worker and come back transferred (the store keeps the result; the input is copied once so the
// preview survives the transfer).
import { transferable } from '../engine/client';
import type { ImageRgba, UpscaleResult } from '../engine/protocol';
import type { StoreCtx } from './context';
import type { SessionState } from './types';

/** Where the app serves esrgan-slim's model files (see scripts/esrgan-assets.ts). */
export const UPSCALER_BASE = 'models/esrgan-slim/';

export interface ImageState {
  source: ImageRgba | null;
  sourceName: string;
  scale: 2 | 3 | 4;
  running: boolean;
  progress: { done: number; total: number } | null;
  result: UpscaleResult | null;
}

export const EMPTY_IMAGE_STATE: ImageState = { source: null, sourceName: '', scale: 2, running: false, progress: null, result: null };

export function imageActions(ctx: StoreCtx) {
  const { set, get, engine, pushError } = ctx;
  let abort: AbortController | null = null;
  const patch = (p: Partial<ImageState>) => set((s) => ({ image: { ...s.image, ...p } }));

  const onProgress = (e: { done: number; total: number }) => {
    if (get().image.running) patch({ progress: { done: e.done, total: e.total } });
  };

  const actions: Pick<SessionState, 'setUpscaleSource' | 'setUpscaleScale' | 'upscale' | 'cancelUpscale'> = {
    setUpscaleSource(image, name) {
      if (get().image.running) return;
      patch({ source: image, sourceName: name, result: null });
    },

    setUpscaleScale(scale) {
      patch({ scale });
    },

    async upscale() {
      const { image, status } = get();
      if (!image.source || image.running || status !== 'ready') return;
      abort = new AbortController();
      patch({ running: true, progress: null, result: null });
      const modelBase = typeof document !== 'undefined' ? new URL(UPSCALER_BASE, document.baseURI).href : UPSCALER_BASE;
      // Send a copy: the original stays on screen while the worker owns the transferred one.
      const copy = { ...image.source, data: image.source.data.slice() };
      try {
        const result = await engine.call((api, id) => api.upscale(id, transferable({ image: copy, scale: image.scale, modelBase }, [copy.data.buffer])), {
          signal: abort.signal,
          what: 'Upscaling',
        });
        patch({ result });
      } catch (e) {
        pushError(e);
      } finally {
        abort = null;
        patch({ running: false, progress: null });
      }
    },

    cancelUpscale() {
      abort?.abort();
    },
  };
  return { actions, onProgress };
}
