// Seeded standard normal noise, the same on every machine and browser: a share link's seed must
// reproduce the image. Box-Muller pairs over mulberry32 uniforms, stored as float32.
import { mulberry32 } from '../../util/rng';

/** A stream of noise: each call returns the next n values (the first call equals seededNoise(seed, n) for even n). */
export function noiseStream(seed: number): (n: number) => Float32Array {
  const r = mulberry32(seed >>> 0);
  let spare: number | null = null;
  return (n) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (spare !== null) {
        out[i] = spare;
        spare = null;
        continue;
      }
      const u1 = Math.max(r(), 1e-12);
      const u2 = r();
      const m = Math.sqrt(-2 * Math.log(u1));
      out[i] = m * Math.cos(2 * Math.PI * u2);
      spare = m * Math.sin(2 * Math.PI * u2);
    }
    return out;
  };
}

/** The first n values of the seed's stream. */
export function seededNoise(seed: number, n: number): Float32Array {
  return noiseStream(seed)(n);
}
