// The CPU embedding pinned to diffusers' get_timestep_embedding on hand-worked values, then the
// GPU kernel held against it on every substrate.
import { describe, expect, it } from 'vitest';
import { kernelSuite } from '../../test/kernel-suite';
import { timestepEmbedding } from './timestep';
import { timestepCases } from './timestep.cases';

describe('timestepEmbedding (CPU) follows diffusers', () => {
  it('dim 6, shift 1: exponents -ln(1e4) * [0, 1, 2] / 2, so frequencies 1, 1e-2, 1e-4; sin half first', () => {
    const e = timestepEmbedding([10], 6);
    const want = [Math.sin(10), Math.sin(0.1), Math.sin(0.001), Math.cos(10), Math.cos(0.1), Math.cos(0.001)];
    want.forEach((v, i) => expect(e[i]).toBeCloseTo(v, 6));
  });

  it('flip_sin_to_cos puts the cos half first; shift 0 divides by half (frequencies 10^(-4j/3))', () => {
    const e = timestepEmbedding([2], 6, { flipSinToCos: true, downscaleFreqShift: 0 });
    const f = [1, 10 ** (-4 / 3), 10 ** (-8 / 3)];
    const want = [...f.map((x) => Math.cos(2 * x)), ...f.map((x) => Math.sin(2 * x))];
    want.forEach((v, i) => expect(e[i]).toBeCloseTo(v, 6));
  });

  it('an odd dim gets one zero column at the end; scale multiplies the arguments; max_period sets the lowest frequency', () => {
    const e = timestepEmbedding([3, 0], 5, { scale: 2, maxPeriod: 100 });
    // half = 2, frequencies exp(-ln(100) * [0, 1] / 1) = 1, 0.01
    const row0 = [Math.sin(6), Math.sin(0.06), Math.cos(6), Math.cos(0.06), 0];
    const row1 = [0, 0, 1, 1, 0];
    [...row0, ...row1].forEach((v, i) => expect(e[i]).toBeCloseTo(v, 6));
  });

  it('refuses a shift that zeroes the denominator', () => {
    expect(() => timestepEmbedding([1], 2)).toThrow(/downscaleFreqShift/);
  });
});

await kernelSuite('timestep-embedding', timestepCases);
