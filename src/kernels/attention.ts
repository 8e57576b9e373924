// Causal multi-head attention with GQA over the KV cache: a prefill kernel (T new query rows)
// and a split-KV decode kernel (one query row, partials then a combine, both in the caller's
// recorder). Shaders: shaders/attention-prefill.wgsl, shaders/attention-decode.wgsl, sharing
// shaders/attention-core.wgsl. Cache layout: [nCtx, nKvHeads, headDim] f32, or with kvType 'f16'
// the same elements as halves packed two per u32 (see kv-cache.ts); q, out and the math stay f32.
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';
import { guardKvDtype, kvElementBytes, type KvDtype } from './kv-cache';

export interface AttentionOptions {
  headDim: number;
  /** Use subgroup reductions (default: when the device has subgroups). */
  subgroups?: boolean;
  /** Invocations per workgroup and keys per tile (power of two, default 64). */
  workgroupSize?: number;
  /** Element type of the KV cache the kernel reads (default 'f32'); 'f16' needs an even headDim. */
  kvType?: KvDtype;
}

export interface AttentionShape {
  nHeads: number;
  nKvHeads: number;
  /** Rows the cache buffers hold (positions). */
  nCtx: number;
  /** Score scale; default 1/sqrt(headDim). */
  scale?: number;
}

export interface PrefillArgs extends AttentionShape {
  /** [T, nHeads, headDim] f32, rotated. */
  q: Binding;
  kCache: Binding;
  vCache: Binding;
  /** [T, nHeads, headDim] f32. */
  out: Binding;
  T: number;
  /** Position of query row 0; the cache must hold positions 0 .. pos0 + T - 1. */
  pos0: number;
}

export interface DecodeArgs extends AttentionShape {
  /** [nHeads, headDim] f32: the one new token's query, rotated. */
  q: Binding;
  kCache: Binding;
  vCache: Binding;
  /** [nHeads, headDim] f32. */
  out: Binding;
  /** Scratch of at least scratchBytes(nHeads, kvLen) bytes. */
  partials: Binding;
  /** Keys to attend to: positions 0 .. kvLen - 1 (the new token's position + 1). */
  kvLen: number;
}

export interface AttentionPrefillKernel {
  readonly label: string;
  encode(rec: Recorder, args: PrefillArgs): void;
}

export interface AttentionDecodeKernel {
  readonly label: string;
  /** Keys per partial (workgroup). */
  readonly chunk: number;
  /** Bytes of `partials` a call with this many keys needs (size it for nCtx once). */
  scratchBytes(nHeads: number, kvLen: number): number;
  encode(rec: Recorder, args: DecodeArgs): void;
}

/** Keys per partial of the split-KV decode (its default). */
export const DECODE_CHUNK = 256;

/** Bytes of decode `partials` for this many keys: per head and chunk, HEAD_DIM sums plus (max, mass). */
export function decodeScratchBytes(nHeads: number, kvLen: number, headDim: number, chunk = DECODE_CHUNK): number {
  return nHeads * Math.ceil(kvLen / chunk) * (headDim + 2) * 4;
}

function variant(rt: GpuRuntime, op: string, opts: AttentionOptions) {
  const wg = opts.workgroupSize ?? 64;
  guard(Number.isInteger(Math.log2(wg)) && wg <= rt.limits.maxComputeInvocationsPerWorkgroup, op, `workgroupSize must be a power of two <= ${rt.limits.maxComputeInvocationsPerWorkgroup} (got ${wg})`);
  guard(Number.isInteger(opts.headDim) && opts.headDim > 0 && opts.headDim <= 256, op, `headDim must be an integer in [1, 256] (got ${opts.headDim})`);
  const kvType = opts.kvType ?? 'f32';
  guardKvDtype(op, kvType, opts.headDim);
  const subgroups = (opts.subgroups ?? rt.caps.subgroups) && rt.caps.subgroups;
  const base = `hd${opts.headDim}-wg${wg}${subgroups ? '-sg' : ''}`;
  const common = { WG_SIZE: wg, HEAD_DIM: opts.headDim, SUBGROUPS: subgroups };
  return {
    wg,
    subgroups,
    suffix: `${base}${kvType === 'f16' ? '-kvf16' : ''}`,
    kvBytes: kvElementBytes(kvType),
    defines: { ...common, KV_F16: kvType === 'f16' },
    // For passes that never touch the cache (decode's combine), shared by both cache dtypes.
    noKv: { suffix: base, defines: common },
  };
}

