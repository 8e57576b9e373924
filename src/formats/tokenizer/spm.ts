// SentencePiece BPE (GGUF tokenizer.ggml.model = "llama"): Llama 1/2, Mistral v0.1-0.2, TinyLlama.
//
// As in llama.cpp's llm_tokenizer_spm_session: spaces become "▁" (a space is prepended to each text
// fragment that starts the input or follows a special token), the text is cut into characters, and
// the adjacent pair whose concatenation is a token with the highest score is merged (ties go to the
// leftmost pair) until no pair is a token. A character that is not a token is spelled with the byte
// fallback tokens <0x00>..<0xFF>, or the unknown token when the vocabulary has none.
//
// A merged symbol is always a token, because only pairs that are tokens are merged; so llama.cpp's
// "resegment" step (which undoes merges into pieces it cannot emit) never applies here.

import { Heap } from './heap';
import { utf8Bytes } from './byte-level';

interface Candidate {
  score: number;
  left: number;
  right: number;
  /** Length of the merged text, to notice candidates made stale by an earlier merge. */
  size: number;
}

const before = (a: Candidate, b: Candidate) => a.score > b.score || (a.score === b.score && a.left < b.left);

export const SPACE_MARK = '\u2581';

export class SpmModel {
  /**
   * @param vocab text -> id of the pieces merges may produce (normal tokens)
   * @param scores score per token id
   * @param byteIds id of <0xXX> per byte, -1 where the vocabulary has none
   */
  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly scores: ArrayLike<number>,
    private readonly byteIds: Int32Array,
    private readonly unkId: number | undefined,
  ) {}

  /** Append the ids of `fragment` (no special tokens in it) to `out`. */
  encode(fragment: string, prependSpace: boolean, out: number[]): void {
    const escaped = (prependSpace ? ' ' + fragment : fragment).replaceAll(' ', SPACE_MARK);
    if (escaped.length === 0) return;

    const text = Array.from(escaped);
    const n = text.length;
    const prev = new Int32Array(n).map((_, i) => i - 1);
    const next = new Int32Array(n).map((_, i) => (i + 1 < n ? i + 1 : -1));
    const queue = new Heap<Candidate>(before);
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const merged = text[left] + text[right];
      const id = this.vocab.get(merged);
      if (id !== undefined) queue.push({ score: this.scores[id] ?? 0, left, right, size: merged.length });
    };
    for (let i = 1; i < n; i++) consider(i - 1, i);

    while (queue.size > 0) {
      const c = queue.pop() as Candidate;
      const l = text[c.left];
      const r = text[c.right];
      // A symbol only grows by absorbing its right neighbour, so equal lengths mean nothing changed.
      if (l === '' || r === '' || l.length + r.length !== c.size) continue;
      text[c.left] = l + r;
      text[c.right] = '';
      next[c.left] = next[c.right];
      if (next[c.right] >= 0) prev[next[c.right]] = c.left;
      consider(prev[c.left], c.left);
      consider(c.left, next[c.left]);
    }

    for (let i = 0; i >= 0; i = next[i]) {
      const id = this.vocab.get(text[i]);
      if (id !== undefined) out.push(id);
      else this.byteFallback(text[i], out);
    }
  }

  private byteFallback(char: string, out: number[]): void {
    const bytes = utf8Bytes(char);
    if (bytes.every((b) => this.byteIds[b] >= 0)) {
      for (const b of bytes) out.push(this.byteIds[b]);
    } else if (this.unkId !== undefined) {
      out.push(this.unkId);
    }
  }
}
