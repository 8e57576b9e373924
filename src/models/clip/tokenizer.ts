// CLIP's BPE tokenizer from an SD repo's tokenizer/ files (vocab.json, merges.txt,
// tokenizer_config.json), with the semantics of transformers' CLIPTokenizer as diffusers runs it
// (without the optional ftfy package; its reference is training/diffusion/clip_ref.py):
//
//  1. The special tokens (bos, eos, unk and pad) are cut out of the raw text first and map straight
//     to their ids. SD 2.x and sd-turbo pad with "!", so every "!" in their prompts is id 0 on its
//     own ("!!" is two of them, not CLIP's "!!" token), as transformers does for them.
//  2. Each other piece is cleaned: NUL, U+FFFD and control/format characters (Unicode category C,
//     except tab, newline and carriage return) are dropped; whitespace (those three, space, category
//     Zs) becomes a space; CJK ideographs get spaces around them; then NFC, split on whitespace,
//     lowercase each word, join with single spaces.
//  3. Pre-tokens: <|startoftext|> | <|endoftext|> | 's 't 're 've 'm 'll 'd | a run of letters |
//     a single digit | a run of other non-space characters (so "it's" is "it" "'s", "1990s" is
//     "1" "9" "9" "0" "s").
//  4. Each pre-token's UTF-8 bytes are spelled with GPT-2's byte characters, the last one marked as
//     the word's end ("</w>"); BPE then merges, again and again, the adjacent pair that comes first
//     in merges.txt (after its "#version" line; CLIP reads at most 48894 merges), every occurrence
//     left to right, until no listed pair is left. A piece the vocab lacks becomes the unk id.
//  5. ids = [bos] + the first maxLength - 2 piece ids + [eos], padded with the pad id to maxLength
//     (77): the form SD pipelines feed the text encoder.
// With ftfy installed, transformers would also repair mojibake and unescape HTML entities, and not
// space out CJK ideographs; plain prompts tokenize the same either way.
import { loadError } from '../../formats/errors';
import { fromByteLevel, toByteLevel } from '../../formats/tokenizer/byte-level';

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';
const END_OF_WORD = '</w>';
/** CLIP reads merges.txt lines 1 .. 49152 - 256 - 2 (its vocab: 256 bytes, 256 with </w>, the merges, 2 specials). */
const MAX_MERGES = 49152 - 256 - 2;

const PRETOKEN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;
const CONTROL = /\p{C}/u;
const SPACE = /[ \t\n\r\p{Zs}]/u;
// What Python's str.split() splits on, of what survives cleaning: spaces and the line/paragraph separators.
const WORD_BREAK = /[\s\u2028\u2029]+/u;

export interface ClipTokenizerConfig {
  /** Padded length (tokenizer_config's model_max_length; 77). */
  maxLength: number;
  bos: string;
  eos: string;
  unk: string;
  pad: string;
}

export interface ClipTokenizer {
  readonly maxLength: number;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  /** BPE pieces of the text (no bos/eos, not truncated): `["a</w>", "photo</w>", ...]`. */
  tokenize(text: string): string[];
  /** [bos, ...ids, eos, pad...]: exactly maxLength ids, truncated to fit (eos kept). */
  encode(text: string): number[];
  /** encode, and whether the prompt was cut and how many ids it had before padding. */
  encodeWithInfo(text: string): { ids: number[]; length: number; truncated: boolean };
  /** The text of ids: trailing padding, bos, eos and unk left out; word ends become spaces. */
  decode(ids: readonly number[]): string;
}

const isCjk = (cp: number) =>
  (cp >= 0x4e00 && cp <= 0x9fff) ||
  (cp >= 0x3400 && cp <= 0x4dbf) ||
  (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2b73f) ||
  (cp >= 0x2b740 && cp <= 0x2b81f) ||
  (cp >= 0x2b820 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0x2f800 && cp <= 0x2fa1f);

