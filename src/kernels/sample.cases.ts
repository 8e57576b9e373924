// Kernel cases for the GPU sampler, held id-for-id against src/kernels/ref/sample.ts: greedy with
// ties, each filter alone and all combined, the penalty, V = 1, 7, 4096 and 151936, a top-p that
// keeps exactly one token, and tie groups at the top-k cut and inside the pick.
//
// Every sampling case draws many u from a seeded PRNG and records one sampler run per u into one
// submit (out[i] for the i-th u). Exactness: penalised logits, argmax, top-k and min-p are bit-exact
// by construction; top-p and the pick compare f32 sums of exp() (GPU) with float64 (reference), so
// u values within U_MARGIN of an edge of the reference CDF are skipped, and a case whose top-p cut
// sits within P_MARGIN of p fails as badly built rather than flaking (fitTopP moves p to the middle
// of the cut token's share). The GPU's cumulative masses are f32 sums of up to ~1e5 terms, good to
// ~1e-6 relative, so margins of 1e-5 keep the comparison exact without excluding much.
import type { CaseReport, KernelCase } from './check/cases';
import { randn } from './check/data';
import { sampler, type SamplingParams } from './sample';
import { pickFromPlan, samplePlan } from './ref/sample';
import { mulberry32 } from '../util/rng';
import { asEngineError } from '../util/errors';
import type { PooledBuffer } from '../runtime/buffer-pool';

const U_MARGIN = 1e-5;
const P_MARGIN = 1e-5;

interface SampleCase {
  name: string;
  logits: () => Float32Array;
  params: SamplingParams;
  /** How many u values (default 50; greedy needs few). */
  draws?: number;
  /** Expected number of kept tokens (checks the case is what its name says). */
  kept?: number;
  /** Move topP to the middle of the share of the token where the cut falls. */
  fitTopP?: boolean;
}

/** params with topP moved to the middle of the cut token's share of the top-k mass. */
function fitTopP(logits: Float32Array, params: SamplingParams): SamplingParams {
  const { cum } = samplePlan(logits, { ...params, topP: 1, minP: 0 });
  const z = cum[cum.length - 1];
  const j = cum.findIndex((v) => v >= (params.topP ?? 1) * z);
  return { ...params, topP: ((j > 0 ? cum[j - 1] : 0) + cum[j]) / 2 / z };
}

function sampleCase(c: SampleCase, seed: number): KernelCase {
  return {
    kernel: 'sample',
    name: c.name,
    run: async (rt): Promise<CaseReport> => {
      const held: PooledBuffer[] = [];
      let variant = '?';
      const fail = (summary: string, error?: string): CaseReport => ({
        kernel: 'sample', name: c.name, variant, pass: false, maxAbsErr: NaN, maxRelErr: NaN, summary, gpuMs: null, timing: 'none', error,
      });
      try {
        const logits = c.logits();
        const V = logits.length;
        const params = c.fitTopP ? fitTopP(logits, c.params) : c.params;
        const plan = samplePlan(logits, params);
        if (plan.pMargin < P_MARGIN) return fail(`bad case: top-p cut within ${plan.pMargin.toExponential(2)} of p`);
        if (c.kept !== undefined && plan.kept.length !== c.kept) return fail(`bad case: keeps ${plan.kept.length} tokens, meant ${c.kept}`);
        const rand = mulberry32(seed);
        const us: number[] = [];
        const want: number[] = [];
        for (let tries = 0; us.length < (c.draws ?? 50) && tries < 10_000; tries++) {
          const u = Math.fround(rand());
          const r = pickFromPlan(plan, u);
          if (r.uMargin < U_MARGIN) continue;
          us.push(u);
          want.push(r.id);
        }
        const s = await sampler(rt, { vocab: V });
        variant = s.label;
        try {
          const hist = Uint32Array.from(params.history ?? [0]);
          held.push(await rt.upload(logits, 'activations', 'sample:logits'));
          held.push(await rt.upload(hist, 'activations', 'sample:history'));
          held.push(await rt.storage(us.length * 4, 'activations', 'sample:out'));
          const [lb, hb, ob] = held;
          const rec = rt.recorder({ profile: true, label: c.name });
          us.forEach((u, i) => s.encode(rec, { logits: lb.buffer, history: hb.buffer, out: ob.buffer, outIndex: i, params, u }));
          const read = rec.read(ob.buffer, 0, us.length * 4);
          const timing = await rec.submit();
          const got = new Uint32Array(await read);
          const bad = us.map((u, i) => ({ u, i })).filter(({ i }) => got[i] !== want[i]);
          const head = `${bad.length ? 'MISMATCH' : 'ok'}: ${bad.length}/${us.length} ids differ (${plan.kept.length} kept of V=${V}, u >= ${U_MARGIN} from CDF edges)`;
          const detail = bad.slice(0, 5).map(({ u, i }) => `u=${u} gpu=${got[i]} ref=${want[i]}`);
          return {
            kernel: 'sample',
            name: c.name,
            variant,
            pass: bad.length === 0,
            maxAbsErr: bad.length,
            maxRelErr: bad.length / us.length,
            summary: detail.length ? `${head}\n  ${detail.join('\n  ')}` : head,
            gpuMs: timing.kernels.reduce((t, k) => t + k.ms, 0),
            timing: timing.source,
          };
        } finally {
          s.release();
        }
      } catch (e) {
        const err = asEngineError(e);
        return fail(`error: ${err.message}`, `${err.name}: ${err.message}${err.detail ? `\n${err.detail}` : ''}`);
      } finally {
        for (const b of held) rt.pool.release(b);
      }
    },
  };
}

