// TokenizerSpec from GGUF metadata (the tokenizer.* keys written by llama.cpp's convert_hf_to_gguf.py),
// with llama.cpp's defaults for keys a file leaves out (llama-vocab.cpp, llama_vocab::impl::load).

import type { GgufValue } from '../gguf/types';
import { loadError } from '../errors';
import { resolvePreTokenizer } from './pre-tokenizers';
import type { TokenizerModel, TokenizerSpec } from './spec';

const MODELS: Record<TokenizerModel, string> = {
  llama: 'SentencePiece BPE (Llama 1/2, Mistral, TinyLlama)',
  gpt2: 'byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM)',
};

/** Tokens that end a turn, found by their text when the file names no eot/eom id (as llama.cpp does). */
const EOG_TEXTS = new Set([
  '<|eot_id|>',
  '<|eom_id|>',
  '<|im_end|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<EOT>',
  '<end_of_utterance>',
]);

export function specFromGgufMetadata(meta: Map<string, GgufValue>): TokenizerSpec {
  const model = readString(meta, 'tokenizer.ggml.model');
  const supported = Object.entries(MODELS)
    .map(([name, what]) => `"${name}" (${what})`)
    .join(', ');
  if (model === undefined) {
    throw loadError(
      'Unsupported',
      `The model file has no tokenizer (GGUF key tokenizer.ggml.model is missing). Supported: ${supported}.`,
      { hint: 'Use a GGUF converted with its tokenizer, as llama.cpp convert_hf_to_gguf.py writes it.' },
    );
  }
  if (!(model in MODELS)) {
    throw loadError(
      'Unsupported',
      `The tokenizer "${model}" (GGUF key tokenizer.ggml.model) is not supported. Supported: ${supported}.`,
      { hint: 'Try a model whose tokenizer is Llama/Mistral SentencePiece or GPT-2 style byte-level BPE.' },
    );
  }
  const kind = model as TokenizerModel;

  const tokens = readStrings(meta, 'tokenizer.ggml.tokens');
  if (tokens === undefined || tokens.length === 0) {
    throw loadError('ModelLoad', 'The model file has no vocabulary (GGUF key tokenizer.ggml.tokens is missing or empty).');
  }
  const n = tokens.length;
  const merges = readStrings(meta, 'tokenizer.ggml.merges');
  const pre = readString(meta, 'tokenizer.ggml.pre');
  let addBosDefault = kind === 'llama';
  if (kind === 'gpt2') {
    if (merges === undefined) {
      const message = 'The model file has a BPE tokenizer without merges (GGUF key tokenizer.ggml.merges is missing).';
      throw loadError('ModelLoad', message);
    }
    addBosDefault = resolvePreTokenizer(pre).addBosByDefault; // throws Unsupported for an unknown name
  }

  const scores = readNumbers(meta, 'tokenizer.ggml.scores');
  const tokenTypes = readNumbers(meta, 'tokenizer.ggml.token_type');
  for (const [key, arr] of [['tokenizer.ggml.scores', scores], ['tokenizer.ggml.token_type', tokenTypes]] as const) {
    if (arr !== undefined && arr.length < n) {
      throw loadError('ModelLoad', `GGUF key ${key} has ${arr.length} entries for ${n} tokens.`);
    }
  }

  // llama.cpp's defaults for SentencePiece: <unk>=0, <s>=1, </s>=2.
  const defaultId = (id: number) => (kind === 'llama' && id < n ? id : undefined);
  const bosId = readId(meta, 'tokenizer.ggml.bos_token_id', n) ?? defaultId(1);
  const eosId = readId(meta, 'tokenizer.ggml.eos_token_id', n) ?? defaultId(2);
  const unkId = readId(meta, 'tokenizer.ggml.unknown_token_id', n) ?? defaultId(0);
  const padId = readId(meta, 'tokenizer.ggml.padding_token_id', n);

  const eot = new Set<number>();
  for (const key of ['tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id']) {
    const id = readId(meta, key, n);
    if (id !== undefined) eot.add(id);
  }
  tokens.forEach((t, id) => {
    if (EOG_TEXTS.has(t)) eot.add(id);
  });
  if (eosId !== undefined) eot.delete(eosId);

  const chatTemplate = readString(meta, 'tokenizer.chat_template');
  return {
    model: kind,
    pre: kind === 'gpt2' ? (pre ?? 'default') : pre,
    tokens,
    scores: scores !== undefined ? Float32Array.from(scores) : undefined,
    tokenTypes: tokenTypes !== undefined ? Int32Array.from(tokenTypes) : undefined,
    merges: kind === 'gpt2' ? merges : undefined,
    bosId,
    eosId,
    eotIds: [...eot].sort((a, b) => a - b),
    unkId,
    padId,
    addBos: readBool(meta, 'tokenizer.ggml.add_bos_token') ?? addBosDefault,
    addEos: readBool(meta, 'tokenizer.ggml.add_eos_token') ?? false,
    addSpacePrefix: readBool(meta, 'tokenizer.ggml.add_space_prefix') ?? kind === 'llama',
    chatTemplate: chatTemplate !== undefined && chatTemplate.trim() !== '' ? chatTemplate : undefined,
  };
}

function badValue(key: string, expected: string, value: GgufValue): Error {
  const got = Array.isArray(value) ? `an array of ${value.length}` : `${typeof value} ${String(value).slice(0, 40)}`;
  return loadError('ModelLoad', `GGUF key ${key} should be ${expected} (got ${got}).`, {
    hint: 'The model file looks damaged or was written by an unusual converter.',
  });
}

function readString(meta: Map<string, GgufValue>, key: string): string | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badValue(key, 'a string', v);
  return v;
}

function readStrings(meta: Map<string, GgufValue>, key: string): string[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw badValue(key, 'an array of strings', v);
  return v as string[];
}

function readNumbers(meta: Map<string, GgufValue>, key: string): number[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' || typeof x === 'bigint')) {
    throw badValue(key, 'an array of numbers', v);
  }
  return v.map(Number);
}

/** A token id; an id outside the vocabulary is ignored, as llama.cpp does (with a warning there). */
function readId(meta: Map<string, GgufValue>, key: string, n: number): number | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' && typeof v !== 'bigint') throw badValue(key, 'a token id', v);
  const id = Number(v);
  return Number.isInteger(id) && id >= 0 && id < n ? id : undefined;
}

function readBool(meta: Map<string, GgufValue>, key: string): boolean | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw badValue(key, 'true or false', v);
  return v;
}