/** Step 2 of the header: a piece of prompt as the lowercased words the pre-tokenizer sees. */
export function normalizeClipText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (SPACE.test(ch)) out += ' ';
    else if (cp === 0 || cp === 0xfffd || CONTROL.test(ch)) continue;
    else if (isCjk(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out
    .normalize('NFC')
    .split(WORD_BREAK)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase())
    .join(' ');
}

/** A special-token field of tokenizer_config.json: a string, or an AddedToken object with `content`. */
function tokenField(cfg: Record<string, unknown>, key: string, fallback: string, source: string): string {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  throw loadError('ModelLoad', `${source}: "${key}" is neither a string nor an object with "content".`, { hint: "Pick the tokenizer_config.json of the model's tokenizer/ folder." });
}

/** tokenizer_config.json -> the fields CLIP tokenization uses (transformers' defaults for any it lacks). */
export function readClipTokenizerConfig(json: unknown, source = 'tokenizer_config.json'): ClipTokenizerConfig {
  if (json === undefined || json === null) json = {};
  if (typeof json !== 'object' || Array.isArray(json)) throw loadError('ModelLoad', `${source} is not a JSON object.`);
  const c = json as Record<string, unknown>;
  const maxLength = c.model_max_length ?? 77;
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 2 || maxLength > 4096) {
    throw loadError('Unsupported', `${source}: model_max_length ${JSON.stringify(maxLength)} is not a CLIP prompt length (77).`);
  }
  return {
    maxLength,
    bos: tokenField(c, 'bos_token', BOS_TOKEN, source),
    eos: tokenField(c, 'eos_token', EOS_TOKEN, source),
    unk: tokenField(c, 'unk_token', EOS_TOKEN, source),
    pad: tokenField(c, 'pad_token', EOS_TOKEN, source),
  };
}

