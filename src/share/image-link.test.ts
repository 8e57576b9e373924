// Image share links: what goes in comes out, a cut or edited link is refused by its checksum, and
// each malformed field is named.
import { describe, expect, it } from 'vitest';
import { fnv1a, toBase64Url } from './link';
import { decodeImageShare, imageHash, imageShareFromHash, imageShareUrl, type ImageSharePayload } from './image-link';

const sd: ImageSharePayload = {
  v: 1,
  settings: {
    source: 'sd',
    prompt: 'a red fox in the snow',
    steps: 2,
    guidance: 2,
    seed: 7,
    sdRepo: 'test-org/sd-tiny',
    taesdRepo: '',
    fp16: false,
    weights: 'i8',
    width: 64,
    height: 128,
    negativePrompt: 'blurry',
    sampler: 'euler_ancestral',
    decoder: 'taesd',
  },
  hub: 'http://127.0.0.1:9999',
  sharer: { device: 'google swiftshader', software: true, msPerStep: 836.2, imageHash: 'deadbeef', width: 64, height: 128 },
};
const emoji: ImageSharePayload = { v: 1, settings: { source: 'emoji', prompt: 'red heart', steps: 3, guidance: 3, seed: 42 }, sharer: { ...sd.sharer, width: 32, height: 32 } };

const value = (p: unknown) => {
  const body = toBase64Url(JSON.stringify(p));
  return `${body}.${fnv1a(body)}`;
};

describe('image share links', () => {
  it('carry every setting of an SD run and of an emoji run', () => {
    for (const p of [sd, emoji]) {
      const url = imageShareUrl('http://app/#old', p);
      expect(url.startsWith('http://app/#image=')).toBe(true);
      const d = decodeImageShare(imageShareFromHash(new URL(url).hash)!);
      expect(d).toEqual({ ok: true, payload: p });
    }
    expect(imageShareFromHash('#share=abc')).toBeNull();
  });

  it('refuse a cut or edited link, and name a bad field', () => {
    const v = value(sd);
    expect(decodeImageShare(v.slice(0, -3))).toEqual({ ok: false, error: expect.stringContaining('image share link was changed or cut off') });
    const bad = (settings: object) => decodeImageShare(value({ ...sd, settings: { ...sd.settings, ...settings } }));
    expect(bad({ steps: 0 })).toEqual({ ok: false, error: expect.stringContaining('"steps" must be a number in [1, 200]') });
    expect(bad({ sampler: 'heun' })).toEqual({ ok: false, error: expect.stringContaining('"sampler" must be one of') });
    expect(bad({ sdRepo: 'https://evil/x' })).toEqual({ ok: false, error: expect.stringContaining('"sdRepo" must be owner/name') });
    expect(bad({ weights: 'q4' })).toEqual({ ok: false, error: expect.stringContaining('"weights" must be f16, f32 or i8') });
    expect(decodeImageShare(value({ ...sd, hub: 'javascript:alert(1)' }))).toEqual({ ok: false, error: expect.stringContaining('hub must be an http(s) address') });
    expect(decodeImageShare(value({ ...sd, sharer: { ...sd.sharer, imageHash: 'xyz' } }))).toEqual({ ok: false, error: expect.stringContaining('image hash is malformed') });
  });

  it('hash images by their bytes', () => {
    const a = new Uint8Array([1, 2, 3, 255]);
    expect(imageHash(a)).toBe(imageHash(Uint8Array.from(a)));
    expect(imageHash(a)).not.toBe(imageHash(new Uint8Array([1, 2, 3, 254])));
    expect(imageHash(a)).toMatch(/^[0-9a-f]{8}$/);
  });
});
