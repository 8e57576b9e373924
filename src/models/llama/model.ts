// The llama forward pass on the GPU: every op of a step recorded into one command encoder, one
// submit per step. Prefill steps (T > 1 tokens) use the causal prefill attention and, for linear
// layers, a batched matvec: on software adapters the 8-row x 8-token tile for the whole chunk; on
// GPUs the plain batch up to QMATVEC_TMAX tokens and the tiled quantized matmul beyond (linearPlan).
// Decode steps (T = 1) use the matvec and split-KV decode attention. Only the
// last token's logits are computed (the LM head is the largest matrix). Activation buffers are
// sized once for the prefill chunk, the KV cache once for the context.
//
//   x    [T, dim]      residual stream          h   [T, dim]     normed input / projection out
//   q    [T, H*hd]     k, v [T, Hkv*hd]          att [T, H*hd]
//   g, u [T, ffn]      last [dim], lastN [dim]   logits [vocab]
import type { KernelPlan } from '../../perf/autotune';
import { attentionDecode, attentionPrefill, decodeScratchBytes, type AttentionDecodeKernel, type AttentionPrefillKernel } from '../../kernels/attention';
import { elementwise, type ElementwiseKernel } from '../../kernels/elementwise';
import { allocKvCache, kvWriter, type KvCache, type KvDtype, type KvWriter } from '../../kernels/kv-cache';
import { embedding, type EmbeddingKernel } from '../../kernels/quant/embedding';
import { qmatmul, type QmatmulKernel } from '../../kernels/quant/qmatmul';
import { qmatvec, QMATVEC_TMAX, type QmatvecKernel, type QmatvecOptions } from '../../kernels/quant/qmatvec';
import type { QWeight } from '../../kernels/quant/qweights';
import type { QuantType } from '../../kernels/quant/format';
import { rmsnorm, type RmsNormKernel } from '../../kernels/rmsnorm';
import { rope, ropeTable, type RopeKernel } from '../../kernels/rope';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { Recorder } from '../../runtime/recorder';
import type { GpuRuntime } from '../../runtime/runtime';
import { EngineError } from '../../util/errors';
import type { LlamaConfig } from './config';
import type { LlamaWeights } from './weights';

export interface LlamaModelOptions {
  /** Decode matvec variant per weight type (src/perf/autotune.ts); default: the device guess. */
  plan?: KernelPlan;
  /** Positions the KV cache holds (default: min(model context, 2048)). */
  contextLength?: number;
  /** Most tokens per prefill step. Default (resolvePrefillChunk): 64. */
  prefillChunk?: number;
  /**
   * Element type of the KV cache (default 'f32'). 'f16' stores halves packed two per u32 (any
   * adapter, no shader-f16 needed): half the cache memory and half the bytes decode attention reads
   * per token; needs an even head size.
   */
  kvType?: KvDtype;
  /**
   * Prefill matmul dequantizes weight tiles into f16 workgroup memory where the device has
   * shader-f16 (half the shared memory and bandwidth; quantized weights lose nothing they had).
   * Default: on for quantized weights where shader-f16 exists; false forces the f32 tile.
   */
  prefillTileF16?: boolean;
  /** Report pipeline compilation progress. */
  onCompile?: (done: number, total: number) => void;
}

interface Linear {
  /** T = 1 (decode). */
  vec: QmatvecKernel;
  /** 2 <= T <= LinearPlan.batchTokens: short prompts and chat turns (every prefill on software). */
  batch: QmatvecKernel;
  /** Longer prefill chunks (null where the batch kernel takes the whole chunk). */
  mat: QmatmulKernel | null;
}

/**
 * How prefill runs its linear layers. Software adapters: the batch kernel in its 8-row x 8-token
 * tile (qmatvec.wgsl TILE), compiled for the whole chunk; it beats both the plain batch and the
 * tiled matmul at every T >= 2 (SwiftShader, Node, GPU timestamps, 64 tokens: 3-4x the plain batch
 * at TMAX = 8). GPUs: the plain batch up to QMATVEC_TMAX tokens, qmatmul beyond.
 */
export interface LinearPlan {
  /** Batch kernel options; they override the decode plan's variant (the tile is a rows kernel). */
  batch: Pick<QmatvecOptions, 'variant' | 'tile' | 'tokens'>;
  /** Most tokens the batch kernel takes; longer steps use the matmul. */
  batchTokens: number;
  /** Whether the matmul is needed (a chunk longer than batchTokens). */
  mat: boolean;
}

