// The embedded image model's host side: a pixel-space emoji UNet trained here (training/diffusion)
// prompts through a word-level tokenizer and a learned text embedding table; samples are [-1, 1]
// pixels turned into RGBA. Sampling itself is the shared loop in denoise.ts.
import type { RgbaImage } from '../../formats/png';
import { loadError } from '../../formats/errors';

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

/** [-1, 1] CHW (3 channels) -> RGBA bytes. */
export function toRgba(x: Float32Array, h: number, w: number): RgbaImage {
  const data = new Uint8Array(4 * h * w);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.max(0, Math.min(255, Math.round(((x[c * h * w + p] + 1) / 2) * 255)));
    data[4 * p + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** Text embedding rows for ids: [S, D] gathered from the table [V, D]. */
export function embedIds(table: Float32Array, dim: number, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * dim);
  ids.forEach((id, s) => out.set(table.subarray(id * dim, (id + 1) * dim), s * dim));
  return out;
}
