// The autotuner on real WebGPU: a trial on a model's own weights returns one of this device's
// candidates per weight type, with the timings it chose by; every plan it can return decodes the
// same greedy tokens as the CPU reference (variants differ in speed, never in results); plans from
// elsewhere are cut to what this device can run; the cache answers the second time.
import { describe, expect, it } from 'vitest';
import { GgmlType } from '../formats/gguf/types';
import { parseGguf } from '../formats/gguf/parse';
import { bufferSource } from '../formats/source';
import { readLlamaConfig } from '../models/llama/config';
import { LlamaModel } from '../models/llama/model';
import { syntheticLlama } from '../models/llama/synthetic';
import { gpuGreedy, refGreedy } from '../models/llama/testing';
import { loadLlamaWeights, releaseLlamaWeights } from '../models/llama/weights';
import { nodeSubstrates } from '../test/node-gpu';
import { adapterKey, candidates, choiceLabel, defaultPlan, memoryPlanCache, planKey, sanitizePlan, trialWeights, tuneMatvec, type KernelPlan } from './autotune';

const OPTS = {
  dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 160, vocab: 96, context: 48, type: GgmlType.Q4_0, seed: 11,
  // As Q4_K_M files do: the head in another type than the layers.
  typeFor: (name: string, _dims: readonly number[], t: GgmlType) => (name === 'output.weight' ? GgmlType.Q8_0 : t),
};
const PROMPT = [1, 5, 9, 14, 3, 22, 40];

for (const sub of nodeSubstrates()) {
  describe(`autotune on ${sub.name}`, () => {
    it("tunes each weight type on the model's own matrices and picks a candidate of this device", async () => {
      const rt = await sub.runtime();
      const { gguf } = syntheticLlama(OPTS);
      const src = bufferSource(gguf, 'tune.gguf');
      const file = await parseGguf(src);
      const w = await loadLlamaWeights(rt, file, src, readLlamaConfig(file), { chunkBytes: 4096 });
      try {
        const trial = trialWeights(w);
        expect([...trial.keys()].sort()).toEqual(['q4_0', 'q8_0']);
        // The largest first-layer matrix (ffn x dim) for q4_0; the head only for the type no layer has.
        expect(trial.get('q4_0')!.rows * trial.get('q4_0')!.K).toBe(160 * 64);
        expect(trial.get('q8_0')).toBe(w.head);
        const plan = await tuneMatvec(rt, trial, { rounds: 2, reps: 2 });
        const labels = candidates(rt).map(choiceLabel);
        expect(plan.source).toBe('tuned');
        expect(plan.adapter).toBe(adapterKey(rt));
        for (const t of ['q4_0', 'q8_0']) {
          expect(labels).toContain(choiceLabel(plan.qmatvec[t]!));
          const ms = plan.trials![t]!.ms;
          expect(Object.keys(ms).sort()).toEqual([...labels].sort());
          for (const v of Object.values(ms)) expect(v).toBeGreaterThan(0);
          // The choice is the fastest measured.
          expect(ms[choiceLabel(plan.qmatvec[t]!)]).toBe(Math.min(...Object.values(ms)));
        }
        console.log(`[autotune ${sub.name}] ${JSON.stringify(plan.trials)}`);
      } finally {
        releaseLlamaWeights(rt, w);
      }
    }, 120_000);

    it('every candidate plan decodes the greedy tokens of the CPU reference', async () => {
      const rt = await sub.runtime();
      const { gguf } = syntheticLlama(OPTS);
      const want = await refGreedy(gguf, PROMPT, 8, new Set());
      for (const c of candidates(rt)) {
        const src = bufferSource(gguf, 'tune.gguf');
        const file = await parseGguf(src);
        const cfg = readLlamaConfig(file);
        const w = await loadLlamaWeights(rt, file, src, cfg, { chunkBytes: 4096 });
        const plan: KernelPlan = { qmatvec: { q4_0: c, q8_0: c }, source: 'link', adapter: 'test' };
        const model = await LlamaModel.create(rt, cfg, w, { plan, contextLength: 24, prefillChunk: 8 });
        expect(await gpuGreedy(model, PROMPT, 8), choiceLabel(c)).toEqual(want);
        model.release();
      }
    }, 120_000);

    it("keeps what this device can run of another machine's plan, and caches by adapter", async () => {
      const rt = await sub.runtime();
      const foreign: KernelPlan = { qmatvec: { q4_0: { variant: 'coop', subgroups: true }, q8_0: { variant: 'tiles' as 'rows', subgroups: false } }, source: 'tuned', adapter: 'NVIDIA' };
      const s = sanitizePlan(rt, foreign);
      expect(s.qmatvec.q8_0).toBeUndefined();
      expect(s.qmatvec.q4_0).toEqual(rt.caps.subgroups ? { variant: 'coop', subgroups: true } : undefined);
      const guess = defaultPlan(rt, ['q4_0']);
      expect(guess.qmatvec.q4_0!.variant).toBe(rt.report.adapter.isSoftware ? 'rows' : 'coop');
      const cache = memoryPlanCache();
      const key = planKey(['q8_0', 'q4_0', 'q8_0']);
      expect(key).toBe('q4_0,q8_0');
      expect(await cache.get(adapterKey(rt), key)).toBeNull();
      await cache.set(adapterKey(rt), key, guess);
      expect(await cache.get(adapterKey(rt), key)).toEqual(guess);
      expect(await cache.get('another adapter', key)).toBeNull();
    });
  });
}
