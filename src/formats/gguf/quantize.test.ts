// quantize -> dequantize error bounds per type, on data made hard on purpose: gaussian rows with
// 20x outliers, odd row counts, sub-blocks of very different magnitude, constant and zero blocks.
// Bounds are stated against each block's absmax, from the format's step size (e.g. Q4_0's step is
// absmax/8 and its positive extreme can clip by one step), so a wrong scale shows as a failure.

import { describe, expect, it } from 'vitest';
import { dequantize } from '../../kernels/ref/dequant';
import { gaussian, mulberry32 } from '../../util/rng';
import { GGML_TYPE_INFO } from './ggml-types';
import { f32ToBf16Bits, quantize, QUANTIZE_TYPES } from './quantize';
import { GgmlType } from './types';

/** Max |error| as a fraction of the block's absmax, for blocks of the type's size. */
const BOUND: Partial<Record<GgmlType, number>> = {
  [GgmlType.F32]: 0,
  [GgmlType.F16]: 2 ** -11,
  [GgmlType.BF16]: 2 ** -8,
  [GgmlType.Q8_0]: 0.5 / 127 + 1e-4,
  [GgmlType.Q4_0]: 1 / 8 + 1e-3, // step absmax/8; +8 steps is not representable (q in -8..7)
  [GgmlType.Q5_0]: 1 / 16 + 1e-3,
  [GgmlType.Q4_1]: 1 / 15 + 1e-3, // half a step of a range up to 2 absmax
  [GgmlType.Q5_1]: 1 / 31 + 1e-3,
  [GgmlType.Q4_K]: 1 / 15 + 1e-3,
  [GgmlType.Q5_K]: 1 / 31 + 1e-3,
  [GgmlType.Q6_K]: 1 / 32 + 1e-3,
};

/** Normalized MSE ceilings on plain gaussian data (no outliers). */
const NMSE: Partial<Record<GgmlType, number>> = {
  [GgmlType.F32]: 0, [GgmlType.F16]: 1e-7, [GgmlType.BF16]: 1e-5, [GgmlType.Q8_0]: 5e-5,
  [GgmlType.Q4_0]: 1.2e-2, [GgmlType.Q5_0]: 3e-3, [GgmlType.Q4_1]: 8e-3, [GgmlType.Q5_1]: 2e-3,
  [GgmlType.Q4_K]: 8e-3, [GgmlType.Q5_K]: 2e-3, [GgmlType.Q6_K]: 5e-4,
};

function roundTrip(type: GgmlType, x: Float32Array): Float32Array {
  const q = quantize(type, x);
  expect(q.length).toBe((x.length / GGML_TYPE_INFO[type].blockSize) * GGML_TYPE_INFO[type].bytesPerBlock);
  return dequantize(type, q, x.length);
}

/** Largest block-relative error; reports the worst element so a failure says where. */
function worst(x: Float32Array, y: Float32Array, block: number): { rel: number; at: number } {
  let rel = 0, at = -1;
  for (let b = 0; b < x.length; b += block) {
    let amax = 0;
    for (let i = b; i < b + block; i++) amax = Math.max(amax, Math.abs(x[i]));
    for (let i = b; i < b + block; i++) {
      const e = amax > 0 ? Math.abs(y[i] - x[i]) / amax : Math.abs(y[i] - x[i]);
      if (e > rel) [rel, at] = [e, i];
    }
  }
  return { rel, at };
}

function nmse(x: Float32Array, y: Float32Array): number {
  let se = 0, sx = 0;
  for (let i = 0; i < x.length; i++) {
    se += (y[i] - x[i]) ** 2;
    sx += x[i] ** 2;
  }
  return se / sx;
}

describe.each(QUANTIZE_TYPES.map((t) => [GGML_TYPE_INFO[t].name, t] as const))('%s', (_name, type) => {
  const block = Math.max(GGML_TYPE_INFO[type].blockSize, 32);
  const rowLen = type >= GgmlType.Q2_K && type <= GgmlType.Q8_K ? 512 : 96;

  it.each([1, 3, 7])('stays within the block bound on %i rows with 20x outliers', (rows) => {
    const g = gaussian(mulberry32(rows * 31 + type));
    const x = new Float32Array(rows * rowLen).map((_, i) => g() * (i % 97 === 13 ? 20 : 1) + (i % 211 === 0 ? -3 : 0));
    const y = roundTrip(type, x);
    const { rel, at } = worst(x, y, block);
    expect(rel, `worst at ${at}: x=${x[at]} y=${y[at]}`).toBeLessThanOrEqual(BOUND[type]!);
  });

  it('has a low NMSE on gaussian data', () => {
    const g = gaussian(mulberry32(99 + type));
    const x = new Float32Array(8 * 256).map(() => g());
    expect(nmse(x, roundTrip(type, x))).toBeLessThanOrEqual(NMSE[type]!);
  });

  it('keeps all-zero blocks zero and constant blocks close', () => {
    const x = new Float32Array(2 * 256);
    x.fill(0.75, 256);
    const y = roundTrip(type, x);
    for (let i = 0; i < 256; i++) expect(y[i]).toBe(0);
    for (let i = 256; i < 512; i++) expect(Math.abs(y[i] - 0.75)).toBeLessThanOrEqual(0.75 * BOUND[type]!);
  });

  it('refuses partial blocks', () => {
    if (GGML_TYPE_INFO[type].blockSize === 1) return;
    expect(() => quantize(type, new Float32Array(GGML_TYPE_INFO[type].blockSize + 16))).toThrow(/not a whole number/);
  });
});

describe('K-quant sub-block scales', () => {
  // Sub-blocks of one super-block at magnitudes 1, 1/2, ... 1/8: each must get its own scale, so the
  // error of a small sub-block is bounded by *its* step, not by the largest sub-block's.
  it.each([
    ['Q4_K', GgmlType.Q4_K, 32, 1 / 15],
    ['Q5_K', GgmlType.Q5_K, 32, 1 / 31],
    ['Q6_K', GgmlType.Q6_K, 16, 1 / 32],
  ] as const)('%s bounds each sub-block by its own range', (_n, type, sub, frac) => {
    const g = gaussian(mulberry32(5));
    const x = new Float32Array(256).map((_, i) => g() * 2 ** -(Math.floor(i / sub) % 4) + (i % sub === 0 ? 0.1 : 0));
    const y = roundTrip(type, x);
    // frac is half a step of the sub-block's own range. Allow a whole step: the 6-bit scale and min
    // grids are as coarse as that step for a sub-block at 1/8 of the largest, and the quantizer picks
    // the squared-error-optimal pair, which may clip one extreme value by part of a step.
    expect(worst(x, y, sub).rel).toBeLessThanOrEqual(2 * frac);
  });

  it('Q8_0 and Q4_0 reproduce values already on their grid exactly', () => {
    const q8 = new Float32Array(32).map((_, i) => (i * 8 - 127) * 0.25); // absmax 31.75: d = 0.25
    const q4 = new Float32Array(32).map((_, i) => (i % 16) - 8); // signed max -8: d = 1
    expect(Array.from(roundTrip(GgmlType.Q8_0, q8))).toEqual(Array.from(q8));
    expect(Array.from(roundTrip(GgmlType.Q4_0, q4))).toEqual(Array.from(q4));
  });
});

describe('bf16 rounding', () => {
  it('rounds to nearest even and keeps NaN a NaN', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(Math.fround(1 + 2 ** -8))).toBe(0x3f80); // tie -> even
    expect(f32ToBf16Bits(Math.fround(1 + 3 * 2 ** -8))).toBe(0x3f82); // tie -> even (up)
    expect(f32ToBf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});