/** Gaussian logits (scale 2, no outliers) with a few boosted tokens, like a confident LM. */
function lmLogits(V: number, seed: number, boosts: [number, number][] = []): () => Float32Array {
  return () => {
    const x = randn(V, seed, { scale: 2, outlierRate: 0 });
    for (const [id, add] of boosts) if (id < V) x[id] += add;
    return x;
  };
}

/** Logits on a coarse grid, so many tokens tie. */
function tiedLogits(V: number, seed: number, step: number): () => Float32Array {
  return () => randn(V, seed, { scale: 2, outlierRate: 0 }).map((v) => Math.round(v / step) * step);
}

const BIG = 151936;
const HISTORY = Array.from({ length: 64 }, (_, i) => (i * 7919 + 13) % 5000).concat([17, 17, 42, 42, 42, BIG + 5]);

export const sampleCases: KernelCase[] = [
  sampleCase({ name: 'greedy V=1', logits: () => new Float32Array([-3]), params: { temperature: 0 }, draws: 3 }, 1),
  sampleCase({ name: 'greedy V=7 ties -> lowest id', logits: () => new Float32Array([1, 3, 3, -1, 3, 0, 2]), params: { temperature: 0 }, draws: 3 }, 2),
  sampleCase({
    name: 'greedy V=4096 ties at the max',
    logits: () => {
      const x = lmLogits(4096, 3)();
      for (const id of [2000, 100, 4000]) x[id] = 50;
      return x;
    },
    params: { temperature: 0 },
    draws: 3,
  }, 3),
  sampleCase({ name: `greedy V=${BIG} penalty moves the argmax`, logits: lmLogits(BIG, 4, [[17, 20], [99, 19]]), params: { temperature: 0, penalty: 1.3, history: HISTORY }, draws: 3 }, 4),
  sampleCase({ name: 'V=1 temperature 1', logits: () => new Float32Array([0.5]), params: { temperature: 1, topK: 40, topP: 0.9, minP: 0.05 }, draws: 5 }, 5),
  sampleCase({ name: 'V=7 temperature 0.7', logits: () => new Float32Array([1, 1.5, -2, 0.3, 1.5, 0.9, -0.1]), params: { temperature: 0.7 } }, 6),
  sampleCase({ name: 'V=4096 temperature 1.3 only', logits: lmLogits(4096, 7), params: { temperature: 1.3 } }, 7),
  sampleCase({ name: 'V=4096 top-k 40', logits: lmLogits(4096, 8), params: { temperature: 1, topK: 40 }, kept: 40 }, 8),
  sampleCase({ name: 'V=4096 top-k 50 cutting a tie group', logits: tiedLogits(4096, 9, 0.5), params: { temperature: 1, topK: 50 }, kept: 50 }, 9),
  sampleCase({ name: 'V=4096 top-p 0.9', logits: lmLogits(4096, 10, [[5, 6], [6, 5]]), params: { temperature: 0.8, topP: 0.9 }, fitTopP: true }, 10),
  sampleCase({ name: 'V=4096 top-p keeps exactly one', logits: lmLogits(4096, 11, [[123, 14]]), params: { temperature: 1, topP: 0.5 }, kept: 1 }, 11),
  sampleCase({ name: 'V=4096 min-p 0.05', logits: lmLogits(4096, 12, [[7, 5]]), params: { temperature: 1, minP: 0.05 } }, 12),
  sampleCase({ name: 'V=4096 ties in the pick (top-p 0.7)', logits: tiedLogits(4096, 13, 1), params: { temperature: 1, topP: 0.7 }, fitTopP: true }, 13),
  sampleCase({ name: 'V=7 all filters + penalty', logits: () => new Float32Array([2, -1, 1.8, 0.5, 1.2, 1.9, -3]), params: { temperature: 0.9, topK: 5, topP: 0.8, minP: 0.1, penalty: 1.5, history: [2, 2, 5, 6] } }, 14),
  sampleCase({
    name: `V=${BIG} all filters + penalty`,
    logits: lmLogits(BIG, 15, [[17, 8], [42, 7.5], [1000, 7], [2000, 6.5]]),
    params: { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05, penalty: 1.3, history: HISTORY },
    draws: 20,
  }, 15),
  // ~1200 tokens kept from all 151936 candidates (no top-k or min-p to shrink the search first).
  sampleCase({ name: `V=${BIG} top-p 0.95 over every token`, logits: lmLogits(BIG, 16), params: { temperature: 0.5, topP: 0.95 }, fitTopP: true, draws: 8 }, 16),
];