/** Checks the shape and the cache bindings (kvBytes per element); returns the score scale. */
function guardShape(op: string, headDim: number, kvBytes: number, a: AttentionShape, kCache: Binding, vCache: Binding, kvNeeded: number): number {
  guardDim(op, 'nHeads', a.nHeads);
  guardDim(op, 'nKvHeads', a.nKvHeads);
  guardDim(op, 'nCtx', a.nCtx);
  guard(a.nHeads % a.nKvHeads === 0, op, `nHeads must be a multiple of nKvHeads (got ${a.nHeads}, ${a.nKvHeads})`);
  guard(kvNeeded <= a.nCtx, op, `the cache holds ${a.nCtx} positions but ${kvNeeded} are attended`);
  const cacheElems = a.nCtx * a.nKvHeads * headDim;
  guardIndex(op, 'the KV cache', cacheElems);
  guardBytes(op, 'kCache', kCache, kvNeeded * a.nKvHeads * headDim * kvBytes);
  guardBytes(op, 'vCache', vCache, kvNeeded * a.nKvHeads * headDim * kvBytes);
  const scale = a.scale ?? 1 / Math.sqrt(headDim);
  guard(Number.isFinite(scale), op, `scale must be finite (got ${scale})`);
  return scale;
}

export async function attentionPrefill(rt: GpuRuntime, opts: AttentionOptions): Promise<AttentionPrefillKernel> {
  const v = variant(rt, 'attention-prefill', opts);
  const label = `attention-prefill.${v.suffix}`;
  const hd = opts.headDim;
  const pipeline = await rt.pipelines.get({ shader: 'attention-prefill', label, defines: v.defines });
  return {
    label,
    encode(rec, a) {
      guardDim(label, 'T', a.T);
      guard(Number.isInteger(a.pos0) && a.pos0 >= 0, label, `pos0 must be a non-negative integer (got ${a.pos0})`);
      const scale = guardShape(label, hd, v.kvBytes, a, a.kCache, a.vCache, a.pos0 + a.T);
      guardIndex(label, 'q', a.T * a.nHeads * hd);
      guardBytes(label, 'q', a.q, a.T * a.nHeads * hd * 4);
      guardBytes(label, 'out', a.out, a.T * a.nHeads * hd * 4);
      rec.dispatch({
        pipeline,
        label,
        bindings: [a.q, a.kCache, a.vCache, a.out],
        workgroups: foldGroups(a.T * a.nHeads),
        uniforms: packUniforms([a.T, a.nHeads, a.nKvHeads, a.pos0, { f32: scale }]),
      });
    },
  };
}

export async function attentionDecode(rt: GpuRuntime, opts: AttentionOptions & { chunk?: number }): Promise<AttentionDecodeKernel> {
  const v = variant(rt, 'attention-decode', opts);
  const hd = opts.headDim;
  const chunk = opts.chunk ?? DECODE_CHUNK;
  guard(Number.isInteger(chunk) && chunk > 0, 'attention-decode', `chunk must be a positive integer (got ${chunk})`);
  const label = `attention-decode.${v.suffix}-c${chunk}`;
  const combineLabel = `attention-decode.combine-${v.noKv.suffix}`;
  const [partialsPipe, combinePipe] = await Promise.all([
    rt.pipelines.get({ shader: 'attention-decode', label, defines: v.defines }),
    rt.pipelines.get({ shader: 'attention-decode', label: combineLabel, defines: { ...v.noKv.defines, COMBINE: true } }),
  ]);
  const nChunksFor = (kvLen: number) => Math.ceil(kvLen / chunk);
  const scratchBytes = (nHeads: number, kvLen: number) => decodeScratchBytes(nHeads, kvLen, hd, chunk);
  return {
    label,
    chunk,
    scratchBytes,
    encode(rec, a) {
      guardDim(label, 'kvLen', a.kvLen);
      const scale = guardShape(label, hd, v.kvBytes, a, a.kCache, a.vCache, a.kvLen);
      const nChunks = nChunksFor(a.kvLen);
      guard(nChunks <= rt.limits.maxComputeWorkgroupsPerDimension, label, `${nChunks} chunks exceed the dispatch limit; use a larger chunk`);
      guardBytes(label, 'q', a.q, a.nHeads * hd * 4);
      guardBytes(label, 'out', a.out, a.nHeads * hd * 4);
      guardBytes(label, 'partials', a.partials, scratchBytes(a.nHeads, a.kvLen));
      const uniforms = packUniforms([a.nHeads, a.nKvHeads, a.kvLen, chunk, nChunks, { f32: scale }]);
      rec.dispatch({
        pipeline: partialsPipe,
        label,
        bindings: [a.q, a.kCache, a.vCache, a.partials],
        workgroups: [nChunks, a.nHeads],
        uniforms,
      });
      rec.dispatch({ pipeline: combinePipe, label: combineLabel, bindings: [a.partials, a.out], workgroups: [a.nHeads], uniforms });
    },
  };
}
