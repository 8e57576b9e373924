// Repack round trips: for every type, reading the repacked arrays chunk by chunk (ref/qlayout.ts,
// the CPU mirror of lib/quant.wgsl) gives exactly what dequant.ts gives from the GGUF bytes, bit
// for bit. Both quantizer output and random block bytes (every scale bit pattern) are tried.
// Then row splitting: parts fit the binding limit and read back as the unsplit tensor.
import { describe, expect, it } from 'vitest';
import { quantize } from '../../formats/gguf/quantize';
import { GGML_TYPE_INFO } from '../../formats/gguf/ggml-types';
import { GgmlType } from '../../formats/gguf/types';
import { mulberry32 } from '../../util/rng';
import { randn } from '../check/data';
import { dequantize } from '../ref/dequant';
import { dequantRepacked } from '../ref/qlayout';
import { QUANT_FORMATS, QUANT_TYPES, quantTypeOf, rowLayout, type QuantType } from './format';
import { repack, repackedRowBytes, splitRows } from './repack';

/** Bit-exact comparison (NaN payloads included), reporting the first difference. */
function expectSameBits(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < w.length; i++) {
    if (g[i] !== w[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      expect.fail(`${what}: element ${i} (row ${Math.floor(i / (want.length || 1))}) is ${got[i]}, dequant.ts gives ${want[i]}`);
    }
  }
}

function tensorBytes(type: QuantType, rows: number, K: number, seed: number): Uint8Array {
  return quantize(QUANT_FORMATS[type].ggml, randn(rows * K, seed, { scale: 0.7, outlierRate: 0.02 }));
}

/** Random bytes for every block, but finite f16 scales (random bits can be inf/NaN halves). */
function randomBlocks(type: QuantType, rows: number, K: number, seed: number): Uint8Array {
  const f = QUANT_FORMATS[type];
  const info = GGML_TYPE_INFO[f.ggml];
  const rand = mulberry32(seed);
  const bytes = Uint8Array.from({ length: (rows * K * info.bytesPerBlock) / info.blockSize }, () => Math.floor(rand() * 256));
  if (f.dense) return type === 'f32' ? quantize(GgmlType.F32, randn(rows * K, seed)) : bytes.map((b, i) => (i & 1 ? b & 0xbf : b));
  const halves: Record<string, number[]> = { q8_0: [0], q4_0: [0], q4_1: [0, 2], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208], q5_0: [0], q5_1: [0, 2] };
  for (let o = 0; o < bytes.length; o += info.bytesPerBlock) for (const h of halves[type]) bytes[o + h + 1] &= 0xbf; // exponent < 31
  return bytes;
}

const KS: Record<QuantType, number[]> = {
  f32: [1, 13, 64], f16: [1, 13, 33, 64], bf16: [3, 13, 64],
  q8_0: [32, 96], q4_0: [32, 96], q4_1: [32, 96], q4_k: [256, 512], q5_k: [256, 512], q6_k: [256, 512],
  q5_0: [32, 96, 576], q5_1: [32, 96, 576], // 576: SmolLM2-135M's dim, why llama.cpp falls back to them
};

describe('repack round trip (CPU reader of the GPU layout == dequant.ts)', () => {
  for (const type of QUANT_TYPES) {
    for (const K of KS[type]) {
      it(`${type} K=${K}`, () => {
        const rows = 5;
        const ggml = QUANT_FORMATS[type].ggml;
        for (const [what, bytes] of [['quantized', tensorBytes(type, rows, K, K + 1)], ['random blocks', randomBlocks(type, rows, K, K + 2)]] as const) {
          const t = repack(type, bytes, rows, K);
          expect(t.parts).toHaveLength(1);
          const l = rowLayout(type, K);
          expect(t.parts[0].q.length).toBe(rows * l.qStride);
          expectSameBits(dequantRepacked(t), dequantize(ggml, bytes, rows * K), `${type} K=${K} ${what}`);
        }
      });
    }
  }

  it('maps GGUF types and refuses others by name', () => {
    expect(quantTypeOf(GgmlType.Q4_K)).toBe('q4_k');
    expect(quantTypeOf(GgmlType.Q5_0)).toBe('q5_0');
    expect(quantTypeOf(GgmlType.Q5_1)).toBe('q5_1');
    expect(() => quantTypeOf(GgmlType.Q2_K)).toThrow(/Q2_K.*supported: f32.*q5_0, q5_1/);
  });

  it('refuses a K that is not a whole number of blocks', () => {
    expect(() => repack('q4_k', new Uint8Array(1000), 1, 320)).toThrow('repack: K must be a positive multiple of 256 for q4_k (got 320)');
    expect(() => repack('q8_0', new Uint8Array(10), 1, 32)).toThrow(/needs 34 bytes, got 10/);
  });
});

describe('row splitting', () => {
  it('keeps a tensor whole when it fits', () => {
    expect(splitRows(10, { q: 64, s: 8 }, 640)).toEqual([{ rowStart: 0, rows: 10 }]);
  });

  it('splits a 152k-vocab f16 embedding under the default 128 MiB binding', () => {
    const rb = repackedRowBytes('f16', 896);
    const parts = splitRows(151936, rb, 128 * 1024 * 1024);
    expect(parts.length).toBe(3);
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(151936);
    for (const p of parts) expect(p.rows * rb.q).toBeLessThanOrEqual(128 * 1024 * 1024);
    expect(parts[1].rowStart).toBe(parts[0].rows);
  });

  it('refuses a row wider than the limit', () => {
    expect(() => splitRows(4, { q: 4096, s: 64 }, 1000)).toThrow(/4096 bytes, more than the 1000-byte/);
  });

  for (const type of ['q4_k', 'q8_0', 'f16', 'q6_k', 'q5_0', 'q5_1'] as QuantType[]) {
    it(`${type}: parts fit the limit and read back as the whole tensor`, () => {
      const K = QUANT_FORMATS[type].blockSize === 256 ? 256 : 64;
      const rows = 37;
      const bytes = tensorBytes(type, rows, K, 99);
      const whole = dequantRepacked(repack(type, bytes, rows, K));
      const rb = repackedRowBytes(type, K);
      const max = rb.q * 8 + 4; // 8 rows of q per part; s is smaller
      const t = repack(type, bytes, rows, K, { maxBindingBytes: max });
      expect(t.parts.map((p) => p.rows)).toEqual([8, 8, 8, 8, 5]);
      for (const p of t.parts) {
        expect(p.q.byteLength).toBeLessThanOrEqual(max);
        expect(p.s?.byteLength ?? 0).toBeLessThanOrEqual(max);
      }
      expectSameBits(dequantRepacked(t), whole, `${type} split`);
    });
  }
});
