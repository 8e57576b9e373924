// Timing for browser benches: cases run in interleaved rounds (every case once per round, the order
// rotated each round), so drift in a shared, CPU-backed machine (other processes, thermal, GC)
// lands on all cases alike instead of on whichever ran last.

export interface TimedCase {
  name: string;
  /** One timed run: everything the caller wants inside the clock (e.g. submit + a tiny readback). */
  run: () => Promise<void>;
}

export interface InterleaveOptions {
  /** Untimed runs of each case first (pipeline compiles, first-touch of buffers). Default 2. */
  warmup?: number;
  /** Timed rounds at least (default 5) and at most (default 30). */
  minRounds?: number;
  maxRounds?: number;
  /** Stop after this many ms of timed rounds once minRounds are done. Default 20 s. */
  budgetMs?: number;
}

export interface Stats {
  n: number;
  median: number;
  min: number;
  /** Lower and upper quartiles. */
  q1: number;
  q3: number;
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
}

export function stats(xs: readonly number[]): Stats {
  return { n: xs.length, median: median(xs), min: Math.min(...xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) };
}

/** Wall-clock ms per run of each case, from interleaved rounds. Keys are the case names. */
export async function interleave(cases: readonly TimedCase[], opts: InterleaveOptions = {}): Promise<Record<string, number[]>> {
  const { warmup = 2, minRounds = 5, maxRounds = 30, budgetMs = 20_000 } = opts;
  const samples: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let w = 0; w < warmup; w++) for (const c of cases) await c.run();
  const t0 = performance.now();
  for (let r = 0; r < maxRounds; r++) {
    if (r >= minRounds && performance.now() - t0 > budgetMs) break;
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(r + j) % cases.length];
      const t = performance.now();
      await c.run();
      samples[c.name].push(performance.now() - t);
    }
  }
  return samples;
}

/** Ratio a/b formatted for a table ("2.31x"), or "-" when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}
