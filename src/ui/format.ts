// Small display helpers shared by the panels.
export { fmtBytes } from '../util/format';

export function fmtErr(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return x.toExponential(1);
}

export function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}
