// CPU reference for the GPU sampler (shaders/sample-prep.wgsl, shaders/sample.wgsl): the
// definition of what a sampled token is. Order of operations:
//
//  1. repetition penalty (llama.cpp style): every distinct token id in `history` (the last N
//     tokens) has its logit l replaced by l * (1/penalty) if l > 0, else l * penalty. The
//     reciprocal is rounded to f32 once, and every step is an f32 multiply (correctly rounded on
//     every WebGPU device), so the GPU reproduces these values bit for bit. (llama.cpp divides;
//     the two differ by at most one f32 ulp.)
//  2. temperature: temperature <= 0 is greedy: the argmax of the penalised logits, ties to the
//     lowest id, and steps 3-6 are skipped. Otherwise w = l * f32(1/temperature).
//  3. candidates are ordered by (w desc, id asc), which is (probability desc, id asc).
//     e_j = exp(w_j - w_max) is the unnormalised probability.
//  4. top-k (0 or >= V: off): keep the first k in that order.
//  5. top-p (>= 1: off): keep the shortest prefix whose mass reaches p of the top-k mass
//     (cum_j >= p * Z_k, as llama.cpp), so at least one token.
//  6. min-p (<= 0: off): keep tokens with p_j >= min_p * p_max, evaluated as
//     f32(w_j - w_max) >= f32(ln(min_p)): exact in f32 on both sides, and the same condition in
//     exact arithmetic (renormalising after top-k/top-p does not change p_j / p_max).
//  7. renormalise over the n kept tokens (Z_n) and pick by inverse CDF: the first j with
//     cum_j > u * Z_n, where u in [0, 1) comes from the host's seeded PRNG.
//
// The filters are prefixes of one order, so the kept set is the first min(n_k, n_p, n_m) tokens.
// Penalised logits, argmax, top-k and min-p are exact on the GPU; top-p and the pick compare f32
// sums of exp() against the float64 here, so a decision within ~1e-5 of a cumulative edge may
// differ. samplePlan/pickFromPlan report those margins so tests can keep u and p away from edges.
import { samplingConstants, type SamplingParams } from '../sample';

/** Steps 1-2: the f32 values the GPU's prep pass writes. */
export function penalisedLogits(logits: Float32Array, p: SamplingParams): Float32Array {
  const c = samplingConstants(p);
  const V = logits.length;
  const w = new Float32Array(V);
  for (let i = 0; i < V; i++) w[i] = Math.fround(logits[i] * c.invTemp);
  if (c.penalise) {
    const hist = p.history ?? [];
    for (let h = 0; h < hist.length; h++) {
      const tok = hist[h];
      if (tok >= V) continue;
      const l = logits[tok];
      const lp = Math.fround(l > 0 ? l * c.invPenalty : l * c.penalty);
      w[tok] = Math.fround(lp * c.invTemp);
    }
  }
  return w;
}

/** Everything up to the pick (steps 1-6), reusable for many u. */
export interface SamplePlan {
  greedy: boolean;
  /** Kept token ids in order (one, the argmax, when greedy). */
  kept: number[];
  /** Cumulative unnormalised mass over `kept` (float64). */
  cum: number[];
  /** Distance from p to the cumulative top-p fraction on either side of the cut (Infinity when off). */
  pMargin: number;
}

export function samplePlan(logits: Float32Array, p: SamplingParams): SamplePlan {
  const c = samplingConstants(p);
  const w = penalisedLogits(logits, p);
  const V = w.length;
  if (c.greedy) {
    let best = 0;
    for (let i = 1; i < V; i++) if (w[i] > w[best]) best = i;
    return { greedy: true, kept: [best], cum: [1], pMargin: Infinity };
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => (w[b] !== w[a] ? w[b] - w[a] : a - b));
  const wMax = w[order[0]];
  const nK = c.topK > 0 && c.topK < V ? c.topK : V;
  const cum = new Array<number>(nK);
  let acc = 0;
  for (let j = 0; j < nK; j++) cum[j] = acc += Math.exp(w[order[j]] - wMax);
  const zK = cum[nK - 1];
  let nP = nK;
  let pMargin = Infinity;
  if (c.topP < 1) {
    const target = c.topP * zK;
    nP = cum.findIndex((v) => v >= target) + 1 || nK;
    pMargin = Math.abs(cum[nP - 1] / zK - c.topP);
    if (nP >= 2) pMargin = Math.min(pMargin, Math.abs(cum[nP - 2] / zK - c.topP));
  }
  let nM = nK;
  if (c.useMinP) {
    nM = 0;
    while (nM < nK && Math.fround(w[order[nM]] - wMax) >= c.lnMinP) nM++;
  }
  const n = Math.min(nK, nP, nM);
  return { greedy: false, kept: order.slice(0, n), cum: cum.slice(0, n), pMargin };
}

/** Step 7: the pick for one u, and how far u is from the nearest inner edge of the CDF. */
export function pickFromPlan(plan: SamplePlan, u: number): { id: number; uMargin: number } {
  const n = plan.kept.length;
  if (plan.greedy || n === 1) return { id: plan.kept[0], uMargin: Infinity };
  const zN = plan.cum[n - 1];
  const target = u * zN;
  let j = plan.cum.findIndex((v) => v > target);
  if (j < 0) j = n - 1;
  let uMargin = Infinity;
  for (let i = 0; i < n - 1; i++) uMargin = Math.min(uMargin, Math.abs(plan.cum[i] / zN - u));
  return { id: plan.kept[j], uMargin };
}

export function sampleRef(logits: Float32Array, p: SamplingParams, u: number): number {
  return pickFromPlan(samplePlan(logits, p), u).id;
}
