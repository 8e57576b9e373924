// specFromGgufMetadata: GGUF tokenizer keys -> TokenizerSpec, llama.cpp's defaults, and the errors.

import { describe, expect, it } from 'vitest';
import type { GgufValue } from '../gguf/types';
import { specFromGgufMetadata } from './from-gguf';
import { preTokenize, resolvePreTokenizer } from './pre-tokenizers';
import { createTokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { gpt2Spec, mistralSpec, qwen2Spec } from './testing/oracle-specs';
import type { TokenizerSpec } from './spec';

/** The metadata llama.cpp's converter would write for a spec (arrays as the GGUF parser returns them). */
function toMetadata(spec: TokenizerSpec, extra: Record<string, GgufValue> = {}): Map<string, GgufValue> {
  const m = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', spec.model],
    ['tokenizer.ggml.tokens', spec.tokens],
  ]);
  if (spec.pre !== undefined) m.set('tokenizer.ggml.pre', spec.pre);
  if (spec.scores) m.set('tokenizer.ggml.scores', Array.from(spec.scores));
  if (spec.tokenTypes) m.set('tokenizer.ggml.token_type', Array.from(spec.tokenTypes));
  if (spec.merges) m.set('tokenizer.ggml.merges', spec.merges);
  if (spec.bosId !== undefined) m.set('tokenizer.ggml.bos_token_id', spec.bosId);
  if (spec.eosId !== undefined) m.set('tokenizer.ggml.eos_token_id', spec.eosId);
  for (const [k, v] of Object.entries(extra)) m.set(k, v);
  return m;
}

const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('specFromGgufMetadata', () => {
  it('builds a SentencePiece tokenizer that encodes like the spec it came from', () => {
    const direct = mistralSpec();
    const meta = toMetadata(direct, { 'tokenizer.ggml.unknown_token_id': 0, 'tokenizer.chat_template': '{{ x }}' });
    meta.delete('tokenizer.ggml.bos_token_id'); // llama.cpp defaults: <unk>=0, <s>=1, </s>=2, add BOS
    meta.delete('tokenizer.ggml.eos_token_id');
    const spec = specFromGgufMetadata(meta);
    expect(spec).toMatchObject({ model: 'llama', bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false });
    expect(spec.addSpacePrefix).toBe(true);
    expect(spec.chatTemplate).toBe('{{ x }}');
    const a = createTokenizer(spec);
    const b = createTokenizer(direct);
    for (const text of CORPUS) expect(a.encode(text)).toEqual(b.encode(text));
  });

  it('reads add_space_prefix, add_bos_token and add_eos_token', () => {
    const meta = toMetadata(mistralSpec(), {
      'tokenizer.ggml.add_space_prefix': false,
      'tokenizer.ggml.add_bos_token': false,
      'tokenizer.ggml.add_eos_token': true,
    });
    const tok = createTokenizer(specFromGgufMetadata(meta));
    expect(tok.encode('Hi').map((id) => tok.tokenText(id))).toEqual(['Hi', '</s>']); // no "▁", no BOS
  });

  it('builds a byte-level BPE tokenizer and finds end-of-turn tokens by their text', () => {
    const direct = qwen2Spec();
    const meta = toMetadata({ ...direct, eotIds: [] }, { 'tokenizer.ggml.eos_token_id': BigInt(151645) });
    const spec = specFromGgufMetadata(meta);
    expect(spec).toMatchObject({ model: 'gpt2', pre: 'qwen2', eosId: 151645, addBos: false });
    expect(spec.eotIds).toEqual([151643]); // <|endoftext|>; <|im_end|> is already EOS
    const a = createTokenizer(spec);
    const b = createTokenizer(direct);
    for (const text of CORPUS) expect(a.encode(text)).toEqual(b.encode(text));
  });

  it('adds BOS by default for the Llama-3 pre-tokenizer unless the file says otherwise', () => {
    const base = { ...gpt2Spec(), pre: 'llama-bpe' };
    expect(specFromGgufMetadata(toMetadata(base)).addBos).toBe(true);
    expect(specFromGgufMetadata(toMetadata(base, { 'tokenizer.ggml.add_bos_token': false })).addBos).toBe(false);
  });

  it('takes a missing pre-tokenizer as the default (GPT-2) one', () => {
    const meta = toMetadata(gpt2Spec());
    meta.delete('tokenizer.ggml.pre');
    expect(specFromGgufMetadata(meta).pre).toBe('default');
  });

  it('rejects a missing or unknown tokenizer model as Unsupported, naming it and what is supported', () => {
    const missing = errorOf(() => specFromGgufMetadata(new Map()));
    expect(missing.name).toBe('Unsupported');
    expect(missing.message).toMatch(/tokenizer\.ggml\.model.*"llama".*"gpt2"/);
    const t5 = errorOf(() => specFromGgufMetadata(new Map<string, GgufValue>([['tokenizer.ggml.model', 't5']])));
    expect(t5.name).toBe('Unsupported');
    expect(t5.message).toMatch(/"t5".*"llama".*"gpt2"/);
  });

  it('rejects an unknown pre-tokenizer as Unsupported, naming it', () => {
    const e = errorOf(() => specFromGgufMetadata(toMetadata({ ...gpt2Spec(), pre: 'tekken' })));
    expect(e.name).toBe('Unsupported');
    expect(e.message).toMatch(/"tekken".*gpt-2.*llama-bpe.*qwen2.*smollm/);
  });

  it('reports broken metadata as ModelLoad', () => {
    const noMerges = toMetadata(gpt2Spec());
    noMerges.delete('tokenizer.ggml.merges');
    expect(errorOf(() => specFromGgufMetadata(noMerges)).name).toBe('ModelLoad');
    const badTokens = new Map<string, GgufValue>([
      ['tokenizer.ggml.model', 'llama'],
      ['tokenizer.ggml.tokens', [1, 2]],
    ]);
    const e = errorOf(() => specFromGgufMetadata(badTokens));
    expect(e.name).toBe('ModelLoad');
    expect(e.message).toContain('tokenizer.ggml.tokens');
    const shortScores = toMetadata(mistralSpec(), { 'tokenizer.ggml.scores': [0, 1] });
    expect(errorOf(() => specFromGgufMetadata(shortScores)).name).toBe('ModelLoad');
  });
});

describe('pre-tokenizers', () => {
  const words = (pre: string, text: string) => preTokenize(text, resolvePreTokenizer(pre).regexes);

  it('GPT-2 keeps a space with the following word and leaves the last of a run alone', () => {
    expect(words('gpt-2', "Hello  world's 123")).toEqual(['Hello', ' ', ' world', "'s", ' 123']);
  });

  it('SmolLM (as llama.cpp maps it) splits every digit before the GPT-2 pattern', () => {
    expect(words('smollm', 'abc 1234 x5')).toEqual(['abc', ' ', '1', '2', '3', '4', ' x', '5']);
  });

  it('Llama-3 groups digits by three and matches contractions in any case', () => {
    expect(words('llama-bpe', "WE'LL pay 1234567")).toEqual(['WE', "'LL", ' pay', ' ', '123', '456', '7']);
  });

  it('Qwen2 splits single digits and keeps newlines together', () => {
    expect(words('qwen2', 'a 12\n\n b')).toEqual(['a', ' ', '1', '2', '\n\n', ' b']);
  });
});