function readVocab(json: unknown): Map<string, number> {
  const bad = (what: string) => loadError('ModelLoad', `tokenizer/vocab.json ${what}.`, { hint: 'Download the file again, or pick the vocab.json of a CLIP tokenizer.' });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('is not a JSON object of token -> id');
  const vocab = new Map<string, number>();
  const seen = new Map<number, string>();
  for (const [token, id] of Object.entries(json as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw bad(`maps "${token}" to ${JSON.stringify(id)}, not an id`);
    const other = seen.get(id);
    if (other !== undefined) throw bad(`gives id ${id} to both "${other}" and "${token}"`);
    seen.set(id, token);
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw bad('is empty');
  return vocab;
}

/** merges.txt -> "left right" -> rank (its line order), checked against the vocab. */
function readMerges(text: string, vocab: Map<string, number>): Map<string, number> {
  const bad = (what: string) =>
    loadError('ModelLoad', `tokenizer/merges.txt ${what}.`, { hint: 'vocab.json and merges.txt must come from the same CLIP tokenizer; download them again.' });
  if (typeof text !== 'string') throw bad('is not text');
  const lines = text.trim().split(/\r?\n/);
  if (!lines[0]?.startsWith('#version')) throw bad(`does not start with a "#version" line (it starts "${(lines[0] ?? '').slice(0, 40)}")`);
  const ranks = new Map<string, number>();
  const last = Math.min(lines.length, MAX_MERGES + 1);
  for (let i = 1; i < last; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') continue;
    if (parts.length !== 2) throw bad(`line ${i + 1} is "${lines[i].slice(0, 60)}", not two symbols`);
    if (!vocab.has(parts[0] + parts[1])) throw bad(`line ${i + 1} merges "${parts[0]}" and "${parts[1]}" into a token vocab.json does not have`);
    // A repeated pair keeps its later rank, as CLIP's dict of merges does.
    ranks.set(`${parts[0]} ${parts[1]}`, i - 1);
  }
  return ranks;
}

/** BPE of one pre-token (step 4 of the header). */
function bpe(word: string, ranks: Map<string, number>): string[] {
  let symbols = Array.from(toByteLevel(word));
  symbols[symbols.length - 1] += END_OF_WORD;
  while (symbols.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const [a, b] = [symbols[best], symbols[best + 1]];
    const merged: string[] = symbols.slice(0, best);
    for (let i = best; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
        merged.push(a + b);
        i++;
      } else {
        merged.push(symbols[i]);
      }
    }
    symbols = merged;
  }
  return symbols;
}

const MAX_CACHE = 20_000;

/**
 * A CLIP tokenizer from vocab.json (parsed), merges.txt (text) and tokenizer_config.json (parsed;
 * optional: without it, SD 1.x's settings). Malformed files throw named ModelLoad errors.
 */
export function clipTokenizer(vocabJson: unknown, mergesTxt: string, config?: unknown): ClipTokenizer {
  const vocab = readVocab(vocabJson);
  const ranks = readMerges(mergesTxt, vocab);
  const cfg = readClipTokenizerConfig(config);
  const idOf = (token: string, role: string) => {
    const id = vocab.get(token);
    if (id === undefined) throw loadError('ModelLoad', `tokenizer/vocab.json has no ${role} token "${token}".`, { hint: 'vocab.json and tokenizer_config.json come from different tokenizers.' });
    return id;
  };
  const bosId = idOf(cfg.bos, 'start');
  const eosId = idOf(cfg.eos, 'end');
  const unkId = idOf(cfg.unk, 'unknown');
  const padId = idOf(cfg.pad, 'padding');
  const specials = [...new Set([cfg.bos, cfg.eos, cfg.unk, cfg.pad])].sort((a, b) => b.length - a.length);
  const byId = new Map<number, string>();
  for (const [t, id] of vocab) byId.set(id, t);
  const cache = new Map<string, string[]>();

  const pieces = (word: string): string[] => {
    if (word === BOS_TOKEN || word === EOS_TOKEN) return [word];
    let p = cache.get(word);
    if (!p) {
      p = bpe(word, ranks);
      if (cache.size >= MAX_CACHE) cache.clear();
      cache.set(word, p);
    }
    return p;
  };

  const tokenize = (text: string): string[] => {
    const out: string[] = [];
    const plain = (piece: string) => {
      for (const m of normalizeClipText(piece).matchAll(PRETOKEN)) out.push(...pieces(m[0]));
    };
    // Step 1: at each position the longest special token there, else one more character of plain text.
    let start = 0;
    for (let i = 0; i < text.length; ) {
      const hit = specials.find((s) => text.startsWith(s, i));
      if (!hit) {
        i++;
        continue;
      }
      if (i > start) plain(text.slice(start, i));
      out.push(hit);
      i += hit.length;
      start = i;
    }
    if (start < text.length) plain(text.slice(start));
    return out;
  };

  const encodeWithInfo = (text: string) => {
    const body = tokenize(text).map((p) => vocab.get(p) ?? unkId);
    const room = cfg.maxLength - 2;
    const ids = [bosId, ...body.slice(0, room), eosId];
    const length = ids.length;
    while (ids.length < cfg.maxLength) ids.push(padId);
    return { ids, length, truncated: body.length > room };
  };

  const dropped = new Set([bosId, eosId, unkId]);
  return {
    maxLength: cfg.maxLength,
    vocabSize: vocab.size,
    bosId,
    eosId,
    padId,
    unkId,
    tokenize,
    encode: (text) => encodeWithInfo(text).ids,
    encodeWithInfo,
    decode(ids) {
      // Trailing padding goes first (SD 2.x pads with "!", which a prompt may also hold), then bos/eos/unk.
      let end = ids.length;
      while (end > 0 && ids[end - 1] === padId) end--;
      const text = ids
        .slice(0, end)
        .filter((id) => !dropped.has(id))
        .map((id) => byId.get(id) ?? '')
        .join('');
      return new TextDecoder().decode(fromByteLevel(text.split(END_OF_WORD).join(' '))).trim();
    },
  };
}