export function linearPlan(isSoftware: boolean, chunk: number): LinearPlan {
  if (isSoftware) return { batch: { variant: 'rows', tile: true, tokens: chunk }, batchTokens: chunk, mat: false };
  return { batch: { tokens: QMATVEC_TMAX }, batchTokens: QMATVEC_TMAX, mat: chunk > QMATVEC_TMAX };
}

interface Kernels {
  embd: EmbeddingKernel;
  norm: RmsNormKernel;
  rope: RopeKernel;
  kvWrite: KvWriter;
  prefill: AttentionPrefillKernel;
  decode: AttentionDecodeKernel;
  add: ElementwiseKernel;
  siluMul: ElementwiseKernel;
  linear: Map<string, Linear>;
}

const linKey = (type: QuantType, bias: boolean) => `${type}${bias ? '+bias' : ''}`;

/** Positions the KV cache holds: what was asked for (default 2048), at most the trained context. */
export function resolveContext(cfg: LlamaConfig, requested?: number): number {
  return Math.min(requested ?? Math.min(cfg.contextLength, 2048), cfg.contextLength);
}

/** Default tokens per prefill step, by adapter kind. */
export const PREFILL_CHUNK = { software: 64, gpu: 64 } as const;

/**
 * Tokens per prefill step: what was asked for, else PREFILL_CHUNK for the adapter; at most nCtx.
 * Software adapters used 8 (the plain batch's TMAX); the tile kernel (linearPlan) takes a whole
 * 64-token chunk per dispatch and prefills faster at 64 (npm run bench -- llm).
 */
export function resolvePrefillChunk(isSoftware: boolean, nCtx: number, requested?: number): number {
  return Math.max(1, Math.min(requested ?? PREFILL_CHUNK[isSoftware ? 'software' : 'gpu'], nCtx));
}

/** Every activation buffer a model allocates (bytes, by name) for a prefill chunk and context. */
export function activationSizes(cfg: LlamaConfig, chunk: number, nCtx: number): Record<string, number> {
  const T = chunk;
  const f = 4;
  return {
    ids: T * 4,
    x: T * cfg.dim * f,
    h: T * cfg.dim * f,
    q: T * cfg.heads * cfg.headDim * f,
    k: T * cfg.kvHeads * cfg.headDim * f,
    v: T * cfg.kvHeads * cfg.headDim * f,
    att: T * cfg.heads * cfg.headDim * f,
    g: T * cfg.ffn * f,
    u: T * cfg.ffn * f,
    last: cfg.dim * f,
    lastN: cfg.dim * f,
    logits: cfg.vocab * f,
    partials: decodeScratchBytes(cfg.heads, nCtx, cfg.headDim),
  };
}

export class LlamaModel {
  readonly nCtx: number;
  readonly chunk: number;
  private readonly act: Record<string, PooledBuffer> = {};

  private constructor(
    private readonly rt: GpuRuntime,
    readonly cfg: LlamaConfig,
    readonly weights: LlamaWeights,
    private readonly k: Kernels,
    readonly kv: KvCache,
    private readonly ropeTab: PooledBuffer,
    nCtx: number,
    chunk: number,
    private readonly batchTokens: number,
  ) {
    this.nCtx = nCtx;
    this.chunk = chunk;
  }

