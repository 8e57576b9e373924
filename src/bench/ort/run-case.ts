// Check, then time, one case: every side is held against the CPU reference first; only the sides
// that pass are timed, in interleaved rounds, and our kernels are also timed by GPU timestamps.
import type { GpuRuntime } from '../../runtime/runtime';
import { interleave, median, stats, type InterleaveOptions, type Stats } from '../browser/timing';
import type { BenchCase } from './cases';
import { errorText, type OrtPeer } from './ort-web';
import type { Side } from './sides';

export interface SideResult {
  key: string;
  label: string;
  /** Why this side did not run (ORT's own message), if it did not. */
  error?: string;
  /** Max |out - ref| and the max of |out - ref| / magnitude of the terms (absolute when no magnitude). */
  maxAbsErr?: number;
  maxErr?: number;
  pass?: boolean;
  /** Wall-clock ms per run (op + submit + 16-byte readback), over interleaved rounds. */
  wall?: Stats;
  /** Median kernel ms from GPU timestamps (ours only). */
  gpuMs?: number | null;
}

export interface CaseResult {
  id: string;
  group: string;
  model: string;
  what: string;
  shape: string;
  work: BenchCase['work'];
  prepareS: number;
  notes: string[];
  sides: SideResult[];
}

function errors(out: Float32Array, ref: Float32Array, mag: Float32Array | null): { maxAbsErr: number; maxErr: number } {
  if (out.length < ref.length) return { maxAbsErr: Infinity, maxErr: Infinity };
  let maxAbsErr = 0;
  let maxErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(out[i] - ref[i]);
    const err = Number.isNaN(e) ? Infinity : e;
    maxAbsErr = Math.max(maxAbsErr, err);
    maxErr = Math.max(maxErr, mag ? err / Math.max(mag[i], 1e-30) : err);
  }
  return { maxAbsErr, maxErr };
}

export async function runCase(rt: GpuRuntime, c: BenchCase, peers: readonly OrtPeer[], timing: InterleaveOptions, gpuRuns: number): Promise<CaseResult> {
  const t0 = performance.now();
  const prep = await c.prepare(rt);
  const sides: Side[] = [...prep.ours];
  const results: SideResult[] = prep.ours.map((s) => ({ key: s.key, label: s.label }));
  for (const p of peers) {
    try {
      sides.push(await prep.peer(p));
      results.push({ key: p.name, label: p.label });
    } catch (e) {
      results.push({ key: p.name, label: p.label, error: errorText(e) });
    }
  }
  const prepareS = (performance.now() - t0) / 1e3;
  const timed: Side[] = [];
  try {
    for (const s of sides) {
      const r = results.find((x) => x.key === s.key)!;
      try {
        Object.assign(r, errors(await s.full(), prep.ref, prep.mag));
        r.pass = r.maxErr! <= prep.tol;
        if (r.pass) timed.push(s);
      } catch (e) {
        r.error = errorText(e);
      }
    }
    const samples = await interleave(timed.map((s) => ({ name: s.key, run: () => s.tiny() })), timing);
    for (const s of timed) {
      const r = results.find((x) => x.key === s.key)!;
      r.wall = stats(samples[s.key]);
      if (s.gpuMs) {
        // Up to gpuRuns profiled runs, fewer when each is slow (at least one).
        const g: number[] = [];
        const start = performance.now();
        for (let i = 0; i < gpuRuns && (i === 0 || performance.now() - start < 2000); i++) {
          const ms = await s.gpuMs();
          if (ms !== null) g.push(ms);
        }
        r.gpuMs = g.length ? median(g) : null;
      }
    }
  } finally {
    for (const s of sides) await s.release();
    rt.pool.trim();
  }
  return { id: c.id, group: c.group, model: c.model, what: c.what, shape: c.shape, work: c.work, prepareS, notes: prep.notes, sides: results };
}
