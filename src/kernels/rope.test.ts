import { describe, expect, it } from 'vitest';
import { kernelSuite } from '../test/kernel-suite';
import { ropeCases } from './rope.cases';
import { llama3RopeFactors, ropeInvFreqs, ropeTable } from './rope';

describe('rope host helpers', () => {
  it('llama3 factors: 1 for short wavelengths, `factor` for long ones, a monotone blend between', () => {
    const s = { base: 500000, rotDim: 128, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 };
    const f = llama3RopeFactors(s);
    const inv = ropeInvFreqs({ base: s.base, rotDim: s.rotDim });
    expect(f.length).toBe(64);
    for (let i = 0; i < f.length; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen < 8192 / 4) expect(f[i]).toBe(1);
      else if (wavelen > 8192) expect(f[i]).toBe(8);
      else expect(f[i]).toBeGreaterThanOrEqual(1);
      if (i > 0) expect(f[i]).toBeGreaterThanOrEqual(f[i - 1]);
    }
    expect(f[0]).toBe(1);
    expect(f[63]).toBe(8);
    // The blend is continuous at both ends: smooth = 0 gives `factor`, smooth = 1 gives 1.
    const band = [...f].filter((v) => v > 1 && v < 8);
    expect(band.length).toBeGreaterThan(3);
  });

  it('the split table sums back to inv_freq / 2pi and its hi/mid parts have 12 significant bits', () => {
    const freqs = { base: 10000, rotDim: 80, freqScale: 0.5, freqFactors: Array.from({ length: 40 }, (_, i) => 1 + i / 7) };
    const t = ropeTable(freqs);
    const inv = ropeInvFreqs(freqs);
    for (let i = 0; i < inv.length; i++) {
      const [hi, mid, lo] = [t[i * 4], t[i * 4 + 1], t[i * 4 + 2]];
      const g = inv[i] / (2 * Math.PI);
      expect(Math.abs(hi + mid + lo - g) / g).toBeLessThan(1e-12);
      for (const part of [hi, mid]) {
        if (part === 0) continue;
        const q = 2 ** (Math.floor(Math.log2(part)) - 11);
        expect(Number.isInteger(part / q)).toBe(true);
      }
    }
  });
});

await kernelSuite('rope', ropeCases);
