// LLM throughput on the Node WebGPU substrates: for each model, prefill tok/s over a 64-token
// prompt, greedy decode tok/s with one submit per token and GPU sampling (as a chat session runs),
// and the weight bandwidth that decode achieves, held against a plain copy kernel timed in the
// same run. Decode reads every weight once per token, so (weight bytes per token) x (tok/s) over
// the copy's GB/s says how close the kernels come to streaming memory as fast as it can move.
//   npm run bench -- llm                      # embedded models + SmolLM2-135M shapes
//   BENCH_MODELS=all npm run bench -- llm     # + Qwen2.5-0.5B shapes (a few minutes to build)
//   BENCH_MODELS=embedded,qwen2.5 BENCH_TOKENS=8 WEBGPU_SUBSTRATES=lavapipe npm run bench -- llm
import { sampler } from '../kernels/sample';
import { readLlamaConfig } from '../models/llama/config';
import { LlamaModel } from '../models/llama/model';
import { loadLlamaWeights, releaseLlamaWeights } from '../models/llama/weights';
import { parseGguf } from '../formats/gguf/parse';
import { bufferSource } from '../formats/source';
import type { GpuRuntime } from '../runtime/runtime';
import { nodeSubstrates } from '../test/node-gpu';
import { mulberry32 } from '../util/rng';
import { copyBandwidth, decodeWeightBytes } from '../perf/roofline';
import { benchModels, typeSummary, type BenchModel } from './llm-models';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PROMPT = 64;
const MB = 1e6;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface ModelResult {
  loadS: number;
  perTokenBytes: number;
  gpuWeightBytes: number;
  prefillTokS: number;
  decodeTokS: number;
  medianMs: number;
  gpuMs: number;
  gpuTimed: string;
  tokens: number;
  decodeDispatches: number;
  prefillDispatches: number;
  prefillSubmits: number;
  prefillGpuMs: number;
  /** 2 x (weights of every matrix but the embedding) x prompt tokens: the matmul work of prefill. */
  prefillFlops: number;
  chunk: number;
  byKind: [string, { ms: number; n: number }][];
}

/** Parameters of the matrices a token multiplies by (all layers and the head; not the embedding gather). */
function matrixParams(w: { head: { rows: number; K: number }; layers: readonly object[] }): number {
  let n = w.head.rows * w.head.K;
  for (const l of w.layers) {
    for (const v of Object.values(l)) if (typeof v === 'object' && v !== null && 'parts' in v && 'rows' in v && 'K' in v) n += (v as { rows: number }).rows * (v as { K: number }).K;
  }
  return n;
}

async function benchModel(rt: GpuRuntime, bm: BenchModel, wantTokens: number): Promise<ModelResult> {
  const t0 = performance.now();
  const bytes = bm.bytes();
  const source = bufferSource(bytes, bm.name);
  const file = await parseGguf(source);
  const cfg = readLlamaConfig(file);
  const tokens = Math.max(1, Math.min(wantTokens, cfg.contextLength - PROMPT - 1));
  const weights = await loadLlamaWeights(rt, file, source, cfg);
  // The prefill chunk the app would use on this adapter (resolvePrefillChunk), so prefill runs as a chat does.
  const model = await LlamaModel.create(rt, cfg, weights, { contextLength: PROMPT + tokens + 1 });
  const sample = await sampler(rt, { vocab: cfg.vocab });
  const out = await rt.storage(16, 'staging', 'bench.sample-out');
  const loadS = (performance.now() - t0) / 1e3;

  /** One submit as a session runs it: the step, greedy sampling on the GPU, a 4-byte read. */
  const step = async (ids: number[], pos: number, profile = false) => {
    const rec = rt.recorder({ profile, label: 'bench.llm-step' });
    model.record(rec, ids, pos);
    sample.encode(rec, { logits: model.logitsBuffer, out: out.buffer, params: { temperature: 0 }, u: 0 });
    const read = rec.read(out.buffer, 0, 4);
    const ts = performance.now();
    const timing = await rec.submit();
    const id = new Uint32Array(await read)[0];
    return { id, ms: performance.now() - ts, timing, dispatches: rec.dispatches };
  };

  const rand = mulberry32(42);
  const prompt = Array.from({ length: PROMPT }, () => Math.floor(rand() * Math.min(cfg.vocab, 256)));
  /** The prompt in chunks of the model's prefill size, one submit each, as a session prefills. */
  const prefill = async (profile = false) => {
    const t = performance.now();
    let last = { id: -1, dispatches: 0, kernels: [] as { label: string; ms: number }[] };
    const kernels: { label: string; ms: number }[] = [];
    let dispatches = 0;
    for (let p = 0; p < prompt.length; p += model.chunk) {
      const r = await step(prompt.slice(p, p + model.chunk), p, profile);
      dispatches += r.dispatches;
      kernels.push(...r.timing.kernels);
      last = { id: r.id, dispatches, kernels };
    }
    return { ...last, ms: performance.now() - t, submits: Math.ceil(prompt.length / model.chunk) };
  };
  await step([prompt[0]], 0); // touches every weight once: first-use costs stay out of the timings
  const pre = await prefill();
  const preProf = await prefill(true);
  let id = pre.id;
  const stepMs: number[] = [];
  for (let i = 0; i < tokens; i++) {
    const r = await step([id], PROMPT + i);
    stepMs.push(r.ms);
    id = r.id;
  }
  const prof = await step([id], PROMPT + tokens, true);
  const gpuMs = prof.timing.kernels.reduce((s, k) => s + k.ms, 0);
  const timed = prof.timing.source === 'timestamp' ? prof.timing.kernels.length : 0;
  // GPU time of one decode token by kernel family (the label up to its first '.' or '-').
  const byKind = new Map<string, { ms: number; n: number }>();
  for (const k of prof.timing.kernels) {
    const kind = k.label.split(/[.-]/)[0];
    const e = byKind.get(kind) ?? { ms: 0, n: 0 };
    e.ms += k.ms;
    e.n++;
    byKind.set(kind, e);
  }

  const res: ModelResult = {
    loadS,
    perTokenBytes: decodeWeightBytes(model.cfg, model.weights),
    gpuWeightBytes: weights.bytes,
    prefillTokS: PROMPT / (pre.ms / 1e3),
    decodeTokS: tokens / (stepMs.reduce((a, b) => a + b, 0) / 1e3),
    medianMs: median(stepMs),
    gpuMs,
    gpuTimed: timed === prof.dispatches ? 'all dispatches' : `${timed} of ${prof.dispatches} dispatches timed`,
    tokens,
    decodeDispatches: prof.dispatches,
    prefillDispatches: preProf.dispatches,
    prefillSubmits: pre.submits,
    prefillGpuMs: preProf.kernels.reduce((s, k) => s + k.ms, 0),
    prefillFlops: 2 * matrixParams(weights) * PROMPT,
    chunk: model.chunk,
    byKind: [...byKind.entries()].sort((a, b) => b[1].ms - a[1].ms),
  };
  sample.release();
  rt.pool.release(out);
  model.release();
  releaseLlamaWeights(rt, weights);
  rt.pool.trim();
  return res;
}

