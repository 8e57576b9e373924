// The CLIP tokenizer against training/fixtures/diffusion/clip-tokenizer: a small CLIP-format BPE
// tokenizer whose merges were learned from a few prompts, and the ids and pieces the Python
// reference (training/diffusion/clip_ref.py) gives for tricky prompts under both pad tokens.
// Malformed vocab/merges/config files must fail with named errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../util/errors';
import { clipTokenizer, normalizeClipText, readClipTokenizerConfig, type ClipTokenizer } from './tokenizer';

const DIR = 'training/fixtures/diffusion/clip-tokenizer';
const vocab = JSON.parse(readFileSync(`${DIR}/vocab.json`, 'utf8')) as Record<string, number>;
const merges = readFileSync(`${DIR}/merges.txt`, 'utf8');
const config = (name: string) => JSON.parse(readFileSync(`${DIR}/${name}`, 'utf8')) as Record<string, unknown>;
const spec = JSON.parse(readFileSync(`${DIR}/cases.json`, 'utf8')) as {
  vocab_size: number;
  cases: { about: string; text: string; config: string; pieces: string[]; ids: number[] }[];
};

const toks = new Map<string, ClipTokenizer>();
const tokenizerFor = (name: string) => {
  let t = toks.get(name);
  if (!t) toks.set(name, (t = clipTokenizer(vocab, merges, config(name))));
  return t;
};

/** The error `fn` throws, which must be a named EngineError. */
function thrown(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an error');
}

describe('CLIP tokenizer vs the Python reference', () => {
  it('reads the fixture files', () => {
    const sd1 = tokenizerFor('tokenizer_config.json');
    const sd2 = tokenizerFor('tokenizer_config_pad_bang.json');
    expect(sd1.vocabSize).toBe(spec.vocab_size);
    expect([sd1.maxLength, sd1.bosId, sd1.eosId, sd1.padId, sd1.unkId]).toEqual([77, vocab['<|startoftext|>'], vocab['<|endoftext|>'], vocab['<|endoftext|>'], vocab['<|endoftext|>']]);
    expect(sd2.padId).toBe(vocab['!']);
    expect(sd2.padId).toBe(0);
  });

  for (const c of spec.cases) {
    it(`${c.about} (${c.config}): ${JSON.stringify(c.text.slice(0, 40))}`, () => {
      const t = tokenizerFor(c.config);
      expect(t.tokenize(c.text)).toEqual(c.pieces);
      const ids = t.encode(c.text);
      expect(ids).toHaveLength(77);
      expect(ids).toEqual(c.ids);
    });
  }

  it('the fixture exercises what it claims to', () => {
    const ids = (about: string, cfg = 'tokenizer_config.json') => spec.cases.find((c) => c.about === about && c.config === cfg)!;
    // BPE merges matter: a multi-byte merged piece.
    expect(spec.cases.some((c) => c.pieces.some((p) => p.length > 6))).toBe(true);
    // Truncation keeps eos in the last slot; exactly 75 pieces fit without padding.
    for (const about of ['76 tokens: the last one is cut, eos kept', 'over length', 'exactly 75 tokens: no truncation, no padding']) {
      expect(ids(about).ids[76]).toBe(vocab['<|endoftext|>']);
    }
    // NFD and NFC spellings give the same ids.
    expect(ids('NFD input composes to the same ids').ids).toEqual(ids('latin-1 and emoji bytes').ids);
    // Under SD 2.x's config every "!" is id 0 on its own; under SD 1.x, "!!!" is one pre-token.
    const bang = 'punctuation runs (! is the SD 2.x pad token)';
    expect(ids(bang, 'tokenizer_config_pad_bang.json').pieces.filter((p) => p === '!').length).toBe(5);
    expect(ids(bang).pieces).not.toEqual(ids(bang, 'tokenizer_config_pad_bang.json').pieces);
    // Bytes the small vocab lacks fall back to the unk id.
    expect(ids('CJK ideographs split apart; bytes outside the vocab are unk').ids.slice(1, 20)).toContain(vocab['<|endoftext|>']);
  });

  it('encodeWithInfo says when a prompt was cut; decode gives the text back', () => {
    const t = tokenizerFor('tokenizer_config_pad_bang.json');
    const long = t.encodeWithInfo('a photo of a cat on a chair, '.repeat(12));
    expect(long.truncated).toBe(true);
    expect(long.length).toBe(77);
    const short = t.encodeWithInfo('A photo of a CAT, wow!');
    expect(short.truncated).toBe(false);
    expect(short.length).toBe(2 + t.tokenize('a photo of a cat, wow!').length);
    expect(t.decode(short.ids)).toBe('a photo of a cat , wow !');
    expect(tokenizerFor('tokenizer_config.json').decode(tokenizerFor('tokenizer_config.json').encode('café naïve'))).toBe('café naïve');
  });

  it('normalizes text as transformers BasicTokenizer does', () => {
    expect(normalizeClipText('  Héllo\u00a0\tWORLD \u200b\u0007x ')).toBe('héllo world x');
    expect(normalizeClipText('日本語です')).toBe('日 本 語 です');
    expect(normalizeClipText('a\u2028b')).toBe('a b');
    expect(normalizeClipText('e\u0301')).toBe('é');
  });
});

describe('CLIP tokenizer: malformed files are named errors', () => {
  const sd1 = config('tokenizer_config.json');
  it('vocab.json', () => {
    expect(thrown(() => clipTokenizer([1, 2], merges, sd1)).name).toBe('ModelLoad');
    expect(thrown(() => clipTokenizer('{}', merges, sd1)).message).toMatch(/vocab\.json is not a JSON object/);
    expect(thrown(() => clipTokenizer({ ...vocab, bad: 'x' }, merges, sd1)).message).toMatch(/maps "bad" to "x"/);
    expect(thrown(() => clipTokenizer({ ...vocab, twin: 5 }, merges, sd1)).message).toMatch(/gives id 5 to both/);
    const noEos = Object.fromEntries(Object.entries(vocab).filter(([t]) => t !== '<|endoftext|>'));
    expect(thrown(() => clipTokenizer(noEos, merges, sd1)).message).toMatch(/no end token "<\|endoftext\|>"/);
  });

  it('merges.txt', () => {
    expect(thrown(() => clipTokenizer(vocab, merges.split('\n').slice(1).join('\n'), sd1)).message).toMatch(/does not start with a "#version" line/);
    expect(thrown(() => clipTokenizer(vocab, `${merges}a b c\n`, sd1)).message).toMatch(/line \d+ is "a b c", not two symbols/);
    expect(thrown(() => clipTokenizer(vocab, `${merges}q z\n`, sd1)).message).toMatch(/merges "q" and "z" into a token vocab\.json does not have/);
    expect(thrown(() => clipTokenizer(vocab, undefined as unknown as string, sd1)).name).toBe('ModelLoad');
  });

  it('tokenizer_config.json', () => {
    expect(thrown(() => clipTokenizer(vocab, merges, { ...sd1, pad_token: '<pad>' })).message).toMatch(/no padding token "<pad>"/);
    expect(thrown(() => clipTokenizer(vocab, merges, { ...sd1, bos_token: 7 })).message).toMatch(/"bos_token" is neither a string/);
    expect(thrown(() => readClipTokenizerConfig({ model_max_length: 1e30 })).name).toBe('Unsupported');
    expect(readClipTokenizerConfig(undefined)).toEqual({ maxLength: 77, bos: '<|startoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>', pad: '<|endoftext|>' });
  });
});