  /** Compile every pipeline the model needs and allocate the KV cache and activations. */
  static async create(rt: GpuRuntime, cfg: LlamaConfig, w: LlamaWeights, opts: LlamaModelOptions = {}): Promise<LlamaModel> {
    const nCtx = resolveContext(cfg, opts.contextLength);
    const kvType = opts.kvType ?? 'f32';
    if (kvType === 'f16' && cfg.headDim % 2 !== 0) {
      throw new EngineError('Unsupported', `An f16 KV cache packs two values per word, so it needs an even head size; this model's is ${cfg.headDim}.`, {
        hint: 'Load the model with the f32 KV cache.',
      });
    }
    const chunk = resolvePrefillChunk(rt.report.adapter.isSoftware, nCtx, opts.prefillChunk);
    const lp = linearPlan(rt.report.adapter.isSoftware, chunk);
    const mats: { w: QWeight; bias: boolean }[] = [{ w: w.head, bias: false }];
    for (const l of w.layers) {
      mats.push({ w: l.q, bias: cfg.qkvBias }, { w: l.k, bias: cfg.qkvBias }, { w: l.v, bias: cfg.qkvBias });
      mats.push({ w: l.o, bias: false }, { w: l.gate, bias: false }, { w: l.up, bias: false }, { w: l.down, bias: false });
    }
    const wanted = new Map(mats.map((m) => [linKey(m.w.type, m.bias), m]));
    const jobs: Promise<unknown>[] = [];
    let done = 0;
    const total = 9 + (lp.mat ? 3 : 2) * wanted.size;
    const track = <T>(p: Promise<T>): Promise<T> => {
      jobs.push(p);
      return p.then((v) => {
        opts.onCompile?.(++done, total);
        return v;
      });
    };
    const linear = new Map<string, Linear>();
    const linJobs = [...wanted.entries()].map(async ([key, m]) => {
      const [vec, batch, mat] = await Promise.all([
        track(qmatvec(rt, { type: m.w.type, bias: m.bias, ...opts.plan?.qmatvec[m.w.type] })),
        track(qmatvec(rt, { type: m.w.type, bias: m.bias, batch: true, ...opts.plan?.qmatvec[m.w.type], ...lp.batch })),
        lp.mat ? track(qmatmul(rt, { type: m.w.type, bias: m.bias, tileF16: opts.prefillTileF16 })) : null,
      ]);
      linear.set(key, { vec, batch, mat });
    });
    const [embd, norm, ropeK, kvWrite, prefill, decode, add, siluMul] = await Promise.all([
      track(embedding(rt, { type: w.embd.type })),
      track(rmsnorm(rt, {})),
      track(rope(rt, cfg.rope.ordering)),
      track(kvWriter(rt, kvType)),
      track(attentionPrefill(rt, { headDim: cfg.headDim, kvType })),
      track(attentionDecode(rt, { headDim: cfg.headDim, kvType })),
      track(elementwise(rt, 'add', { inPlace: true })),
      track(elementwise(rt, 'silu_mul', { inPlace: true })),
      ...linJobs,
    ]);
    opts.onCompile?.(total, total);
    const kv = await allocKvCache(rt, { nCtx, nKvHeads: cfg.kvHeads, headDim: cfg.headDim, nLayers: cfg.layers, dtype: kvType });
    const table = ropeTable({
      base: cfg.rope.base,
      rotDim: cfg.rope.dims,
      freqScale: cfg.rope.freqScale,
      freqFactors: w.ropeFactors,
    });
    const ropeTab = await rt.upload(table, 'weights', 'rope-table');
    const m = new LlamaModel(rt, cfg, w, { embd, norm, rope: ropeK, kvWrite, prefill, decode, add, siluMul, linear }, kv, ropeTab, nCtx, chunk, lp.batchTokens);
    await m.allocActivations();
    return m;
  }

  private async allocActivations(): Promise<void> {
    const { cfg, rt } = this;
    const sizes = activationSizes(cfg, this.chunk, this.nCtx);
    for (const [name, bytes] of Object.entries(sizes)) this.act[name] = await rt.storage(bytes, 'activations', `llama.${name}`);
  }

  /** Bytes of activations (the gauge's third category). */
  get activationBytes(): number {
    return Object.values(this.act).reduce((s, b) => s + b.capacity, 0);
  }

  /** The buffer holding the last step's logits ([vocab] f32). */
  get logitsBuffer(): GPUBuffer {
    return this.act.logits.buffer;
  }

  private lin(rec: Recorder, w: QWeight, x: GPUBuffer, y: GPUBuffer, T: number, bias?: GPUBuffer): void {
    const l = this.k.linear.get(linKey(w.type, bias !== undefined));
    if (!l) throw new EngineError('Internal', `llama: no linear kernel compiled for ${linKey(w.type, bias !== undefined)}`);
    if (T === 1) l.vec.encode(rec, { x, parts: w.parts, y, N: w.rows, K: w.K, bias });
    else if (T <= this.batchTokens || !l.mat) l.batch.encode(rec, { x, parts: w.parts, y, N: w.rows, K: w.K, T, bias });
    else l.mat.encode(rec, { a: x, parts: w.parts, out: y, M: T, N: w.rows, K: w.K, bias });
  }

