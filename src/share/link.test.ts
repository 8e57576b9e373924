// Share links round-trip every setting, and anything cut, edited or malformed is refused with a
// sentence that says which.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAMPLING } from '../engine/protocol';
import { decodeShare, encodeShare, fnv1a, shareFromHash, shareUrl, type SharePayload } from './link';

const payload: SharePayload = {
  v: 1,
  model: { kind: 'url', url: 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf', bytes: 491_400_032 },
  mode: 'chat',
  system: 'Be brief. Ünïcödé ✓ 🐳',
  history: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!' },
  ],
  prompt: 'Tell me about whales.',
  sampling: { ...DEFAULT_SAMPLING, temperature: 0.8, seed: 1234, stop: ['\n\n'] },
  load: { kvType: 'f16', contextLength: 512, kernels: { q4_0: 'rows', q6_k: 'coop-sg' } },
  sharer: { device: 'Google SwiftShader', software: true, ttftMs: 51.5, prefillTokS: 120, decodeTokS: 30.2, tokens: 40, textHash: fnv1a('The whale') },
};

describe('share links', () => {
  it('round-trip every field through a URL fragment', () => {
    const url = shareUrl('http://127.0.0.1:4173/?x=1#old', payload);
    expect(url.startsWith('http://127.0.0.1:4173/?x=1#share=')).toBe(true);
    const value = shareFromHash(new URL(url).hash);
    expect(value).not.toBeNull();
    const d = decodeShare(value as string);
    expect(d).toEqual({ ok: true, payload });
  });

  it('detect an edited or cut-off link by its checksum', () => {
    const v = encodeShare(payload);
    const edited = v.slice(0, 10) + (v[10] === 'A' ? 'B' : 'A') + v.slice(11);
    expect(decodeShare(edited)).toEqual({ ok: false, error: expect.stringContaining('checksum does not match') });
    expect(decodeShare(v.slice(0, v.length - 40))).toMatchObject({ ok: false });
    expect(decodeShare(v.split('.')[0])).toEqual({ ok: false, error: expect.stringContaining('no checksum') });
  });

  it('refuse well-formed links whose contents are out of range, naming the field', () => {
    const bad = (p: unknown) => {
      const body = Buffer.from(JSON.stringify(p)).toString('base64url');
      return decodeShare(`${body}.${fnv1a(body)}`);
    };
    expect(bad({ ...payload, sampling: { ...payload.sampling, topP: 3 } })).toEqual({ ok: false, error: expect.stringContaining('sampling "topP" must be a number in [0, 1]') });
    expect(bad({ ...payload, load: { kvType: 'q4' } })).toEqual({ ok: false, error: expect.stringContaining('KV cache type must be f32 or f16') });
    expect(bad({ ...payload, load: { kvType: 'f16', kernels: { q4_0: 'warp-shuffle' } } })).toEqual({ ok: false, error: expect.stringContaining('kernel variants must map weight types to rows, coop or coop-sg') });
    expect(bad({ ...payload, v: 9 })).toEqual({ ok: false, error: expect.stringContaining('different version') });
    expect(bad({ ...payload, model: { kind: 'url', url: 'javascript:alert(1)', bytes: 1 } })).toEqual({ ok: false, error: expect.stringContaining('not an http(s) URL') });
    expect(bad({ ...payload, history: [{ role: 'root', content: 'x' }] })).toEqual({ ok: false, error: expect.stringContaining('turn is malformed') });
    expect(bad('just a string')).toEqual({ ok: false, error: expect.stringContaining('holds no settings') });
    const notJson = 'bm90IGpzb24';
    expect(decodeShare(`${notJson}.${fnv1a(notJson)}`)).toEqual({ ok: false, error: expect.stringContaining('not valid data') });
  });

  it('find the share value among other fragment parameters', () => {
    expect(shareFromHash('#a=1&share=xyz.00000000')).toBe('xyz.00000000');
    expect(shareFromHash('#nothing')).toBeNull();
    expect(shareFromHash('')).toBeNull();
  });
});
