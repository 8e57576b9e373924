// Kernel autotuning: which decode matvec variant runs each weight type on THIS device, chosen by a
// short timed trial on the model's own weights the first time, then cached by adapter identity.
// CPU-backed adapters reward one invocation per row (no barriers); real GPUs reward a workgroup per
// row with a subgroup reduction. The defaults guess from `isSoftware`; the trial measures.
//
// Trial: for each weight type the model uses, its largest matrix of that type (the FFN or the head),
// each candidate compiled and run `reps` times per submit, rounds interleaved (A B C A B C ...) so
// load on a shared machine hits every candidate alike; the median per-dispatch time picks. GPU
// timestamps where the device has them, else wall-clock over the submit (the same for every
// candidate). The result (the plan) goes into share links, so a shared demo runs the same kernels.
import { qmatvec } from '../kernels/quant/qmatvec';
import type { QuantType } from '../kernels/quant/format';
import type { KernelPlan, MatvecChoice } from '../engine/protocol';
import type { QWeight } from '../kernels/quant/qweights';
import type { GpuRuntime } from '../runtime/runtime';

export type { KernelPlan, MatvecChoice } from '../engine/protocol';

export function choiceLabel(c: MatvecChoice): string {
  return `${c.variant}${c.subgroups ? '-sg' : ''}`;
}

/** The identity a tuned plan is valid for: the adapter as reported, and the features the kernels use. */
export function adapterKey(rt: GpuRuntime): string {
  const a = rt.report.adapter;
  return [a.vendor, a.architecture, a.device, a.description, rt.caps.subgroups ? 'sg' : '', rt.caps.f16 ? 'f16' : ''].join('|');
}

export function candidates(rt: GpuRuntime): MatvecChoice[] {
  const c: MatvecChoice[] = [
    { variant: 'rows', subgroups: false },
    { variant: 'coop', subgroups: false },
  ];
  if (rt.caps.subgroups) c.push({ variant: 'coop', subgroups: true });
  return c;
}

/** The plan without a trial: the guess defaultQmatvecVariant makes. */
export function defaultPlan(rt: GpuRuntime, types: readonly QuantType[]): KernelPlan {
  const guess: MatvecChoice = rt.report.adapter.isSoftware ? { variant: 'rows', subgroups: false } : { variant: 'coop', subgroups: rt.caps.subgroups };
  return { qmatvec: Object.fromEntries(types.map((t) => [t, guess])), source: 'default', adapter: adapterKey(rt) };
}

/** Keep only choices this device can run (a plan from a link may come from another machine). */
export function sanitizePlan(rt: GpuRuntime, plan: KernelPlan): KernelPlan {
  const ok = (c: MatvecChoice | undefined): c is MatvecChoice => !!c && (c.variant === 'rows' || c.variant === 'coop') && (!c.subgroups || rt.caps.subgroups);
  const qm: KernelPlan['qmatvec'] = {};
  for (const [t, c] of Object.entries(plan.qmatvec)) if (ok(c)) qm[t] = { variant: c.variant, subgroups: c.variant === 'coop' && c.subgroups };
  return { ...plan, qmatvec: qm };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Time every candidate on `weights` (one per type: the matrix to time) and return the plan. The
 * input vector is the same zero-initialised buffer for every candidate; the results are not read.
 */
export async function tuneMatvec(rt: GpuRuntime, weights: ReadonlyMap<QuantType, QWeight>, opts: { rounds?: number; reps?: number; signal?: AbortSignal } = {}): Promise<KernelPlan> {
  const rounds = opts.rounds ?? 5;
  const reps = opts.reps ?? 4;
  const cands = candidates(rt);
  const plan: KernelPlan = { qmatvec: {}, source: 'tuned', adapter: adapterKey(rt), trials: {} };
  const useTimestamps = rt.caps.timestamps;
  for (const [type, w] of weights) {
    const kernels = await Promise.all(cands.map((c) => qmatvec(rt, { type, variant: c.variant, subgroups: c.subgroups })));
    const x = await rt.storage(w.K * 4, 'activations', 'autotune.x');
    const y = await rt.storage(w.rows * 4, 'activations', 'autotune.y');
    const samples: number[][] = cands.map(() => []);
    try {
      for (let r = 0; r < rounds + 1; r++) {
        for (let i = 0; i < cands.length; i++) {
          opts.signal?.throwIfAborted();
          const rec = rt.recorder({ profile: useTimestamps, label: `autotune.${type}` });
          for (let k = 0; k < reps; k++) kernels[i].encode(rec, { x: x.buffer, parts: w.parts, y: y.buffer, N: w.rows, K: w.K });
          const t0 = performance.now();
          const res = await rec.submit();
          const wall = performance.now() - t0;
          const gpu = useTimestamps ? res.kernels.reduce((s, k) => s + k.ms, 0) : 0;
          // Round 0 warms the pipelines up and is not counted.
          if (r > 0) samples[i].push((useTimestamps && gpu > 0 ? gpu : wall) / reps);
        }
      }
    } finally {
      rt.pool.release(x);
      rt.pool.release(y);
    }
    const ms = samples.map(median);
    let best = 0;
    for (let i = 1; i < ms.length; i++) if (ms[i] < ms[best]) best = i;
    plan.qmatvec[type] = cands[best];
    plan.trials![type] = { shape: [w.rows, w.K], ms: Object.fromEntries(cands.map((c, i) => [choiceLabel(c), Number(ms[i].toFixed(4))])) };
  }
  return plan;
}

/** Where tuned plans are kept between visits (OPFS in the worker, memory in Node). */
export interface PlanCache {
  get(adapter: string, key: string): Promise<KernelPlan | null>;
  set(adapter: string, key: string, plan: KernelPlan): Promise<void>;
}

export function memoryPlanCache(): PlanCache {
  const m = new Map<string, KernelPlan>();
  return {
    async get(a, k) {
      return m.get(`${a}\n${k}`) ?? null;
    },
    async set(a, k, p) {
      m.set(`${a}\n${k}`, p);
    },
  };
}

/** Weights per trial at most: a vocabulary-sized head is timed on its first rows (same kernel, same K). */
const TRIAL_ELEMENTS = 4 * 2 ** 20;

function firstRows(w: QWeight): QWeight {
  const rows = Math.max(1, Math.floor(TRIAL_ELEMENTS / w.K));
  if (w.rows <= rows || w.parts[0].rows < rows) return w;
  return { ...w, rows, parts: [{ ...w.parts[0], rows }] };
}

/** The matrix to time per weight type: the largest of the first layer's, or the head if only it has that type. */
export function trialWeights(w: { head: QWeight; layers: readonly object[] }): Map<QuantType, QWeight> {
  const out = new Map<QuantType, QWeight>();
  const layer = Object.values(w.layers[0] ?? {}).filter((v: unknown): v is QWeight => typeof v === 'object' && v !== null && 'parts' in v && 'rows' in v);
  for (const m of [...layer, w.head]) {
    const cur = out.get(m.type);
    const isHead = m === w.head;
    if (!cur) out.set(m.type, m);
    else if (!isHead && m.rows * m.K > cur.rows * cur.K) out.set(m.type, m);
  }
  for (const [t, m] of out) out.set(t, firstRows(m));
  return out;
}

/** The cache key of a plan: the weight types it covers. */
export function planKey(types: Iterable<QuantType>): string {
  return [...new Set(types)].sort().join(',');
}
