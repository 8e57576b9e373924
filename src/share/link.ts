// Share links: everything needed to reproduce a demo on another machine, in the URL's fragment
// (so it never reaches a server): the model's source and identity (size), the mode, the prompt and
// conversation, every sampling setting and the seed, and the sharer's device and numbers with a
// hash of the text they got. The payload is JSON in base64url followed by a checksum, so a link
// that was cut off or edited is told apart from one that is merely old or malformed.
import type { ChatTurn, SamplingSettings } from '../engine/protocol';

export const SHARE_VERSION = 1;
const PARAM = 'share';
const MAX_TEXT = 20_000;

export type SharedModel =
  | { kind: 'embedded'; bytes: number }
  | { kind: 'url'; url: string; bytes: number }
  | { kind: 'file'; name: string; bytes: number };

export interface SharerNumbers {
  device: string;
  software: boolean;
  ttftMs: number;
  prefillTokS: number;
  decodeTokS: number;
  tokens: number;
  /** FNV-1a 32 of the generated text, hex. */
  textHash: string;
}

export interface SharePayload {
  v: number;
  model: SharedModel;
  mode: 'chat' | 'raw';
  system: string;
  /** Chat: the turns before the shared one. */
  history: ChatTurn[];
  /** The raw prompt, or the user message of the shared turn. */
  prompt: string;
  sampling: SamplingSettings;
  /**
   * How the model was loaded (numerics depend on the KV cache type), and the decode matvec variant per
   * weight type the sharer's device ran (e.g. { q4_0: 'rows' }), so the demo runs the same kernels.
   */
  load?: { kvType: 'f32' | 'f16'; contextLength?: number; kernels?: Record<string, KernelLabel> };
  sharer?: SharerNumbers;
}

export type KernelLabel = 'rows' | 'coop' | 'coop-sg';
const KERNEL_LABELS: readonly string[] = ['rows', 'coop', 'coop-sg'];

export type ShareDecode = { ok: true; payload: SharePayload } | { ok: false; error: string };

/** FNV-1a 32 over UTF-16 code units, as 8 hex digits (identity, not security). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function toBase64Url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The fragment value: base64url(JSON) + '.' + checksum. */
export function encodeShare(p: SharePayload): string {
  const body = toBase64Url(JSON.stringify(p));
  return `${body}.${fnv1a(body)}`;
}

/** A full link on `base` (the app's URL without fragment). */
export function shareUrl(base: string, p: SharePayload): string {
  return `${base.split('#')[0]}#${PARAM}=${encodeShare(p)}`;
}

