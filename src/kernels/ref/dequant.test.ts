// Pins the dequantizers to ggml's block layouts without going through our quantizers: blocks are
// written byte by byte here, and the expected values are either worked out by hand (literal
// numbers in comments) or decoded by a per-element reading of the spec that shares no code with
// dequant.ts (which byte and which bits hold value i).

import { describe, expect, it } from 'vitest';
import { GgmlType } from '../../formats/gguf/types';
import { mulberry32 } from '../../util/rng';
import { dequantize, dequantizeRow } from './dequant';

const rand = mulberry32(1234);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const half = (bits: number) => [bits & 0xff, bits >> 8];
const s8 = (v: number) => (v << 24) >> 24;

// The per-type scales used below, as f16 bits: 1.0, 2.0, 0.5, 0.25, -1.0, 10.0.
const H = { one: 0x3c00, two: 0x4000, half: 0x3800, quarter: 0x3400, minusOne: 0xbc00, ten: 0x4900 };

describe('plain float types', () => {
  it('F32 copies little-endian floats', () => {
    const b = new Uint8Array(new Float32Array([1.5, -2, 3.25e-8]).buffer);
    expect(Array.from(dequantize(GgmlType.F32, b, 3))).toEqual([1.5, -2, Math.fround(3.25e-8)]);
  });
  it('F16 decodes normals, max, subnormals, inf', () => {
    const b = Uint8Array.from([...half(0x3c00), ...half(0xc000), ...half(0x7bff), ...half(0x0001), ...half(0x7c00), ...half(0x8000)]);
    expect(Array.from(dequantize(GgmlType.F16, b, 6))).toEqual([1, -2, 65504, 2 ** -24, Infinity, -0]);
  });
  it('BF16 is the top half of an f32', () => {
    const b = Uint8Array.from([...half(0x3f80), ...half(0xc040), ...half(0x4049)]);
    expect(Array.from(dequantize(GgmlType.BF16, b, 3))).toEqual([1, -3, 3.140625]);
  });
});

describe('32-value blocks, hand-worked', () => {
  it('Q8_0: y = d * int8', () => {
    const qs = new Array(32).fill(0);
    [qs[0], qs[1], qs[2], qs[31]] = [0x80, 0xff, 0x01, 0x7f]; // -128, -1, 1, 127
    const y = dequantize(GgmlType.Q8_0, Uint8Array.from([...half(H.half), ...qs]), 32);
    expect([y[0], y[1], y[2], y[3], y[31]]).toEqual([-64, -0.5, 0.5, 0, 63.5]);
  });

  it('Q4_0: byte j = value j (low nibble) | value j+16 (high); y = d * (q - 8)', () => {
    const qs = new Array(16).fill(0x88);
    [qs[0], qs[1]] = [0x1f, 0x80];
    const y = dequantize(GgmlType.Q4_0, Uint8Array.from([...half(H.two), ...qs]), 32);
    expect([y[0], y[16], y[1], y[17], y[2], y[31]]).toEqual([14, -14, -16, 0, 0, 0]);
  });

  it('Q4_1: y = d * q + m', () => {
    const qs = new Array(16).fill(0);
    qs[0] = 0xf0;
    const y = dequantize(GgmlType.Q4_1, Uint8Array.from([...half(H.quarter), ...half(H.minusOne), ...qs]), 32);
    expect([y[0], y[16], y[1], y[31]]).toEqual([-1, 2.75, -1, -1]);
  });

  it('Q5_0: qh bit i is the 5th bit of value i; y = d * (q - 16)', () => {
    const qs = new Array(16).fill(0);
    [qs[0], qs[15]] = [0x21, 0xf0];
    const qh = [0x01, 0x00, 0x01, 0x80]; // bits 0, 16, 31
    const y = dequantize(GgmlType.Q5_0, Uint8Array.from([...half(H.one), ...qh, ...qs]), 32);
    // v0 = (1|16)-16, v16 = (2|16)-16, v1 = 0-16, v15 = 0-16, v31 = (15|16)-16
    expect([y[0], y[16], y[1], y[15], y[31]]).toEqual([1, 2, -16, -16, 15]);
  });

  it('Q5_1: y = d * q5 + m', () => {
    const qs = new Array(16).fill(0);
    qs[5] = 0x3f;
    const qh = [0x20, 0x00, 0x20, 0x00]; // bits 5 and 21
    const y = dequantize(GgmlType.Q5_1, Uint8Array.from([...half(H.half), ...half(H.ten), ...qh, ...qs]), 32);
    // v5 = (15|16)*0.5 + 10, v21 = (3|16)*0.5 + 10, v0 = 10
    expect([y[5], y[21], y[0], y[20]]).toEqual([25.5, 19.5, 10, 10]);
  });
});