  /**
   * Record one step: tokens at positions pos0 .. pos0 + T - 1 go through every layer (their K/V land
   * in the cache) and the last token's logits land in `logitsBuffer`. T must be <= the prefill chunk.
   */
  record(rec: Recorder, tokens: ArrayLike<number>, pos0: number): void {
    const { cfg, act: a, k } = this;
    const T = tokens.length;
    if (T < 1 || T > this.chunk) throw new EngineError('Internal', `llama: a step takes 1..${this.chunk} tokens (got ${T})`);
    if (pos0 + T > this.nCtx) {
      throw new EngineError('Unsupported', `The context is full: ${pos0 + T} tokens do not fit in ${this.nCtx}.`, {
        hint: 'Start a new chat, shorten the prompt, or load the model with a longer context.',
      });
    }
    const ids = new Uint32Array(T);
    for (let i = 0; i < T; i++) {
      const t = tokens[i];
      if (!Number.isInteger(t) || t < 0 || t >= cfg.vocab) throw new EngineError('Internal', `llama: token id ${t} is outside the vocabulary (${cfg.vocab})`);
      ids[i] = t;
    }
    this.rt.device.queue.writeBuffer(a.ids.buffer, 0, ids);
    const w = this.weights;
    const dim = cfg.dim;
    k.embd.encode(rec, { ids: a.ids.buffer, parts: w.embd.parts, out: a.x.buffer, T, rows: w.embd.rows, K: w.embd.K });
    for (let l = 0; l < cfg.layers; l++) {
      const L = w.layers[l];
      const cache = this.kv.layers[l];
      k.norm.encode(rec, { x: a.x.buffer, w: L.attnNorm, out: a.h.buffer, rows: T, cols: dim, eps: cfg.normEps });
      this.lin(rec, L.q, a.h.buffer, a.q.buffer, T, L.qBias);
      this.lin(rec, L.k, a.h.buffer, a.k.buffer, T, L.kBias);
      this.lin(rec, L.v, a.h.buffer, a.v.buffer, T, L.vBias);
      k.rope.encodeQK(rec, {
        q: a.q.buffer, k: a.k.buffer, table: this.ropeTab.buffer, T, nHeads: cfg.heads, nKvHeads: cfg.kvHeads,
        headDim: cfg.headDim, rotDim: cfg.rope.dims, pos0,
      });
      k.kvWrite.encode(rec, {
        k: a.k.buffer, v: a.v.buffer, kCache: cache.k.buffer, vCache: cache.v.buffer, T, pos0,
        nCtx: this.nCtx, nKvHeads: cfg.kvHeads, headDim: cfg.headDim,
      });
      const shape = { nHeads: cfg.heads, nKvHeads: cfg.kvHeads, nCtx: this.nCtx };
      if (T === 1) {
        k.decode.encode(rec, { ...shape, q: a.q.buffer, kCache: cache.k.buffer, vCache: cache.v.buffer, out: a.att.buffer, partials: a.partials.buffer, kvLen: pos0 + 1 });
      } else {
        k.prefill.encode(rec, { ...shape, q: a.q.buffer, kCache: cache.k.buffer, vCache: cache.v.buffer, out: a.att.buffer, T, pos0 });
      }
      this.lin(rec, L.o, a.att.buffer, a.h.buffer, T);
      k.add.encode(rec, { a: a.x.buffer, b: a.h.buffer, n: T * dim });
      k.norm.encode(rec, { x: a.x.buffer, w: L.ffnNorm, out: a.h.buffer, rows: T, cols: dim, eps: cfg.normEps });
      this.lin(rec, L.gate, a.h.buffer, a.g.buffer, T);
      this.lin(rec, L.up, a.h.buffer, a.u.buffer, T);
      k.siluMul.encode(rec, { a: a.g.buffer, b: a.u.buffer, n: T * cfg.ffn });
      this.lin(rec, L.down, a.g.buffer, a.h.buffer, T);
      k.add.encode(rec, { a: a.x.buffer, b: a.h.buffer, n: T * dim });
    }
    rec.copy(a.x.buffer, (T - 1) * dim * 4, a.last.buffer, 0, dim * 4);
    k.norm.encode(rec, { x: a.last.buffer, w: w.outNorm, out: a.lastN.buffer, rows: 1, cols: dim, eps: cfg.normEps });
    this.lin(rec, w.head, a.lastN.buffer, a.logits.buffer, 1);
  }

  /** Run tokens through the model (in prefill chunks) and return the last token's logits. */
  async logits(tokens: ArrayLike<number>, pos0: number): Promise<Float32Array> {
    let pos = pos0;
    let read: Promise<ArrayBuffer> | null = null;
    for (let i = 0; i < tokens.length; i += this.chunk) {
      const part = Array.from({ length: Math.min(this.chunk, tokens.length - i) }, (_, j) => tokens[i + j]);
      const rec = this.rt.recorder({ label: 'llama.step' });
      this.record(rec, part, pos);
      pos += part.length;
      if (i + this.chunk >= tokens.length) read = rec.read(this.act.logits.buffer, 0, this.cfg.vocab * 4);
      await rec.submit();
    }
    if (!read) throw new EngineError('Internal', 'llama: logits() needs at least one token');
    return new Float32Array(await read);
  }

  release(): void {
    for (const b of Object.values(this.act)) this.rt.pool.release(b);
    this.rt.pool.release(this.ropeTab);
    this.kv.release();
  }
}
