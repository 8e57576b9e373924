// The cases of the kernels-vs-ORT bench: projection shapes of three small LLMs in three weight types
// (decode M = 1, prefill M = 64), f32 matmul, softmax and one decode attention step. Each case builds
// its data once; our kernels and every ORT peer get the same values, and all are held against one
// float64 CPU reference.
import { attentionDecode } from '../../kernels/attention';
import { randn } from '../../kernels/check/data';
import { matmul } from '../../kernels/matmul';
import { matvec } from '../../kernels/matvec';
import { qmatmul } from '../../kernels/quant/qmatmul';
import { qmatvec } from '../../kernels/quant/qmatvec';
import { bindingLimit, uploadQWeight } from '../../kernels/quant/qweights';
import { repack } from '../../kernels/quant/repack';
import { attentionRef } from '../../kernels/ref/attention';
import { matmulAbsRef, matmulRef } from '../../kernels/ref/matmul';
import { softmaxRef } from '../../kernels/ref/softmax';
import { softmax } from '../../kernels/softmax';
import type { GpuRuntime } from '../../runtime/runtime';
import { linearPlan, resolvePrefillChunk } from '../../models/llama/model';
import { gqaDecodeModel, matMulModel, matMulNBitsModel, softmaxModel } from './models';
import { benchWeight, type BenchQuant } from './nbits';
import { OrtCase, type OrtInput, type OrtOutput, type OrtPeer } from './ort-web';
import { oursSide, ortSide, type Side } from './sides';

