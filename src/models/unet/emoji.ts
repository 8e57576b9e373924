// The embedded image model: a pixel-space emoji UNet trained here (training/diffusion), with its
// word-level prompt tokenizer and learned text embedding table, sampled with DDIM and guidance.
// Each step hands back a preview (the predicted clean image) as RGBA.
import type { RgbaImage } from '../../formats/png';
import { loadError } from '../../formats/errors';
import { mulberry32 } from '../../util/rng';
import { throwIfAborted } from '../../util/errors';
import { alphasCumprod, ddimPrev, ddimStep, ddimTimesteps, guide, type DdimConfig } from './ddim';
import type { Unet } from './unet';

export interface EmojiTokenizer {
  vocab: Map<string, number>;
  maxLength: number;
  padId: number;
  unkId: number;
}

export function emojiTokenizer(vocabJson: unknown, spec: { max_length?: number; pad_id?: number; unk_id?: number } = {}): EmojiTokenizer {
  if (typeof vocabJson !== 'object' || vocabJson === null) throw loadError('ModelLoad', 'vocab.json is not a JSON object of word -> id.');
  return {
    vocab: new Map(Object.entries(vocabJson as Record<string, number>)),
    maxLength: spec.max_length ?? 16,
    padId: spec.pad_id ?? 0,
    unkId: spec.unk_id ?? 1,
  };
}

/** NFKD, lowercase, words of [a-z0-9], unknown words -> unk, truncated and right-padded. */
export function tokenizePrompt(tok: EmojiTokenizer, text: string): number[] {
  const words = text
    .normalize('NFKD')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  const ids = words.map((w) => tok.vocab.get(w) ?? tok.unkId).slice(0, tok.maxLength);
  while (ids.length < tok.maxLength) ids.push(tok.padId);
  return ids;
}

/** Seeded standard normal noise (Box-Muller over mulberry32): the same on every machine. */
export function seededNoise(seed: number, n: number): Float32Array {
  const r = mulberry32(seed >>> 0);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(r(), 1e-12);
    const u2 = r();
    const m = Math.sqrt(-2 * Math.log(u1));
    out[i] = m * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** [-1, 1] CHW (3 channels) -> RGBA bytes. */
export function toRgba(x: Float32Array, h: number, w: number): RgbaImage {
  const data = new Uint8Array(4 * h * w);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.max(0, Math.min(255, Math.round(((x[c * h * w + p] + 1) / 2) * 255)));
    data[4 * p + 3] = 255;
  }
  return { width: w, height: h, data };
}

export interface SampleOptions {
  steps: number;
  guidance: number;
  /** Initial noise [3, H, W] (default: seededNoise(seed)). */
  noise?: Float32Array;
  seed?: number;
  signal?: AbortSignal;
  onStep?: (i: number, total: number, preview: Float32Array, ms: number) => void;
}

/** Text embedding rows for ids: [S, D] gathered from the table [V, D]. */
export function embedIds(table: Float32Array, dim: number, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * dim);
  ids.forEach((id, s) => out.set(table.subarray(id * dim, (id + 1) * dim), s * dim));
  return out;
}

export async function sampleEmoji(unet: Unet, sched: DdimConfig, ctxNull: Float32Array, ctxCond: Float32Array, S: number, o: SampleOptions): Promise<{ image: Float32Array; stepMs: number[] }> {
  const { sampleSize: H, inChannels: C } = unet.cfg;
  const W = H;
  const n = C * H * W;
  const x = Float32Array.from(o.noise ?? seededNoise(o.seed ?? 0, n));
  const ab = alphasCumprod(sched);
  const ts = ddimTimesteps(sched, o.steps);
  const ctx = new Float32Array(ctxNull.length + ctxCond.length);
  ctx.set(ctxNull, 0);
  ctx.set(ctxCond, ctxNull.length);
  const stepMs: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    throwIfAborted(o.signal, 'Generating the image');
    const t0 = performance.now();
    const batch = new Float32Array(2 * n);
    batch.set(x, 0);
    batch.set(x, n);
    const out = await unet.forward(batch, 2, H, W, ts[i], ctx, S);
    const guided = guide(out, o.guidance);
    const x0 = ddimStep(sched, ab, x, guided, ts[i], ddimPrev(sched, ts[i], ts.length));
    stepMs.push(performance.now() - t0);
    o.onStep?.(i, ts.length, x0, stepMs[i]);
  }
  return { image: x, stepMs };
}
