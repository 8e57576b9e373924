// Streaming decode: a character split across tokens must never be shown broken.

import { describe, expect, it } from 'vitest';
import llamaTokenizer from 'llama-tokenizer-js';
import { createStreamDecoder } from './stream-decoder';
import { createTokenizer, type Tokenizer } from './tokenizer';
import { CORPUS } from './testing/corpus';
import { gpt2Spec, llama2Spec, qwen2Spec } from './testing/oracle-specs';

llamaTokenizer.encode('');
const llama2 = createTokenizer(llama2Spec(llamaTokenizer as unknown as Parameters<typeof llama2Spec>[0]));
const gpt2 = createTokenizer(gpt2Spec());
const qwen2 = createTokenizer(qwen2Spec());

function stream(tok: Tokenizer, ids: number[], showSpecial = false): string[] {
  const d = createStreamDecoder(tok, { showSpecial });
  return [...ids.map((id) => d.push(id)), d.flush()];
}

/** Whether a token's bytes are not complete UTF-8 on their own (part of a split character). */
const isPartial = (bytes: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
};

describe.each([
  ['llama2 (byte fallback <0xXX> tokens)', llama2],
  ['gpt2 (byte-level BPE)', gpt2],
  ['qwen2 (byte-level BPE)', qwen2],
])('%s', (_name, tok) => {
  it('streams every corpus text whole, never showing a broken character', () => {
    let splitTokens = 0;
    for (const text of CORPUS) {
      const ids = tok.encode(text, { parseSpecial: false });
      splitTokens += ids.filter((id) => isPartial(tok.tokenBytes(id))).length;
      const chunks = stream(tok, ids);
      for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
      expect(chunks.join('')).toBe(text);
      expect(tok.decode(ids)).toBe(text);
    }
    expect(splitTokens).toBeGreaterThan(0); // the corpus does exercise characters split across tokens
  });
});

describe('split characters', () => {
  it('holds the four byte-fallback tokens of an emoji until the last one', () => {
    const ids = llama2.encode('😀', { addSpecial: false });
    expect(ids).toEqual([29871, 243, 162, 155, 131]); // ▁ <0xF0> <0x9F> <0x98> <0x80>
    expect(stream(llama2, ids)).toEqual(['', '', '', '', '😀', '']);
  });

  it('holds a byte-level BPE emoji and accented letters split across tokens', () => {
    const emoji = gpt2.encode('😀');
    expect(emoji.length).toBe(2);
    expect(stream(gpt2, emoji)).toEqual(['', '😀', '']);
    const accented = qwen2.encode('ǅ'); // <0xC7> <0x85> as two byte-level tokens
    expect(accented.length).toBe(2);
    expect(stream(qwen2, accented)).toEqual(['', 'ǅ', '']);
  });

  it('turns a truncated character into U+FFFD on flush', () => {
    expect(stream(llama2, [243, 162])).toEqual(['', '', '\uFFFD']);
  });

  it('keeps a U+FEFF the model writes', () => {
    expect(stream(gpt2, gpt2.encode('\ufeffx')).join('')).toBe('\ufeffx');
  });
});

describe('control tokens and the SentencePiece space prefix', () => {
  it('hides control tokens unless asked', () => {
    const ids = qwen2.encode('<|im_start|>assistant\nHi!<|im_end|>');
    expect(stream(qwen2, ids).join('')).toBe('assistant\nHi!');
    expect(stream(qwen2, ids, true).join('')).toBe('<|im_start|>assistant\nHi!<|im_end|>');
  });

  it('drops the space the encoder adds at the start and after each special token', () => {
    const ids = llama2.encode('Hello</s><s>again', { addSpecial: true });
    expect(ids[0]).toBe(1);
    expect(stream(llama2, ids).join('')).toBe('Helloagain');
    expect(stream(llama2, ids, true).join('')).toBe('<s>Hello</s><s>again');
    // A generated reply starts with "▁Sure": shown as "Sure".
    expect(stream(llama2, llama2.encode('Sure thing', { addSpecial: false })).join('')).toBe('Sure thing');
  });

  it('starts over after flush', () => {
    const d = createStreamDecoder(llama2);
    const ids = llama2.encode('one', { addSpecial: false });
    expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe('one');
    expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe('one');
  });
});