/** The share value in a location hash, or null when the hash holds none. */
export function shareFromHash(hash: string): string | null {
  const h = hash.replace(/^#/, '');
  for (const part of h.split('&')) {
    if (part.startsWith(`${PARAM}=`)) return part.slice(PARAM.length + 1);
  }
  return null;
}

const SAMPLING_RANGES: Record<Exclude<keyof SamplingSettings, 'stop'>, [number, number, boolean]> = {
  temperature: [0, 10, false],
  topK: [0, 100_000, true],
  topP: [0, 1, false],
  minP: [0, 1, false],
  repetitionPenalty: [0.1, 10, false],
  repeatLastN: [0, 1024, true],
  seed: [0, 2 ** 32 - 1, true],
  maxTokens: [1, 32_768, true],
};

type Check = (cond: unknown, what: string) => asserts cond;

function checkSampling(s: unknown, check: Check): SamplingSettings {
  check(typeof s === 'object' && s !== null, 'sampling settings are missing');
  const o = s as Record<string, unknown>;
  const out: Partial<SamplingSettings> = {};
  for (const [k, [lo, hi, int]] of Object.entries(SAMPLING_RANGES)) {
    const v = o[k];
    check(typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi && (!int || Number.isInteger(v)), `sampling "${k}" must be a number in [${lo}, ${hi}]`);
    (out as Record<string, number>)[k] = v;
  }
  if (o.stop !== undefined) {
    check(Array.isArray(o.stop) && o.stop.every((x) => typeof x === 'string' && x.length <= 200) && o.stop.length <= 16, 'sampling "stop" must be a short list of strings');
    out.stop = o.stop as string[];
  }
  return out as SamplingSettings;
}

function checkModel(m: unknown, check: Check): SharedModel {
  check(typeof m === 'object' && m !== null, 'the model is missing');
  const o = m as Record<string, unknown>;
  check(typeof o.bytes === 'number' && Number.isSafeInteger(o.bytes) && o.bytes >= 0, 'the model size is not a byte count');
  if (o.kind === 'embedded') return { kind: 'embedded', bytes: o.bytes };
  if (o.kind === 'url') {
    check(typeof o.url === 'string' && /^https?:\/\/[^\s]+$/i.test(o.url) && o.url.length <= 2000, 'the model URL is not an http(s) URL');
    return { kind: 'url', url: o.url, bytes: o.bytes };
  }
  if (o.kind === 'file') {
    check(typeof o.name === 'string' && o.name.length > 0 && o.name.length <= 500, 'the model file name is missing');
    return { kind: 'file', name: o.name, bytes: o.bytes };
  }
  check(false, `the model kind "${String(o.kind)}" is unknown`);
}

function checkLoad(x: unknown, check: Check): SharePayload['load'] {
  if (x === undefined) return undefined;
  const o = x as Record<string, unknown>;
  check(typeof x === 'object' && x !== null && (o.kvType === 'f32' || o.kvType === 'f16'), 'the KV cache type must be f32 or f16');
  check(o.contextLength === undefined || (Number.isInteger(o.contextLength) && (o.contextLength as number) >= 16 && (o.contextLength as number) <= 1 << 20), 'the context length is out of range');
  const k = o.kernels;
  check(
    k === undefined || (typeof k === 'object' && k !== null && Object.entries(k).every(([t, v]) => /^[a-z0-9_]{1,8}$/.test(t) && KERNEL_LABELS.includes(v as string))),
    'the kernel variants must map weight types to rows, coop or coop-sg',
  );
  return {
    kvType: o.kvType as 'f32' | 'f16',
    ...(o.contextLength === undefined ? {} : { contextLength: o.contextLength as number }),
    ...(k === undefined ? {} : { kernels: k as Record<string, KernelLabel> }),
  };
}

function checkSharer(x: unknown, check: Check): SharerNumbers | undefined {
  if (x === undefined) return undefined;
  check(typeof x === 'object' && x !== null, "the sharer's numbers are malformed");
  const o = x as Record<string, unknown>;
  check(typeof o.device === 'string' && o.device.length <= 300, "the sharer's device is not a string");
  check(typeof o.software === 'boolean', "the sharer's adapter kind is missing");
  for (const k of ['ttftMs', 'prefillTokS', 'decodeTokS', 'tokens'] as const) {
    check(typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0, `the sharer's "${k}" is not a number`);
  }
  check(typeof o.textHash === 'string' && /^[0-9a-f]{8}$/.test(o.textHash), "the sharer's text hash is malformed");
  return o as unknown as SharerNumbers;
}

/** Parse and validate a share value. Never throws: an unusable link gives a sentence saying why. */
/** The JSON inside `base64url.checksum`, or why it cannot be trusted (`what` names the link kind). */
export function openEnvelope(value: string, what = 'share link'): { ok: true; raw: unknown } | { ok: false; error: string } {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return { ok: false, error: `This ${what} is incomplete (it has no checksum): it may have been cut off when it was copied.` };
  const body = value.slice(0, dot);
  if (fnv1a(body) !== value.slice(dot + 1)) return { ok: false, error: `This ${what} was changed or cut off: its checksum does not match its contents.` };
  try {
    return { ok: true, raw: JSON.parse(fromBase64Url(body)) };
  } catch {
    return { ok: false, error: `This ${what} cannot be read: its contents are not valid data.` };
  }
}

export function decodeShare(value: string): ShareDecode {
  const fail = (why: string): ShareDecode => ({ ok: false, error: why });
  const env = openEnvelope(value);
  if (!env.ok) return env;
  const raw = env.raw;
  try {
    const check: Check = (cond, what) => {
      if (!cond) throw new Error(what);
    };
    check(typeof raw === 'object' && raw !== null, 'it holds no settings');
    const o = raw as Record<string, unknown>;
    check(o.v === SHARE_VERSION, `it was made by a different version of the playground (format ${String(o.v)}, this one reads ${SHARE_VERSION})`);
    check(o.mode === 'chat' || o.mode === 'raw', 'the mode must be chat or raw');
    check(typeof o.prompt === 'string' && o.prompt.length <= MAX_TEXT, 'the prompt is missing or too long');
    check(typeof o.system === 'string' && o.system.length <= MAX_TEXT, 'the system prompt is malformed');
    check(Array.isArray(o.history) && o.history.length <= 200, 'the conversation is malformed');
    const history = (o.history as unknown[]).map((t) => {
      const turn = t as Record<string, unknown>;
      check(
        typeof t === 'object' && t !== null && (turn.role === 'user' || turn.role === 'assistant') && typeof turn.content === 'string' && turn.content.length <= MAX_TEXT,
        'a conversation turn is malformed',
      );
      return { role: turn.role as 'user' | 'assistant', content: turn.content as string };
    });
    return {
      ok: true,
      payload: {
        v: SHARE_VERSION,
        model: checkModel(o.model, check),
        mode: o.mode as 'chat' | 'raw',
        system: o.system as string,
        history,
        prompt: o.prompt as string,
        sampling: checkSampling(o.sampling, check),
        load: checkLoad(o.load, check),
        sharer: checkSharer(o.sharer, check),
      },
    };
  } catch (e) {
    return fail(`This share link cannot be used: ${(e as Error).message}.`);
  }
}
