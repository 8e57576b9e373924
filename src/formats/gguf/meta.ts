// Typed reads of GGUF metadata. A model's config comes from keys like `llama.context_length`;
// a missing or mistyped key must fail with the key's name and what was found, not as a NaN
// three layers later. The `...Opt` forms return undefined for a missing key (still checking type).
// Integer readers accept any integer storage (u32, i32, u64...) whose value fits: converters differ.

import { loadError } from '../errors';
import type { GgufFile, GgufValue } from './types';

function describe(v: GgufValue): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)})`;
  if (typeof v === 'bigint') return `a 64-bit integer (${v})`;
  return `a ${typeof v} (${String(v)})`;
}

function wrongType(key: string, v: GgufValue, expected: string): Error {
  return loadError('ModelLoad', `GGUF metadata "${key}" is ${describe(v)}, expected ${expected}. ` +
    'The file may be for another architecture or converted by an incompatible tool.');
}

function get(file: GgufFile, key: string): GgufValue {
  const v = file.metadata.get(key);
  if (v === undefined) {
    throw loadError('ModelLoad', `GGUF metadata has no key "${key}". The file may be incomplete or for another ` +
      `architecture (general.architecture = ${JSON.stringify(file.metadata.get('general.architecture') ?? 'unset')}).`);
  }
  return v;
}

function asU32(key: string, v: GgufValue): number {
  const n = typeof v === 'bigint' && v >= 0n && v <= 0xffffffffn ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw wrongType(key, v, 'an unsigned 32-bit integer');
  return n;
}

function asF32(key: string, v: GgufValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw wrongType(key, v, 'a number');
}

function asString(key: string, v: GgufValue): string {
  if (typeof v !== 'string') throw wrongType(key, v, 'a string');
  return v;
}

function asArray(key: string, v: GgufValue): GgufValue[] {
  if (!Array.isArray(v)) throw wrongType(key, v, 'an array');
  return v;
}

function asBool(key: string, v: GgufValue): boolean {
  if (typeof v !== 'boolean') throw wrongType(key, v, 'a bool');
  return v;
}

function asStringArray(key: string, v: GgufValue): string[] {
  const a = asArray(key, v);
  const bad = a.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) throw wrongType(`${key}[${bad}]`, a[bad], 'a string (in an array of strings)');
  return a as string[];
}

function asNumberArray(key: string, v: GgufValue): number[] {
  const a = asArray(key, v);
  const bad = a.findIndex((x) => typeof x !== 'number');
  if (bad >= 0) throw wrongType(`${key}[${bad}]`, a[bad], 'a number (in an array of numbers)');
  return a as number[];
}

function opt<T>(read: (key: string, v: GgufValue) => T) {
  return (file: GgufFile, key: string): T | undefined => {
    const v = file.metadata.get(key);
    return v === undefined ? undefined : read(key, v);
  };
}

export const metaU32 = (file: GgufFile, key: string): number => asU32(key, get(file, key));
export const metaF32 = (file: GgufFile, key: string): number => asF32(key, get(file, key));
export const metaString = (file: GgufFile, key: string): string => asString(key, get(file, key));
export const metaBool = (file: GgufFile, key: string): boolean => asBool(key, get(file, key));
export const metaArray = (file: GgufFile, key: string): GgufValue[] => asArray(key, get(file, key));
export const metaStringArray = (file: GgufFile, key: string): string[] => asStringArray(key, get(file, key));
export const metaNumberArray = (file: GgufFile, key: string): number[] => asNumberArray(key, get(file, key));

export const metaU32Opt = opt(asU32);
export const metaF32Opt = opt(asF32);
export const metaStringOpt = opt(asString);
export const metaBoolOpt = opt(asBool);
export const metaArrayOpt = opt(asArray);
export const metaStringArrayOpt = opt(asStringArray);
export const metaNumberArrayOpt = opt(asNumberArray);
