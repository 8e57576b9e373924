// Shared helpers for browser benches (src/bench/<name>.browser.ts); see scripts/bench.mjs for the runner.
export type { BenchContext, BrowserBench } from './contract';
export { browserRuntime, describeEnv, envLines, type BrowserEnv } from './device';
export { interleave, median, quantile, ratio, stats, type InterleaveOptions, type Stats, type TimedCase } from './timing';
export { markdownTable, table, type Cell } from './table';
