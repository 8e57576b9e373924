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

export function fmtRate(bytesPerS: number | undefined): string {
  if (bytesPerS === undefined || !Number.isFinite(bytesPerS)) return '—';
  return `${(bytesPerS / 1e6).toFixed(bytesPerS < 1e7 ? 2 : 1)} MB/s`;
}

export function fmtDuration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtNum(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}
