// Image share links in the session: build one from the last generated image (every setting, the
// image's hash, ms/step, this device), and open one: switch the image settings to the link's,
// generate once the engine is up, and say whether the image came out the same (by hash).
import { EngineError } from '../util/errors';
import { decodeImageShare, imageHash, imageShareFromHash, imageShareUrl, type ImageSharePayload } from '../share/image-link';
import type { StoreCtx } from './context';
import type { ImageGenState } from './images';
import type { SessionState } from './types';

export interface ImageShareState {
  payload: ImageSharePayload;
  status: 'pending' | 'running' | 'done' | 'failed';
  /** After the run: the same image as the sharer's? */
  match?: boolean;
}

function settingsOf(g: ImageGenState): ImageSharePayload['settings'] {
  const base = { source: g.source, prompt: g.prompt, steps: g.steps, guidance: g.guidance, seed: g.seed };
  if (g.source === 'emoji') return base;
  return {
    ...base,
    sdRepo: g.sdRepo.trim(),
    taesdRepo: g.taesdRepo.trim(),
    fp16: g.fp16,
    weights: g.weights,
    width: g.width,
    height: g.height,
    negativePrompt: g.negativePrompt,
    sampler: g.sampler,
    decoder: g.decoder,
  };
}

export function imageShareActions(ctx: StoreCtx) {
  const { set, get } = ctx;
  const patch = (p: Partial<ImageShareState>) => set((s) => (s.imageShare ? { imageShare: { ...s.imageShare, ...p } } : {}));

  /** Generate the shared image (after boot) and compare it with the sharer's. */
  const play = async () => {
    const sh = get().imageShare;
    if (!sh || sh.status !== 'pending') return;
    const st = sh.payload.settings;
    if (sh.payload.hub && st.source === 'sd') get().setHubBase(sh.payload.hub);
    get().setImageGen({ ...EMPTY_SD_FIELDS(get().image.gen), ...st });
    patch({ status: 'running' });
    await get().generateImage();
    const r = get().image.gen.result;
    if (!r) return patch({ status: 'failed' });
    patch({ status: 'done', match: imageHash(r.image.data) === sh.payload.sharer.imageHash });
  };

  const actions: Pick<SessionState, 'openImageShare' | 'imageShareLink'> = {
    openImageShare(hash) {
      const value = imageShareFromHash(hash);
      if (value === null) return;
      const d = decodeImageShare(value);
      if (!d.ok) {
        ctx.pushError(new EngineError('Unsupported', d.error, { hint: 'The playground opened normally. Ask for the link again.' }));
        return;
      }
      set({ imageShare: { payload: d.payload, status: 'pending' } });
    },

    imageShareLink(base) {
      const g = get().image.gen;
      const r = g.result;
      if (!r || g.running) return null;
      const a = get().device?.adapter;
      const ms = r.stepMs.length ? r.stepMs.reduce((x, y) => x + y, 0) / r.stepMs.length : 0;
      return imageShareUrl(base, {
        v: 1,
        settings: settingsOf(g),
        ...(g.source === 'sd' ? { hub: get().hubBase } : {}),
        sharer: {
          device: a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter' : 'unknown adapter',
          software: a?.isSoftware ?? false,
          msPerStep: Math.round(ms * 10) / 10,
          imageHash: imageHash(r.image.data),
          width: r.image.width,
          height: r.image.height,
        },
      });
    },
  };
  return { actions, play };
}

/** The SD fields a link for the emoji model leaves as they are. */
function EMPTY_SD_FIELDS(g: ImageGenState): Partial<ImageGenState> {
  return { sdRepo: g.sdRepo, taesdRepo: g.taesdRepo, fp16: g.fp16, weights: g.weights, width: g.width, height: g.height, negativePrompt: g.negativePrompt, sampler: g.sampler, decoder: g.decoder };
}