const models = benchModels(process.env.BENCH_MODELS);
const tokensFor = (bm: BenchModel, sub: string) =>
  Number(process.env.BENCH_TOKENS ?? (bm.big && sub === 'swiftshader' ? 8 : 32));

console.log('\nSoftware adapters (Vulkan emulated on 2 shared CPU cores): the absolute numbers say nothing about a real');
console.log('GPU; only ratios within one run mean anything (weight GB/s vs the copy GB/s, one model or type vs another).');
for (const bm of models) {
  const t = performance.now();
  const b = bm.bytes();
  console.log(`\n[model] ${bm.name}: ${(b.length / MB).toFixed(1)} MB GGUF${bm.built ? ` (built in ${((performance.now() - t) / 1e3).toFixed(1)} s)` : ''}`);
  console.log(`        types: ${await typeSummary(b)}`);
}

for (const sub of nodeSubstrates()) {
  const rt = await sub.runtime();
  const a = rt.report.adapter;
  console.log(`\n== ${sub.name}: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}`);
  const copy = await copyBandwidth(rt, { runs: RUNS });
  console.log(`  copy baseline: bench-copy over ${(copy.bytes / 2 ** 20).toFixed(0)} MiB, median of ${RUNS}, ${copy.timing === 'timestamp' ? 'GPU timestamps' : 'CPU-timed'}: ` +
    `${copy.ms.toFixed(2)} ms = ${copy.gbps.toFixed(2)} GB/s (read + write)`);
  for (const bm of models) {
    const r = await benchModel(rt, bm, tokensFor(bm, sub.name));
    const gbps = (r.perTokenBytes * r.decodeTokS) / 1e9;
    console.log(`\n  ${bm.name} (load + compile ${r.loadS.toFixed(1)} s; ${(r.gpuWeightBytes / MB).toFixed(1)} MB of weights on the GPU, ` +
      `${(r.perTokenBytes / MB).toFixed(1)} MB read per decode token)`);
    console.log(`    prefill ${PROMPT} tokens in chunks of ${r.chunk}: ${r.prefillTokS.toFixed(1)} tok/s, ${((r.prefillFlops / (PROMPT / r.prefillTokS)) / 1e9).toFixed(2)} GFLOP/s ` +
      `(${(r.prefillFlops / 1e9).toFixed(2)} GFLOP of matmul; GPU time ${r.prefillGpuMs.toFixed(0)} ms; ${r.prefillSubmits} submits, ${r.prefillDispatches} dispatches)`);
    console.log(`    decode ${r.tokens} tokens (greedy, 1 submit/token): ${r.decodeTokS.toFixed(2)} tok/s, median ${r.medianMs.toFixed(1)} ms/token` +
      ` (GPU time of one profiled token: ${r.gpuMs.toFixed(1)} ms, ${r.gpuTimed})`);
    console.log(`    weight bandwidth: ${gbps.toFixed(2)} GB/s = ${((100 * gbps) / copy.gbps).toFixed(1)}% of copy; 1 submit and ${r.decodeDispatches} dispatches per token`);
    const total = r.byKind.reduce((s, [, e]) => s + e.ms, 0);
    console.log(`    GPU time of one token by kernel: ${r.byKind.map(([k, e]) => `${k} ${e.ms.toFixed(2)} ms (${((100 * e.ms) / total).toFixed(0)}%, ${e.n}x)`).join(', ')}`);
    const mv = r.byKind.filter(([k]) => k === 'qmatvec' || k === 'matvec').reduce((s, [, e]) => s + e.ms, 0);
    if (mv > 0) console.log(`    matvec kernels alone: ${((r.perTokenBytes / (mv / 1e3)) / 1e9).toFixed(2)} GB/s of weights = ${((100 * (r.perTokenBytes / (mv / 1e3)) / 1e9) / copy.gbps).toFixed(1)}% of copy (GPU time)`);
  }
  rt.destroy();
}
console.log('\nWeight bandwidth = bytes of weights read per decode token (all layers, LM head, one embedding row; KV cache');
console.log('and activations not counted) x decode tok/s (wall clock, submit and 4-byte readback included).');
process.exit(0);
