// The image part of the session: the upscaler's input, scale, progress and result. Pixels go to the
// worker and come back transferred (the store keeps the result; the input is copied once so the
// preview survives the transfer).
import { transferable } from '../engine/client';
import type { ImageGenRequest, ImageGenResult, ImageRgba, ImageSampler, UpscaleResult } from '../engine/protocol';
import type { StoreCtx } from './context';
import type { SessionState } from './types';

/** Where the app serves esrgan-slim's model files (see scripts/esrgan-assets.ts). */
export const UPSCALER_BASE = 'models/esrgan-slim/';

/** The embedded image model's files, in public/models/. */
export const EMOJI_MODEL_BASE = 'models/emoji-unet/';

export interface ImageGenState {
  prompt: string;
  steps: number;
  guidance: number;
  seed: number;
  /** The embedded emoji model, or a Stable Diffusion repo from the hub. */
  source: 'emoji' | 'sd';
  sdRepo: string;
  /** TAESD repo for previews / fast decode; '' for none. */
  taesdRepo: string;
  fp16: boolean;
  weights: 'f16' | 'f32' | 'i8';
  width: number;
  height: number;
  negativePrompt: string;
  sampler: ImageSampler | 'auto';
  decoder: 'vae' | 'taesd';
  running: boolean;
  step: number;
  total: number;
  stepMs: number[];
  preview: ImageRgba | null;
  /** The preview is the latent's channels, not a decoded image (no TAESD). */
  previewApproximate: boolean;
  /** Downloads and uploads of a hub model, as they happen. */
  loading: { stage: string; done: number; total: number } | null;
  result: ImageGenResult | null;
}

export const EMPTY_GEN: ImageGenState = {
  prompt: 'smiling face',
  steps: 20,
  guidance: 3,
  seed: 42,
  source: 'emoji',
  sdRepo: 'stabilityai/sd-turbo',
  taesdRepo: 'madebyollin/taesd',
  fp16: true,
  weights: 'f16',
  width: 512,
  height: 512,
  negativePrompt: '',
  sampler: 'auto',
  decoder: 'vae',
  running: false,
  step: 0,
  total: 0,
  stepMs: [],
  preview: null,
  previewApproximate: false,
  loading: null,
  result: null,
};

/** The worker request for the current settings. */
export function imageRequest(g: ImageGenState, modelBase: string, hub: string): ImageGenRequest {
  const base = { prompt: g.prompt, steps: g.steps, guidance: g.guidance, seed: g.seed, modelBase };
  if (g.source === 'emoji') return base;
  return {
    ...base,
    sd: { hub, repo: g.sdRepo.trim(), taesd: g.taesdRepo.trim() || undefined, fp16: g.fp16, weights: g.weights },
    width: g.width,
    height: g.height,
    negativePrompt: g.negativePrompt,
    sampler: g.sampler === 'auto' ? undefined : g.sampler,
    decoder: g.decoder,
  };
}

export interface ImageState {
  gen: ImageGenState;
  source: ImageRgba | null;
  sourceName: string;
  scale: 2 | 3 | 4;
  running: boolean;
  progress: { done: number; total: number } | null;
  result: UpscaleResult | null;
}

export const EMPTY_IMAGE_STATE: ImageState = { gen: EMPTY_GEN, source: null, sourceName: '', scale: 2, running: false, progress: null, result: null };

export function imageActions(ctx: StoreCtx) {
  const { set, get, engine, pushError } = ctx;
  let abort: AbortController | null = null;
  const patch = (p: Partial<ImageState>) => set((s) => ({ image: { ...s.image, ...p } }));

  let genAbort: AbortController | null = null;
  const patchGen = (p: Partial<ImageGenState>) => set((s) => ({ image: { ...s.image, gen: { ...s.image.gen, ...p } } }));
  const onStep = (e: { step: number; total: number; ms: number; preview: ImageRgba | null; approximate?: boolean }) => {
    const g = get().image.gen;
    if (!g.running) return;
    patchGen({ step: e.step + 1, total: e.total, stepMs: [...g.stepMs, e.ms], loading: null, ...(e.preview ? { preview: e.preview, previewApproximate: e.approximate ?? false } : {}) });
  };

  // The calls this part started, so their progress events come here (by call id, not by guessing).
  let genCall = -1;
  let upscaleCall = -1;
  /** Progress of an image call: 'progress' events whose callId is one of ours; false for others. */
  const onProgress = (e: { callId: number; done: number; total: number; stage: string }): boolean => {
    if (e.callId === upscaleCall) patch({ progress: { done: e.done, total: e.total } });
    else if (e.callId === genCall) patchGen({ loading: { stage: e.stage, done: e.done, total: e.total } });
    else return false;
    return true;
  };

  const actions: Pick<SessionState, 'setUpscaleSource' | 'setUpscaleScale' | 'upscale' | 'cancelUpscale' | 'setImageGen' | 'generateImage' | 'cancelImage'> = {
    setImageGen(p) {
      if (get().image.gen.running) return;
      patchGen(p);
    },

    async generateImage() {
      const { image, status } = get();
      const g = image.gen;
      if (g.running || status !== 'ready') return;
      genAbort = new AbortController();
      patchGen({ running: true, step: 0, total: g.steps, stepMs: [], preview: null, previewApproximate: false, loading: null, result: null });
      const req = imageRequest(g, ctx.assetUrl(EMOJI_MODEL_BASE), get().hubBase);
      try {
        const result = await engine.call((api, id) => ((genCall = id), api.generateImage(id, req)), {
          signal: genAbort.signal,
          what: 'Generating the image',
        });
        patchGen({ result, preview: result.image });
      } catch (e) {
        pushError(e);
      } finally {
        genAbort = null;
        patchGen({ running: false, loading: null });
      }
    },

    cancelImage() {
      genAbort?.abort();
    },

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
      const modelBase = ctx.assetUrl(UPSCALER_BASE);
      // Send a copy: the original stays on screen while the worker owns the transferred one.
      const copy = { ...image.source, data: image.source.data.slice() };
      try {
        const result = await engine.call((api, id) => ((upscaleCall = id), api.upscale(id, transferable({ image: copy, scale: image.scale, modelBase }, [copy.data.buffer]))), {
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
  return { actions, onProgress, onStep };
}
