// Pre-tokenizers for byte-level BPE: the regexes that cut text into words before merges run, chosen
// by the GGUF key `tokenizer.ggml.pre` the way llama.cpp's llama-vocab.cpp chooses them.
//
// Like llama.cpp's unicode_regex_split, a pre-tokenizer is a list of regexes applied in turn: each one
// re-splits every piece the previous one produced, and text a regex does not match stays a piece of its
// own (so no character is ever dropped). Contractions are spelled '[sS] rather than (?i:'s) because
// that is the form llama.cpp uses for Llama-3 and Qwen2 and JavaScript has no inline (?i:) group.

import { loadError } from '../errors';

/** GPT-2's pattern (openai/gpt-2 encoder.py). */
const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
/** Llama-3's pattern: case-insensitive contractions, numbers in groups of up to three digits. */
const LLAMA3 =
  String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}` +
  String.raw`| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
/** Qwen2's pattern: Llama-3's with every digit on its own. */
const QWEN2 = LLAMA3.replace(String.raw`\p{N}{1,3}`, String.raw`\p{N}`);
/** Digits split one by one first (HF `Digits(individual_digits)`), then GPT-2's pattern. */
const DIGITS = String.raw`\p{N}`;

export interface PreTokenizer {
  /** The family the `pre` name resolved to, for logs and errors. */
  family: 'gpt2' | 'llama3' | 'qwen2' | 'smollm';
  regexes: readonly RegExp[];
  /** A word found whole in the vocabulary is emitted as is, without running merges (llama.cpp's
   *  ignore_merges, set for the Llama-3 family; HF tokenizer.json says the same for Llama-3). */
  ignoreMerges: boolean;
  /** Whether llama.cpp adds BOS for this family when the GGUF does not say (add_bos_token missing). */
  addBosByDefault: boolean;
}

const compile = (...sources: string[]) => sources.map((s) => new RegExp(s, 'gu'));

const FAMILIES: Record<PreTokenizer['family'], PreTokenizer> = {
  gpt2: { family: 'gpt2', regexes: compile(GPT2), ignoreMerges: false, addBosByDefault: false },
  llama3: { family: 'llama3', regexes: compile(LLAMA3), ignoreMerges: true, addBosByDefault: true },
  qwen2: { family: 'qwen2', regexes: compile(QWEN2), ignoreMerges: false, addBosByDefault: false },
  smollm: { family: 'smollm', regexes: compile(DIGITS, GPT2), ignoreMerges: false, addBosByDefault: false },
};

// `pre` names -> family, following llama.cpp's load(). 'gpt2' and 'default' are not llama.cpp names for
// GPT-2 ('default' there is a fallback chain of four regexes for files converted without a known
// pre-tokenizer); both are taken as GPT-2's pattern here, which is what those files nearly always are.
const NAMES: Record<string, PreTokenizer['family']> = {
  'gpt-2': 'gpt2',
  gpt2: 'gpt2',
  default: 'gpt2',
  'phi-2': 'gpt2',
  mpt: 'gpt2',
  olmo: 'gpt2',
  'llama-bpe': 'llama3',
  llama3: 'llama3',
  'llama-v3': 'llama3',
  falcon3: 'llama3',
  qwen2: 'qwen2',
  'deepseek-r1-qwen': 'qwen2',
  stablelm2: 'qwen2',
  megrez: 'qwen2',
  smollm: 'smollm',
  starcoder: 'smollm',
  refact: 'smollm',
  'command-r': 'smollm',
  codeshell: 'smollm',
};

export const SUPPORTED_PRE_NAMES: readonly string[] = Object.keys(NAMES);

/** The pre-tokenizer for a `tokenizer.ggml.pre` value; a missing value means 'default', as in llama.cpp. */
export function resolvePreTokenizer(pre: string | undefined): PreTokenizer {
  const family = NAMES[pre ?? 'default'];
  if (family === undefined) {
    throw loadError(
      'Unsupported',
      `The model's pre-tokenizer "${pre}" (GGUF key tokenizer.ggml.pre) is not supported. ` +
        `Supported: ${SUPPORTED_PRE_NAMES.join(', ')}.`,
      { hint: 'Try a GGUF of a model family this app lists as supported (Llama, Qwen2, SmolLM, GPT-2).' },
    );
  }
  return FAMILIES[family];
}

/** Cut `text` into words: each regex re-splits every current piece, keeping unmatched gaps. */
export function preTokenize(text: string, regexes: readonly RegExp[]): string[] {
  let pieces = [text];
  for (const re of regexes) {
    const next: string[] = [];
    for (const piece of pieces) splitOne(piece, re, next);
    pieces = next;
  }
  return pieces;
}

function splitOne(text: string, re: RegExp, out: string[]): void {
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const word = m[0];
    if (word.length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(word);
    last = m.index + word.length;
  }
  if (last < text.length) out.push(text.slice(last));
}