export interface ModelShape {
  name: string;
  hidden: number;
  inter: number;
  vocab: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

export const MODELS: readonly ModelShape[] = [
  { name: 'SmolLM2-135M', hidden: 576, inter: 1536, vocab: 49152, heads: 9, kvHeads: 3, headDim: 64 },
  { name: 'Qwen2.5-0.5B', hidden: 896, inter: 4864, vocab: 151936, heads: 14, kvHeads: 2, headDim: 64 },
  { name: 'Llama-3.2-1B', hidden: 2048, inter: 8192, vocab: 128256, heads: 32, kvHeads: 8, headDim: 64 },
];

export type CaseGroup = 'decode' | 'prefill' | 'f32' | 'softmax' | 'attention';

export interface Prepared {
  /** The float64 CPU result, rounded to f32. */
  ref: Float32Array;
  /** Per-element magnitude of the terms behind each output (errors are divided by it); none: absolute. */
  mag: Float32Array | null;
  /** Largest (normalised) error that passes. */
  tol: number;
  /** Our implementations; the first is the table's "ours". */
  ours: Side[];
  /** Build an ORT peer's side (throws with ORT's message when the peer cannot run the op). */
  peer(p: OrtPeer): Promise<Side>;
  notes: string[];
}

export interface BenchCase {
  id: string;
  group: CaseGroup;
  model: string;
  /** Short name of what runs: 'q/o', 'gate/up', 'lm_head', 'softmax', 'GQA'... */
  what: string;
  /** e.g. 'M=1 N=1536 K=576 q4_0' */
  shape: string;
  /** Multiply-adds (matmuls) or elements (others): for GFLOP/s and bandwidth context. */
  work: { macs?: number; weightBytes?: number };
  /** Cases left out of the default run (too slow on a software adapter). */
  heavy?: boolean;
  prepare(rt: GpuRuntime): Promise<Prepared>;
}

const f32Input = (name: string, dims: number[], data: Float32Array): OrtInput => ({ name, dataType: 'float32', dims, data });

/** An ORT peer from a model built on first use (then shared by both peers). */
function ortPeer(build: () => Uint8Array, inputs: OrtInput[], outputs: OrtOutput[]): (p: OrtPeer) => Promise<Side> {
  let model: Uint8Array | null = null;
  return async (p) => ortSide(p.name, await OrtCase.create(p, (model ??= build()), inputs, outputs), outputs[0].name);
}

const QUANT_BYTES: Record<BenchQuant, number> = { q4_0: 18 / 32, q4_k: 144 / 256, q8_0: 34 / 32 };

function quantCase(m: ModelShape, what: string, M: number, N: number, K: number, type: BenchQuant, seed: number, heavy = false): BenchCase {
  const group: CaseGroup = M === 1 ? 'decode' : 'prefill';
  return {
    id: `${group} ${type} ${m.name} ${what}`,
    group,
    model: m.name,
    what,
    shape: `M=${M} N=${N} K=${K} ${type}`,
    work: { macs: M * N * K, weightBytes: N * K * QUANT_BYTES[type] },
    heavy,
    async prepare(rt) {
      const w = benchWeight(type, N, K, seed);
      const a = randn(M * K, seed + 1);
      const ref = matmulRef(a, w.deq, M, N, K);
      const mag = matmulAbsRef(a, w.deq, M, N, K);
      const qw = await uploadQWeight(rt, repack(type, w.ggml, N, K, { maxBindingBytes: bindingLimit(rt) }), 'bench.w');
      const x = await rt.upload(a, 'activations', 'bench.a');
      const y = await rt.storage(M * N * 4, 'activations', 'bench.y');
      const releaseW = () => qw.buffers.forEach((b) => rt.pool.release(b));
      const ours: Side[] = [];
      if (M === 1) {
        const k = await qmatvec(rt, { type });
        ours.push(oursSide(rt, 'ours', k.label, (rec) => k.encode(rec, { x: x.buffer, parts: qw.parts, y: y.buffer, N, K }), y.buffer, N * 4, [x, y], releaseW));
      } else {
        const k = await qmatmul(rt, { type });
        const tiled = oursSide(rt, 'ours', k.label, (rec) => k.encode(rec, { a: x.buffer, parts: qw.parts, out: y.buffer, M, N, K }), y.buffer, M * N * 4, [x, y], releaseW);
        // The batched matvec as the model compiles it for a chunk of M tokens on this adapter
        // (model.ts linearPlan: on software adapters the 8x8 tile, M tokens per dispatch).
        const soft = rt.report.adapter.isSoftware;
        const lp = linearPlan(soft, resolvePrefillChunk(soft, M, M));
        const b = await qmatvec(rt, { type, batch: true, ...lp.batch });
        const T = lp.batchTokens;
        const batched = oursSide(rt, 'ours', `${b.label} x${Math.ceil(M / T)}`, (rec) => {
          for (let t0 = 0; t0 < M; t0 += T) {
            const t = Math.min(T, M - t0);
            b.encode(rec, { x: { buffer: x.buffer, offset: t0 * K * 4, size: t * K * 4 }, parts: qw.parts, y: { buffer: y.buffer, offset: t0 * N * 4, size: t * N * 4 }, N, K, T: t });
          }
        }, y.buffer, M * N * 4, []);
        // "ours" is the kernel our model picks for a 64-token prefill on this adapter (model.ts lin():
        // the batch kernel up to lp.batchTokens, the tiled matmul beyond); the other one is "ours alt".
        const [pick, alt] = M <= T ? [batched, tiled] : [tiled, batched];
        alt.key = 'ours alt';
        ours.push(pick, alt);
      }
      const notes: string[] = [];
      if (type === 'q4_k') notes.push("Q4_K's per-sub-block mins need MatMulNBits' float (unpacked) zero points");
      if (w.nbits.inexactBlocks) notes.push(`${w.nbits.inexactBlocks} Q4_K sub-blocks have scale 0: MatMulNBits cannot express them exactly`);
      return {
        ref, mag, tol: 1e-4, ours, notes,
        peer: ortPeer(() => matMulNBitsModel(M, N, K, w.nbits), [f32Input('A', [M, K], a)], [{ name: 'Y', dims: [M, N] }]),
      };
    },
  };
}

function f32Case(m: ModelShape, what: string, M: number, N: number, K: number, seed: number): BenchCase {
  return {
    id: `f32 ${M === 1 ? 'decode' : 'prefill'} ${m.name} ${what}`,
    group: 'f32',
    model: m.name,
    what,
    shape: `M=${M} N=${N} K=${K} f32`,
    work: { macs: M * N * K, weightBytes: N * K * 4 },
    async prepare(rt) {
      const wv = randn(N * K, seed, { scale: 0.5 });
      const a = randn(M * K, seed + 1);
      const w = await rt.upload(wv, 'weights', 'bench.w');
      const x = await rt.upload(a, 'activations', 'bench.a');
      const y = await rt.storage(M * N * 4, 'activations', 'bench.y');
      let side: Side;
      if (M === 1) {
        const k = await matvec(rt, { weights: 'f32' });
        side = oursSide(rt, 'ours', k.label, (rec) => k.encode(rec, { x: x.buffer, w: w.buffer, y: y.buffer, N, K }), y.buffer, N * 4, [w, x, y]);
      } else {
        const k = await matmul(rt, { weights: 'f32' });
        side = oursSide(rt, 'ours', k.label, (rec) => k.encode(rec, { a: x.buffer, w: w.buffer, out: y.buffer, M, N, K }), y.buffer, M * N * 4, [w, x, y]);
      }
      const wt = () => {
        const t = new Float32Array(K * N);
        for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[k * N + n] = wv[n * K + k];
        return t;
      };
      return {
        ref: matmulRef(a, wv, M, N, K), mag: matmulAbsRef(a, wv, M, N, K), tol: 1e-4, ours: [side], notes: [],
        peer: ortPeer(() => matMulModel(M, N, K, wt()), [f32Input('A', [M, K], a)], [{ name: 'Y', dims: [M, N] }]),
      };
    },
  };
}

function softmaxCase(what: string, model: string, rows: number, cols: number, seed: number): BenchCase {
  return {
    id: `softmax ${model} ${what}`,
    group: 'softmax',
    model,
    what,
    shape: `${rows}x${cols}`,
    work: {},
    async prepare(rt) {
      const xv = randn(rows * cols, seed, { scale: 3 });
      const x = await rt.upload(xv, 'activations', 'bench.x');
      const y = await rt.storage(rows * cols * 4, 'activations', 'bench.y');
      const k = await softmax(rt);
      return {
        ref: softmaxRef(xv, rows, cols), mag: null, tol: 1e-5, notes: [],
        ours: [oursSide(rt, 'ours', k.label, (rec) => k.encode(rec, { x: x.buffer, out: y.buffer, rows, cols }), y.buffer, rows * cols * 4, [x, y])],
        peer: ortPeer(() => softmaxModel(rows, cols), [f32Input('X', [rows, cols], xv)], [{ name: 'Y', dims: [rows, cols] }]),
      };
    },
  };
}

function attentionCase(m: ModelShape, kvLen: number, seed: number): BenchCase {
  const { heads: nHeads, kvHeads: nKvHeads, headDim: hd } = m;
  return {
    id: `attention ${m.name} decode kv=${kvLen}`,
    group: 'attention',
    model: m.name,
    what: `decode attention`,
    shape: `heads=${nHeads}/${nKvHeads} hd=${hd} kv=${kvLen}`,
    work: { weightBytes: 2 * kvLen * nKvHeads * hd * 4 },
    async prepare(rt) {
      const qv = randn(nHeads * hd, seed);
      const kv = randn(kvLen * nKvHeads * hd, seed + 1); // [kvLen, nKvHeads, hd]: our cache layout
      const vv = randn(kvLen * nKvHeads * hd, seed + 2);
      const shape = { T: 1, nHeads, nKvHeads, headDim: hd, pos0: kvLen - 1 };
      const k = await attentionDecode(rt, { headDim: hd });
      const q = await rt.upload(qv, 'activations', 'bench.q');
      const kc = await rt.upload(kv, 'kv-cache', 'bench.k');
      const vc = await rt.upload(vv, 'kv-cache', 'bench.v');
      const out = await rt.storage(nHeads * hd * 4, 'activations', 'bench.out');
      const partials = await rt.storage(k.scratchBytes(nHeads, kvLen), 'activations', 'bench.partials');
      const ours = oursSide(
        rt, 'ours', k.label,
        (rec) => k.encode(rec, { q: q.buffer, kCache: kc.buffer, vCache: vc.buffer, out: out.buffer, partials: partials.buffer, nHeads, nKvHeads, nCtx: kvLen, kvLen }),
        out.buffer, nHeads * hd * 4, [q, kc, vc, out, partials],
      );
      // ORT: past = positions 0..kvLen-2 in BNSH, the new token's K/V as key/value.
      const bnsh = (src: Float32Array) => {
        const past = kvLen - 1;
        const t = new Float32Array(nKvHeads * past * hd);
        for (let p = 0; p < past; p++) for (let h = 0; h < nKvHeads; h++) t.set(src.subarray((p * nKvHeads + h) * hd, (p * nKvHeads + h + 1) * hd), (h * past + p) * hd);
        return t;
      };
      const last = (src: Float32Array) => src.slice((kvLen - 1) * nKvHeads * hd);
      const row = nKvHeads * hd;
      const inputs: OrtInput[] = [
        f32Input('query', [1, 1, nHeads * hd], qv),
        f32Input('key', [1, 1, row], last(kv)),
        f32Input('value', [1, 1, row], last(vv)),
        f32Input('past_key', [1, nKvHeads, kvLen - 1, hd], bnsh(kv)),
        f32Input('past_value', [1, nKvHeads, kvLen - 1, hd], bnsh(vv)),
        { name: 'seqlens_k', dataType: 'int32', dims: [1], data: Int32Array.of(kvLen - 1), location: 'cpu' },
        { name: 'total_sequence_length', dataType: 'int32', dims: [], data: Int32Array.of(kvLen), location: 'cpu' },
      ];
      return {
        ref: attentionRef(qv, kv, vv, shape), mag: attentionRef(qv, kv, vv, shape, true), tol: 1e-3, ours: [ours], notes: [],
        // Only `output` is fetched: ORT still computes present_key/value (the op's required outputs,
        // a copy of the cache plus the new row) into buffers it allocates; that copy is part of its cost.
        peer: ortPeer(() => gqaDecodeModel({ nHeads, nKvHeads, headDim: hd, kvLen }), inputs, [
          { name: 'output', dims: [1, 1, nHeads * hd] },
        ]),
      };
    },
  };
}

/** Every case, in table order. */
export function allCases(): BenchCase[] {
  const [smol, qwen, llama] = MODELS;
  const out: BenchCase[] = [];
  let seed = 100;
  const projections = (m: ModelShape) => [
    { what: 'q/o', N: m.hidden, K: m.hidden },
    { what: 'gate/up', N: m.inter, K: m.hidden },
    { what: 'down', N: m.hidden, K: m.inter },
    { what: 'lm_head', N: m.vocab, K: m.hidden },
  ];
  for (const type of ['q4_0', 'q8_0', 'q4_k'] as const) {
    for (const m of MODELS) {
      for (const p of projections(m)) {
        // Q4_K needs K in whole 256-value super-blocks (GGUF files use another type where it is not).
        if (type === 'q4_k' && p.K % 256 !== 0) continue;
        out.push(quantCase(m, p.what, 1, p.N, p.K, type, (seed += 10), p.what === 'lm_head' && m !== smol));
      }
    }
  }
  for (const type of ['q4_0', 'q8_0', 'q4_k'] as const) {
    const pre = [
      { m: smol, what: 'q/o', N: smol.hidden, K: smol.hidden },
      { m: smol, what: 'gate/up', N: smol.inter, K: smol.hidden },
      { m: smol, what: 'down', N: smol.hidden, K: smol.inter },
      { m: qwen, what: 'q/o', N: qwen.hidden, K: qwen.hidden },
      { m: llama, what: 'q/o', N: llama.hidden, K: llama.hidden },
    ];
    for (const p of pre) {
      if (type === 'q4_k' && p.K % 256 !== 0) continue;
      out.push(quantCase(p.m, p.what, 64, p.N, p.K, type, (seed += 10), p.m === llama));
    }
  }
  out.push(f32Case(smol, 'gate/up', 1, smol.inter, smol.hidden, (seed += 10)));
  out.push(f32Case(llama, 'q/o', 1, llama.hidden, llama.hidden, (seed += 10)));
  out.push(f32Case(smol, 'q/o', 64, smol.hidden, smol.hidden, (seed += 10)));
  out.push(f32Case(qwen, 'q/o', 64, qwen.hidden, qwen.hidden, (seed += 10)));
  out.push(softmaxCase('vocab row', qwen.name, 1, qwen.vocab, (seed += 10)));
  out.push(softmaxCase('decode scores (32 heads, 1024 keys)', llama.name, 32, 1024, (seed += 10)));
  out.push(softmaxCase('prefill scores (9 heads x 64 rows, 64 keys)', smol.name, 576, 64, (seed += 10)));
  for (const m of MODELS) out.push(attentionCase(m, 1024, (seed += 10)));
  out.push({ ...attentionCase(llama, 4096, seed + 10), heavy: true });
  return out;
}
