// The image tab's seeded noise against its independent Python port (training/diffusion/seeded_fixture.py),
// which made the e2e fixture the browser's final image is held to: the two must draw the same numbers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noiseStream, seededNoise } from './noise';

const spec = JSON.parse(readFileSync('training/fixtures/diffusion/seeded.json', 'utf8')) as { runs: { seed: number; noise_head: number[] }[] };

describe('seededNoise', () => {
  for (const run of spec.runs) {
    it(`seed ${run.seed} draws the fixture's noise exactly`, () => {
      const got = Array.from(seededNoise(run.seed, run.noise_head.length));
      expect(got).toEqual(run.noise_head.map((v) => Math.fround(v)));
    });
  }
  it('differs between seeds and has unit variance', () => {
    const a = seededNoise(1, 4096);
    const b = seededNoise(2, 4096);
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
  });
  it('streams on from where the last draw stopped, whatever the draw sizes', () => {
    const whole = seededNoise(7, 20);
    const draw = noiseStream(7);
    const parts = [draw(3), draw(8), draw(9)];
    expect(Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(Array.from(whole));
  });
});
