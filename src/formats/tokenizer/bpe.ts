// Byte-level BPE (GGUF tokenizer.ggml.model = "gpt2"): GPT-2, Llama-3, Qwen2, SmolLM.
//
// Each pre-tokenized word is UTF-8 encoded and spelled with GPT-2's byte characters; then, as in
// llama.cpp's llm_tokenizer_bpe_session, the adjacent pair with the lowest merge rank is merged (ties go
// to the leftmost pair) until no listed merge applies. A symbol left that is not a token falls back to
// its single-byte tokens. Results are cached per word, since prompts repeat words a lot.

import { toByteLevel } from './byte-level';
import { Heap } from './heap';
import { preTokenize, type PreTokenizer } from './pre-tokenizers';

interface Candidate {
  rank: number;
  left: number;
  right: number;
  /** The merged text, to notice candidates made stale by an earlier merge. */
  text: string;
}

const before = (a: Candidate, b: Candidate) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

/** Words longer than this are not cached (a long run of one character would only fill the cache). */
const MAX_CACHED_WORD = 64;
const MAX_CACHE_ENTRIES = 50_000;

export class BpeModel {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * @param vocab text -> id for the tokens merges may produce (normal tokens)
   * @param merges "left right" in priority order (rank = index); the first of duplicates wins
   */
  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly string[],
    private readonly pre: PreTokenizer,
  ) {
    merges.forEach((m, rank) => {
      if (!this.ranks.has(m)) this.ranks.set(m, rank);
    });
  }

  /** Append the ids of `text` (a fragment with no special tokens in it) to `out`. */
  encode(text: string, out: number[]): void {
    for (const word of preTokenize(text, this.pre.regexes)) {
      const cached = this.cache.get(word);
      if (cached !== undefined) {
        for (const id of cached) out.push(id);
        continue;
      }
      const ids = this.encodeWord(toByteLevel(word));
      if (word.length <= MAX_CACHED_WORD) {
        if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
        this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodeWord(word: string): number[] {
    if (this.pre.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }

    // Symbols as a linked list over the word's characters (one per byte).
    const n = word.length;
    const text: string[] = Array.from(word);
    const prev = new Int32Array(n).map((_, i) => i - 1);
    const next = new Int32Array(n).map((_, i) => (i + 1 < n ? i + 1 : -1));
    const queue = new Heap<Candidate>(before);
    const consider = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const rank = this.ranks.get(text[left] + ' ' + text[right]);
      if (rank !== undefined) queue.push({ rank, left, right, text: text[left] + text[right] });
    };
    for (let i = 1; i < n; i++) consider(i - 1, i);

    while (queue.size > 0) {
      const c = queue.pop() as Candidate;
      const l = text[c.left];
      const r = text[c.right];
      if (l === '' || r === '' || next[c.left] !== c.right || l + r !== c.text) continue;
      text[c.left] = c.text;
      text[c.right] = '';
      next[c.left] = next[c.right];
      if (next[c.right] >= 0) prev[next[c.right]] = c.left;
      consider(prev[c.left], c.left);
      consider(c.left, next[c.left]);
    }

    const ids: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) {
      const id = this.vocab.get(text[i]);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // Not a token: its bytes one by one (each character is one byte); a byte with no token is dropped,
      // as llama.cpp does, which only happens with a vocabulary that lacks some of the 256 byte tokens.
      for (const ch of text[i]) {
        const byteId = this.vocab.get(ch);
        if (byteId !== undefined) ids.push(byteId);
      }
    }
    return ids;
  }
}
