// Byte-level BPE with GPT-2's regex, held against two independent GPT-2 encoders.

import { describe, expect, it } from 'vitest';
import { encode as gpt3Encode } from 'gpt-3-encoder';
import { getEncoding } from 'js-tiktoken';
import { createTokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { gpt2Spec } from './testing/oracle-specs';

const tok = createTokenizer(gpt2Spec());
const tiktoken = getEncoding('gpt2');

describe('gpt2 byte-level BPE (pre = gpt-2)', () => {
  it.each(CORPUS.map((text) => [text]))('matches gpt-3-encoder and tiktoken: %j', (text) => {
    const ids = tok.encode(text, { parseSpecial: false });
    expect(ids).toEqual(gpt3Encode(text));
    expect(ids).toEqual(tiktoken.encode(text, [], []));
    expect(tok.decode(ids)).toBe(text);
  });

  it('maps <|endoftext|> to its id only when parsing special tokens', () => {
    const text = 'end<|endoftext|>start';
    expect(tok.encode(text)).toEqual(tiktoken.encode(text, 'all'));
    expect(tok.encode(text, { parseSpecial: false })).toEqual(gpt3Encode(text));
    expect(tok.decode(tok.encode(text))).toBe('endstart');
    expect(tok.decode(tok.encode(text), { showSpecial: true })).toBe(text);
  });

  it('adds no BOS for GPT-2 and knows its end token', () => {
    expect(tok.encode('hi')).toEqual([5303]);
    expect(tok.isEog(50256)).toBe(true);
  });
});
