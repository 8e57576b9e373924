// Our engine as the app runs it, but on the page's own device (no worker): the GGUF parsed from
// bytes, weights streamed into GPU buffers, every pipeline compiled at load, the prompt prefilled in
// the model's default chunks for this adapter (resolvePrefillChunk), then one submit per decode
// token that ends in greedy sampling on the GPU and a 4-byte readback.
import { parseGguf } from '../../formats/gguf/parse';
import { bufferSource } from '../../formats/source';
import { createTokenizer, specFromGgufMetadata } from '../../formats/tokenizer';
import { sampler } from '../../kernels/sample';
import { readLlamaConfig } from '../../models/llama/config';
import { LlamaModel } from '../../models/llama/model';
import { loadLlamaWeights, releaseLlamaWeights } from '../../models/llama/weights';
import { decodeWeightBytes } from '../../perf/roofline';
import type { GpuRuntime } from '../../runtime/runtime';
import { timedGreedy, type GenerationSpec, type GenerationTiming, type Runner } from './common';

export async function loadOurs(rt: GpuRuntime, gguf: Uint8Array, spec: GenerationSpec): Promise<Runner> {
  const t0 = performance.now();
  const source = bufferSource(gguf);
  const file = await parseGguf(source);
  const cfg = readLlamaConfig(file);
  const tokenizer = createTokenizer(specFromGgufMetadata(file.metadata));
  const weights = await loadLlamaWeights(rt, file, source, cfg);
  let m: LlamaModel;
  try {
    m = await LlamaModel.create(rt, cfg, weights, { contextLength: spec.prompt.length + spec.decodeSteps + 2 });
  } catch (e) {
    releaseLlamaWeights(rt, weights);
    throw e;
  }
  const sample = await sampler(rt, { vocab: cfg.vocab });
  const out = await rt.storage(16, 'staging', 'e2e.sample-out');
  const loadMs = performance.now() - t0;

  /** One submit: `ids` at `pos`, and when `sampleIt`, greedy sampling and the 4-byte id read back. */
  const step = async (ids: number[], pos: number, sampleIt: boolean, profile = false) => {
    const rec = rt.recorder({ profile, label: 'e2e.llm-step' });
    m.record(rec, ids, pos);
    let read: Promise<ArrayBuffer> | null = null;
    if (sampleIt) {
      sample.encode(rec, { logits: m.logitsBuffer, out: out.buffer, params: { temperature: 0 }, u: 0 });
      read = rec.read(out.buffer, 0, 4);
    }
    const timing = await rec.submit();
    const id = read ? new Uint32Array(await read)[0] : -1;
    return { id, timing, dispatches: rec.dispatches };
  };

  const p = spec.prompt;
  let lastToken = p[p.length - 1];
  return {
    loadMs,
    notes: [`prefill in ${Math.ceil(p.length / m.chunk)} submit(s) of <= ${m.chunk} tokens (the model's default chunk on this adapter)`],
    extra: { prefillChunk: m.chunk, weightBytesOnGpu: weights.bytes, decodeWeightBytesPerToken: decodeWeightBytes(cfg, weights) },
    decode: (ids) => tokenizer.decode(ids),

    async generate(decodeSteps: number): Promise<GenerationTiming> {
      const prefill = async () => {
        let id = -1;
        for (let i = 0; i < p.length; i += m.chunk) {
          const part = p.slice(i, i + m.chunk);
          id = (await step(part, i, i + part.length === p.length)).id;
        }
        return id;
      };
      const r = await timedGreedy(p, decodeSteps, prefill, async (id, pos) => (await step([id], pos, true)).id);
      lastToken = r.tokens[r.tokens.length - 1];
      return r;
    },

    // One more decode step with every dispatch timed on the GPU: how much of a token's wall time
    // the kernels take, the rest being submit, synchronisation and readback.
    async profile() {
      const prof = await step([lastToken], p.length + spec.decodeSteps, true, true);
      return {
        gpuMs: prof.timing.kernels.reduce((s, k) => s + k.ms, 0),
        timing: prof.timing.source,
        dispatches: prof.dispatches,
        wallMs: prof.timing.wallMs,
      };
    },

    async release() {
      sample.release();
      rt.pool.release(out);
      m.release();
      releaseLlamaWeights(rt, weights);
      rt.pool.trim();
    },
  };
}
