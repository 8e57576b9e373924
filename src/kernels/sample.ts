// Token sampling on the GPU: repetition penalty, temperature (0 = greedy), top-k, top-p, min-p and
// an inverse-CDF draw for a u from the host's seeded PRNG, so a run is reproducible. The host reads
// back one u32. Semantics: src/kernels/ref/sample.ts. Shaders: shaders/sample-prep.wgsl (penalised,
// tempered logits; two dispatches) and shaders/sample.wgsl (the selection; one workgroup).
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import type { PooledBuffer } from '../runtime/buffer-pool';
import { foldGroups, guard, guardBytes, guardDim, packUniforms, type Binding } from './common';

export interface SamplingParams {
  /** <= 0: greedy (argmax, ties to the lowest id). */
  temperature: number;
  /** 0 or >= V: off. */
  topK?: number;
  /** >= 1: off. */
  topP?: number;
  /** <= 0: off. */
  minP?: number;
  /** Repetition penalty, 1: off. */
  penalty?: number;
  /** The last N generated/prompt tokens the penalty applies to (duplicates are fine). */
  history?: ArrayLike<number>;
}

/** The f32 constants both the shaders and the reference use (see ref/sample.ts for why). */
export function samplingConstants(p: SamplingParams) {
  const greedy = !(p.temperature > 0);
  const penalty = p.penalty ?? 1;
  guard(penalty > 0 && Number.isFinite(penalty), 'sample', `penalty must be > 0 (got ${penalty})`);
  const topP = p.topP ?? 1;
  const minP = p.minP ?? 0;
  guard(topP >= 0 && minP <= 1, 'sample', `topP must be >= 0 and minP <= 1 (got ${topP}, ${minP})`);
  return {
    greedy,
    invTemp: greedy ? 1 : Math.fround(1 / p.temperature),
    penalise: penalty !== 1 && (p.history?.length ?? 0) > 0,
    penalty: Math.fround(penalty),
    invPenalty: Math.fround(1 / penalty),
    topK: Math.max(0, Math.floor(p.topK ?? 0)),
    topP: Math.fround(topP),
    useMinP: minP > 0,
    lnMinP: minP > 0 ? Math.fround(Math.log(minP)) : 0,
  };
}

/** Largest f32 below 1: a u of 1 - 2^-32 from a 32-bit PRNG would otherwise round up to 1. */
const U_MAX = 1 - 2 ** -24;

export interface SampleArgs {
  /** [V] f32, not modified. */
  logits: Binding;
  /** [>= history length] u32 token ids (required when the penalty is on). */
  history?: Binding;
  historyLength?: number;
  /** The id is written to out[outIndex] (u32). */
  out: Binding;
  outIndex?: number;
  params: SamplingParams;
  /** Uniform in [0, 1), from the host's seeded PRNG. */
  u: number;
}

export interface Sampler {
  readonly label: string;
  readonly vocab: number;
  encode(rec: Recorder, args: SampleArgs): void;
  /** Give the scratch buffers back to the pool. */
  release(): void;
}

const WG = 256;

/** The sampler's scratch buffers for a vocabulary: per-token weights (f32) and candidates (16 bytes). */
export function samplerScratchBytes(vocab: number): { w: number; cand: number } {
  return { w: vocab * 4, cand: vocab * 16 };
}

export async function sampler(rt: GpuRuntime, opts: { vocab: number; subgroups?: boolean }): Promise<Sampler> {
  const V = opts.vocab;
  guardDim('sample', 'vocab', V);
  guard(V < 2 ** 24, 'sample', `vocab must be < 2^24 (got ${V}): counts are summed in f32`);
  const subgroups = (opts.subgroups ?? rt.caps.subgroups) && rt.caps.subgroups;
  const label = `sample.wg${WG}${subgroups ? '-sg' : ''}`;
  const [prep, penalty, select] = await Promise.all([
    rt.pipelines.get({ shader: 'sample-prep', label: 'sample.prep' }),
    rt.pipelines.get({ shader: 'sample-prep', label: 'sample.penalty', defines: { PENALTY: true } }),
    rt.pipelines.get({ shader: 'sample', label, defines: { SUBGROUPS: subgroups } }),
  ]);
  const scratch: PooledBuffer[] = [];
  try {
    const sizes = samplerScratchBytes(V);
    scratch.push(await rt.storage(sizes.w, 'activations', 'sample.w'));
    scratch.push(await rt.storage(sizes.cand, 'activations', 'sample.cand'));
  } catch (e) {
    for (const b of scratch) rt.pool.release(b);
    throw e;
  }
  const [w, cand] = scratch;
  return {
    label,
    vocab: V,
    encode(rec, a) {
      const c = samplingConstants(a.params);
      const outIndex = a.outIndex ?? 0;
      guard(a.u >= 0 && a.u < 1, label, `u must lie in [0, 1) (got ${a.u})`);
      guardBytes(label, 'logits', a.logits, V * 4);
      guardBytes(label, 'out', a.out, (outIndex + 1) * 4);
      const nHist = a.historyLength ?? a.params.history?.length ?? 0;
      const prepUniforms = packUniforms([V, nHist, { f32: c.invTemp }, { f32: c.penalty }, { f32: c.invPenalty }]);
      rec.dispatch({ pipeline: prep, label: 'sample.prep', bindings: [a.logits, w.buffer], workgroups: foldGroups(Math.ceil(V / WG)), uniforms: prepUniforms });
      if (c.penalise && nHist > 0) {
        guard(a.history !== undefined, label, 'the penalty needs the history buffer');
        guardBytes(label, 'history', a.history, nHist * 4);
        rec.dispatch({
          pipeline: penalty,
          label: 'sample.penalty',
          bindings: [a.logits, a.history, w.buffer],
          workgroups: foldGroups(Math.ceil(nHist / WG)),
          uniforms: prepUniforms,
        });
      }
      const topK = c.topK < V ? c.topK : 0;
      rec.dispatch({
        pipeline: select,
        label,
        bindings: [w.buffer, cand.buffer, a.out],
        workgroups: [1],
        uniforms: packUniforms([
          V,
          topK,
          c.greedy ? 1 : 0,
          outIndex,
          { f32: c.topP },
          { f32: c.lnMinP },
          c.useMinP ? 1 : 0,
          { f32: Math.min(a.u, U_MAX) },
        ]),
      });
    },
    release() {
      for (const b of scratch.splice(0)) rt.pool.release(b);
    },
  };
}