// Q4_K/Q5_K scales and mins of sub-blocks 0..7, and the 12 bytes that pack them, worked by hand:
// bytes 0-3 = sc[j] | (sc[j+4] >> 4) << 6, bytes 4-7 = m[j] | (m[j+4] >> 4) << 6,
// bytes 8-11 = (sc[j+4] & 15) | (m[j+4] & 15) << 4.
const K_SC = [1, 2, 3, 63, 17, 34, 48, 5];
const K_M = [0, 1, 62, 4, 33, 16, 7, 63];
const K_SCALE_BYTES = [65, 130, 195, 63, 128, 65, 62, 196, 17, 2, 112, 245];

describe('K-quants', () => {
  // Sub-block 2g reads the low nibbles of qs[32g..32g+31], sub-block 2g+1 the high nibbles.
  const qsPattern = Array.from({ length: 128 }, (_, i) => (i & 15) | (((i + 3) & 15) << 4));

  it('Q4_K: y = d*sc*q - dmin*m with 6-bit packed scales (hand-worked values)', () => {
    const block = Uint8Array.from([...half(H.one), ...half(H.half), ...K_SCALE_BYTES, ...qsPattern]);
    const y = dequantize(GgmlType.Q4_K, block, 256);
    expect(y[0]).toBe(0); // sub 0: sc 1, m 0, q 0
    expect(y[64 + 32 + 0]).toBe(187); // sub 3 (high nibble of qs[32]): 63 * 3 - 0.5 * 4
    expect(y[128 + 5]).toBe(68.5); // sub 4 (low nibble of qs[69] = 5): 17 * 5 - 0.5 * 33
    expect(y[192 + 32 + 13]).toBe(-31.5); // sub 7 (high nibble of qs[109] = 0): 5 * 0 - 0.5 * 63
    expect(y[64 + 1]).toBe(-28); // sub 2: 3 * 1 - 0.5 * 62
    for (let i = 0; i < 256; i++) {
      const g = i >> 6, hi = (i & 63) >= 32, l = i & 31, sub = 2 * g + (hi ? 1 : 0);
      const byte = qsPattern[32 * g + l];
      expect(y[i]).toBe(K_SC[sub] * (hi ? byte >> 4 : byte & 15) - 0.5 * K_M[sub]);
    }
  });

  it('Q5_K: bit (sub-block) of qh[l] is the 5th bit (hand-worked values)', () => {
    const qh = new Array(32).fill(0);
    [qh[0], qh[1]] = [0x81, 0x04];
    const block = Uint8Array.from([...half(H.one), ...half(H.half), ...K_SCALE_BYTES, ...qh, ...qsPattern]);
    const y = dequantize(GgmlType.Q5_K, block, 256);
    expect(y[0]).toBe(16); // sub 0, q = 0 + 16: 1 * 16 - 0
    expect(y[192 + 32]).toBe(63.5); // sub 7, q = 3 + 16: 5 * 19 - 0.5 * 63
    expect(y[64 + 1]).toBe(20); // sub 2, q = 1 + 16: 3 * 17 - 0.5 * 62
    expect(y[32]).toBe(5.5); // sub 1, q = 3 (qh[0] bit 1 clear): 2 * 3 - 0.5 * 1
  });

  it('Q5_K matches a per-element reading of the layout on random bytes', () => {
    const block = Uint8Array.from([...half(H.quarter), ...half(H.half), ...randomBytes(12 + 32 + 128)]);
    const y = dequantize(GgmlType.Q5_K, block, 256);
    const sc = (j: number) => (j < 4 ? block[4 + j] & 63 : (block[4 + j + 4] & 15) | ((block[4 + j - 4] >> 6) << 4));
    const mn = (j: number) => (j < 4 ? block[8 + j] & 63 : (block[4 + j + 4] >> 4) | ((block[4 + j] >> 6) << 4));
    for (let i = 0; i < 256; i++) {
      const g = i >> 6, hi = (i & 63) >= 32, l = i & 31, sub = 2 * g + (hi ? 1 : 0);
      const byte = block[48 + 32 * g + l];
      const q = (hi ? byte >> 4 : byte & 15) + 16 * ((block[16 + l] >> sub) & 1);
      expect(y[i]).toBe(0.25 * sc(sub) * q - 0.5 * mn(sub)); // exact: quarter and half multiples
    }
  });

  it('Q6_K: hand-worked values and a per-element reading of the layout', () => {
    // Value i has the 6-bit code L[i] (random) and scale index i >> 4. In half n (values 128n..),
    // value 128n + 32k + l sits in ql[64n + l + 32 (k & 1)] (low nibble for k < 2, high for k >= 2)
    // and in bits 2k..2k+1 of qh[32n + l].
    const L = Array.from({ length: 256 }, () => Math.floor(rand() * 64));
    [L[0], L[255], L[100]] = [0, 63, 36];
    const scales = [1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 127, -128];
    const block = new Uint8Array(210);
    for (let i = 0; i < 256; i++) {
      const n = i >> 7, k = (i & 127) >> 5, l = i & 31;
      const ql = 64 * n + l + (k & 1 ? 32 : 0);
      block[ql] |= k < 2 ? L[i] & 15 : (L[i] & 15) << 4;
      block[128 + 32 * n + l] |= (L[i] >> 4) << (2 * k);
    }
    scales.forEach((s, j) => (block[192 + j] = s & 0xff));
    block.set(half(H.half), 208);
    const y = dequantize(GgmlType.Q6_K, block, 256);
    expect(y[0]).toBe(-16); // 0.5 * 1 * (0 - 32)
    expect(y[255]).toBe(-1984); // 0.5 * -128 * (63 - 32)
    expect(y[100]).toBe(8); // 0.5 * 4 * (36 - 32)
    for (let i = 0; i < 256; i++) expect(y[i]).toBe(0.5 * s8(scales[i >> 4]) * (L[i] - 32));
  });
});

