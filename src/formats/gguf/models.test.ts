// Checks against real artifacts when they exist, without skipping when they do not: every
// public/models/*.gguf must parse, lie within its file and dequantize to finite values; and
// training/fixtures/quant-blocks.json (blocks quantized by an independent tool, with the values
// that tool dequantizes them to) must match our CPU dequantizers.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEQUANT_TYPES, dequantize, dequantizeRow } from '../../kernels/ref/dequant';
import type { ByteSource } from '../source';
import { GGML_TYPE_INFO } from './ggml-types';
import { parseGguf } from './parse';
import type { GgmlType } from './types';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MODELS = process.env.GGUF_MODELS_DIR ?? join(ROOT, 'public/models');
const FIXTURE = process.env.QUANT_BLOCKS_FIXTURE ?? join(ROOT, 'training/fixtures/quant-blocks.json');

/** A file on disk read range by range, as a browser File would be. */
async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    name: path,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      if (n > 0) await fh.read(buf, 0, n, offset);
      return buf;
    },
    close: () => fh.close(),
  };
}

describe('public/models', () => {
  const files = existsSync(MODELS) ? readdirSync(MODELS).filter((f) => f.endsWith('.gguf')) : [];

  it(`parses every public/models/*.gguf (${files.length} present)`, async () => {
    for (const f of files) {
      const src = await fileSource(join(MODELS, f));
      try {
        const file = await parseGguf(src);
        expect(typeof file.metadata.get('general.architecture'), `${f}: general.architecture`).toBe('string');
        expect(file.byteLength, f).toBeLessThanOrEqual(src.size!);
        for (const t of file.tensors) {
          if (!DEQUANT_TYPES.includes(t.type)) continue;
          const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
          const bytes = await src.read(t.offset, t.nbytes / rows); // the first row only
          const y = dequantizeRow(t.type, bytes, 0, t.dims[0]);
          const bad = y.findIndex((v) => !Number.isFinite(v));
          expect(bad, `${f}: tensor ${t.name} (${GGML_TYPE_INFO[t.type].name}) value ${bad}`).toBe(-1);
        }
      } finally {
        await src.close();
      }
    }
  });
});

interface FixtureBlock {
  type: GgmlType;
  bytes: Uint8Array;
  values: number[];
  atol?: number;
}

function decodeBytes(v: unknown): Uint8Array | undefined {
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  if (typeof v !== 'string') return undefined;
  if (/^([0-9a-fA-F]{2})+$/.test(v)) return Uint8Array.from(v.match(/../g)!, (h) => parseInt(h, 16));
  return Uint8Array.from(Buffer.from(v, 'base64'));
}

function typeOf(v: unknown): GgmlType | undefined {
  if (typeof v === 'number') return v in GGML_TYPE_INFO ? (v as GgmlType) : undefined;
  if (typeof v !== 'string') return undefined;
  const name = v.toUpperCase();
  return (Object.keys(GGML_TYPE_INFO).map(Number) as GgmlType[]).find((t) => GGML_TYPE_INFO[t].name === name);
}

/**
 * Accepts `[...]` or `{ blocks: [...] }` of entries `{ type: "Q4_K" | 12, bytes | data: hex | base64 |
 * number[], values | expected | dequantized: number[], atol?: number }`.
 */
function readFixture(json: unknown): FixtureBlock[] {
  const list = Array.isArray(json) ? json : (json as { blocks?: unknown }).blocks;
  if (!Array.isArray(list)) throw new Error(`${FIXTURE}: expected an array of blocks or { blocks: [...] }`);
  return list.map((e: Record<string, unknown>, i) => {
    const type = typeOf(e.type ?? e.ggml_type);
    const bytes = decodeBytes(e.bytes ?? e.data ?? e.block);
    const values = (e.values ?? e.expected ?? e.dequantized) as number[] | undefined;
    if (type === undefined || !bytes || !Array.isArray(values)) {
      throw new Error(`${FIXTURE} entry ${i}: expected { type, bytes (hex/base64/array), values: number[] }, got keys ${Object.keys(e).join(', ')}`);
    }
    return { type, bytes, values, atol: typeof e.atol === 'number' ? e.atol : undefined };
  });
}

describe('training/fixtures/quant-blocks.json', () => {
  it(`matches the dequantizers (${existsSync(FIXTURE) ? 'present' : 'absent'})`, () => {
    if (!existsSync(FIXTURE)) return;
    const blocks = readFixture(JSON.parse(readFileSync(FIXTURE, 'utf8')));
    expect(blocks.length).toBeGreaterThan(0);
    for (const [i, b] of blocks.entries()) {
      if (!DEQUANT_TYPES.includes(b.type)) continue;
      const y = dequantize(b.type, b.bytes, b.values.length);
      for (let j = 0; j < y.length; j++) {
        const want = b.values[j];
        const tol = b.atol ?? 1e-6 * Math.max(1, Math.abs(want));
        if (!(Math.abs(y[j] - want) <= tol)) {
          expect.fail(`entry ${i} (${GGML_TYPE_INFO[b.type].name}) value ${j}: got ${y[j]}, fixture says ${want}`);
        }
      }
    }
  });
});
