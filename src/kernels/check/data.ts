// Test inputs made hard on purpose: gaussian values with a sprinkling of large outliers, and odd
// sizes, because uniform random data in round shapes hides indexing and overflow bugs.
import { gaussian, mulberry32 } from '../../util/rng';

export interface DataOptions {
  scale?: number;
  /** Fraction of elements replaced by outliers (default 1%). */
  outlierRate?: number;
  /** Outlier magnitude relative to scale (default 30x). */
  outlierScale?: number;
}

export function randn(n: number, seed: number, opts: DataOptions = {}): Float32Array {
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  const scale = opts.scale ?? 1;
  const rate = opts.outlierRate ?? 0.01;
  const big = (opts.outlierScale ?? 30) * scale;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rand() < rate ? (rand() < 0.5 ? -big : big) * (0.5 + rand()) : g() * scale;
  }
  return out;
}

/** Shapes every kernel is swept over: 1, tiny odd, just past a tile, and a larger odd size. */
export const ODD_SIZES = [1, 3, 33, 257] as const;