describe('block walking and rows', () => {
  it('each block reads its own scale (two Q8_0 blocks)', () => {
    const a = [...half(H.one), ...new Array(32).fill(3)];
    const b = [...half(H.two), ...new Array(32).fill(0xfd)]; // -3
    const y = dequantize(GgmlType.Q8_0, Uint8Array.from([...a, ...b]), 64);
    expect([y[0], y[31], y[32], y[63]]).toEqual([3, 3, -6, -6]);
  });

  it('dequantizeRow reads row r of a matrix of whole-block rows', () => {
    const rows = [H.one, H.two, H.half].map((d, r) => [...half(d), ...new Array(32).fill(r + 1)]).flat();
    const y = dequantizeRow(GgmlType.Q8_0, Uint8Array.from(rows), 2, 32);
    expect(y.length).toBe(32);
    expect(y[7]).toBe(1.5); // 0.5 * 3
    expect(() => dequantizeRow(GgmlType.Q8_0, Uint8Array.from(rows), 3, 32)).toThrow(/row 3/);
  });

  it('refuses types it cannot decode, partial blocks and short buffers', () => {
    expect(() => dequantize(GgmlType.Q2_K, new Uint8Array(84), 256)).toThrow(expect.objectContaining({ name: 'Unsupported' }));
    expect(() => dequantize(GgmlType.Q2_K, new Uint8Array(84), 256)).toThrow(/Q2_K/);
    expect(() => dequantize(GgmlType.Q4_K, new Uint8Array(144), 200)).toThrow(/200 is not a whole number of 256/);
    expect(() => dequantize(GgmlType.Q4_0, new Uint8Array(17), 32)).toThrow(/need 18 bytes, got 17/);
  });
});
