// Image share links: `#image=<base64url JSON>.<checksum>` with every setting of an image run (model,
// prompt, steps, guidance, seed, size, sampler, decoder, weights) and the sharer's image hash and
// ms/step, so another machine regenerates the same image and says whether it came out the same.
// Validated field by field like text links; a bad link is refused by name and the app opens normally.
import { fnv1a, openEnvelope, toBase64Url } from './link';

const PARAM = 'image';
const SAMPLERS = ['auto', 'ddim', 'euler', 'euler_ancestral', 'lcm'] as const;

export interface ImageShareSettings {
  source: 'emoji' | 'sd';
  prompt: string;
  steps: number;
  guidance: number;
  seed: number;
  /** SD only. */
  sdRepo?: string;
  taesdRepo?: string;
  fp16?: boolean;
  weights?: 'f16' | 'f32' | 'i8';
  width?: number;
  height?: number;
  negativePrompt?: string;
  sampler?: (typeof SAMPLERS)[number];
  decoder?: 'vae' | 'taesd';
}

export interface ImageSharePayload {
  v: 1;
  settings: ImageShareSettings;
  /** The hub the sharer loaded an SD repo from (SD only). */
  hub?: string;
  sharer: { device: string; software: boolean; msPerStep: number; imageHash: string; width: number; height: number };
}

/** FNV-1a 32 over the RGBA bytes: the same image gives the same hash on every machine. */
export function imageHash(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function imageShareUrl(base: string, p: ImageSharePayload): string {
  const body = toBase64Url(JSON.stringify(p));
  return `${base.split('#')[0]}#${PARAM}=${body}.${fnv1a(body)}`;
}

export function imageShareFromHash(hash: string): string | null {
  for (const part of hash.replace(/^#/, '').split('&')) if (part.startsWith(`${PARAM}=`)) return part.slice(PARAM.length + 1);
  return null;
}

export type ImageShareDecode = { ok: true; payload: ImageSharePayload } | { ok: false; error: string };

export function decodeImageShare(value: string): ImageShareDecode {
  const env = openEnvelope(value, 'image share link');
  if (!env.ok) return env;
  try {
    return { ok: true, payload: checkPayload(env.raw) };
  } catch (e) {
    return { ok: false, error: `This image share link does not hold a valid run: ${(e as Error).message}.` };
  }
}

function checkPayload(raw: unknown): ImageSharePayload {
  const check: (c: unknown, what: string) => asserts c = (c, what) => {
    if (!c) throw new Error(what);
  };
  check(typeof raw === 'object' && raw !== null, 'it holds no settings');
  const o = raw as Record<string, unknown>;
  check(o.v === 1, `its version ${String(o.v)} is not one this playground reads`);
  const s = o.settings as Record<string, unknown>;
  check(typeof s === 'object' && s !== null, 'the settings are missing');
  check(s.source === 'emoji' || s.source === 'sd', 'the model must be the emoji model or an SD repo');
  const str = (k: string, max: number) => check(typeof s[k] === 'string' && (s[k] as string).length <= max, `"${k}" must be text of at most ${max} characters`);
  const num = (k: string, lo: number, hi: number, int: boolean) =>
    check(typeof s[k] === 'number' && Number.isFinite(s[k]) && (s[k] as number) >= lo && (s[k] as number) <= hi && (!int || Number.isInteger(s[k])), `"${k}" must be a number in [${lo}, ${hi}]`);
  str('prompt', 2000);
  num('steps', 1, 200, true);
  num('guidance', 0, 30, false);
  num('seed', 0, 2 ** 32 - 1, true);
  const settings: ImageShareSettings = { source: s.source as 'emoji' | 'sd', prompt: s.prompt as string, steps: s.steps as number, guidance: s.guidance as number, seed: s.seed as number };
  if (s.source === 'sd') {
    check(typeof s.sdRepo === 'string' && /^[\w.-]+\/[\w.-]+$/.test(s.sdRepo), '"sdRepo" must be owner/name');
    check(s.taesdRepo === '' || (typeof s.taesdRepo === 'string' && /^[\w.-]+\/[\w.-]+$/.test(s.taesdRepo)), '"taesdRepo" must be owner/name or empty');
    check(typeof s.fp16 === 'boolean', '"fp16" must be true or false');
    check(s.weights === 'f16' || s.weights === 'f32' || s.weights === 'i8', '"weights" must be f16, f32 or i8');
    num('width', 8, 8192, true);
    num('height', 8, 8192, true);
    str('negativePrompt', 2000);
    check(SAMPLERS.includes(s.sampler as (typeof SAMPLERS)[number]), `"sampler" must be one of ${SAMPLERS.join(', ')}`);
    check(s.decoder === 'vae' || s.decoder === 'taesd', '"decoder" must be vae or taesd');
    Object.assign(settings, {
      sdRepo: s.sdRepo,
      taesdRepo: s.taesdRepo,
      fp16: s.fp16,
      weights: s.weights,
      width: s.width,
      height: s.height,
      negativePrompt: s.negativePrompt,
      sampler: s.sampler,
      decoder: s.decoder,
    });
    check(o.hub === undefined || (typeof o.hub === 'string' && /^https?:\/\//.test(o.hub)), 'the hub must be an http(s) address');
  }
  const w = o.sharer as Record<string, unknown>;
  check(typeof w === 'object' && w !== null, "the sharer's numbers are missing");
  check(typeof w.device === 'string' && w.device.length <= 300, "the sharer's device is missing");
  check(typeof w.imageHash === 'string' && /^[0-9a-f]{8}$/.test(w.imageHash), "the sharer's image hash is malformed");
  check(typeof w.msPerStep === 'number' && Number.isFinite(w.msPerStep) && w.msPerStep >= 0, "the sharer's ms/step is malformed");
  check(Number.isInteger(w.width) && Number.isInteger(w.height), "the sharer's image size is malformed");
  return {
    v: 1,
    settings,
    ...(s.source === 'sd' && typeof o.hub === 'string' ? { hub: o.hub } : {}),
    sharer: { device: w.device as string, software: w.software === true, msPerStep: w.msPerStep as number, imageHash: w.imageHash as string, width: w.width as number, height: w.height as number },
  };
}
