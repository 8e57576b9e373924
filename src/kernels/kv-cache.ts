// The KV cache: per layer one K and one V buffer of [nCtx, nKvHeads, headDim] elements (the layout
// the attention kernels read, see shaders/attention-core.wgsl), in one of two dtypes:
//   'f32': plain floats. The T new rows of a step, k/v: [T, nKvHeads, headDim] f32, are one
//          contiguous range of the cache at position pos0, so writing them is one
//          copyBufferToBuffer each, recorded in the step's encoder (no kernel needed).
//   'f16': halves packed two per u32 (pack2x16float / unpack2x16float, so no `shader-f16` feature
//          is needed and it works on every adapter); half the bytes, which is what decode reads per
//          token once the context is long. headDim must be even so a pair never straddles two
//          heads. Writing rounds the new f32 rows to halves with shaders/kv-cache.wgsl.
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import type { PooledBuffer } from '../runtime/buffer-pool';
import { resource } from '../runtime/bind-groups';
import { bindingSize, foldGroups, guard, guardDim, guardIndex, packUniforms, type Binding } from './common';

export type KvDtype = 'f32' | 'f16';

export interface KvCacheShape {
  nCtx: number;
  nKvHeads: number;
  headDim: number;
}

/** Bytes of one element of a cache of this dtype. */
export function kvElementBytes(dtype: KvDtype): number {
  return dtype === 'f16' ? 2 : 4;
}

/** Bytes of one position (all kv heads) in a K or V cache. */
export function kvRowBytes(s: KvCacheShape, dtype: KvDtype): number {
  return s.nKvHeads * s.headDim * kvElementBytes(dtype);
}

/** Refuse a dtype the layout cannot hold (with headDim: also a head the f16 pairs cannot split). */
export function guardKvDtype(op: string, dtype: KvDtype, headDim?: number): void {
  guard(dtype === 'f32' || dtype === 'f16', op, `KV cache dtype must be 'f32' or 'f16' (got ${String(dtype)})`);
  if (dtype === 'f16' && headDim !== undefined) {
    guard(headDim % 2 === 0, op, `an f16 KV cache packs two halves per u32, so headDim must be even (got ${headDim}); use an f32 cache`);
  }
}

export interface KvCache extends KvCacheShape {
  readonly dtype: KvDtype;
  readonly layers: readonly { k: PooledBuffer; v: PooledBuffer }[];
  readonly bytes: number;
  release(): void;
}

/** Allocate the cache for every layer from the pool (category 'kv-cache', counted by the gauge). */
export async function allocKvCache(rt: GpuRuntime, s: KvCacheShape & { nLayers: number; dtype?: KvDtype }): Promise<KvCache> {
  for (const k of ['nCtx', 'nKvHeads', 'headDim', 'nLayers'] as const) guardDim('kv-cache', k, s[k]);
  const dtype = s.dtype ?? 'f32';
  guardKvDtype('kv-cache', dtype, s.headDim);
  const bytes = s.nCtx * kvRowBytes(s, dtype);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const held: PooledBuffer[] = [];
  const layers: { k: PooledBuffer; v: PooledBuffer }[] = [];
  try {
    for (let l = 0; l < s.nLayers; l++) {
      const k = await rt.pool.alloc(bytes, usage, 'kv-cache', `kv-cache.k${l}`);
      held.push(k);
      const v = await rt.pool.alloc(bytes, usage, 'kv-cache', `kv-cache.v${l}`);
      held.push(v);
      layers.push({ k, v });
    }
  } catch (e) {
    for (const b of held) rt.pool.release(b);
    throw e;
  }
  return {
    nCtx: s.nCtx,
    nKvHeads: s.nKvHeads,
    headDim: s.headDim,
    dtype,
    layers,
    bytes: bytes * 2 * s.nLayers,
    release() {
      for (const b of held.splice(0)) rt.pool.release(b);
      layers.length = 0;
    },
  };
}

export interface KvWriteArgs extends KvCacheShape {
  /** New rows [T, nKvHeads, headDim] f32 (after rope for k). */
  k: Binding;
  v: Binding;
  /** The layer's caches, in the writer's dtype. */
  kCache: Binding;
  vCache: Binding;
  T: number;
  pos0: number;
}

export interface KvWriter {
  readonly label: string;
  readonly dtype: KvDtype;
  /** Record the write of the T new k/v rows into the caches at positions pos0 .. pos0 + T - 1. */
  encode(rec: Recorder, args: KvWriteArgs): void;
}

const WG = 64;

/** The writer for a cache dtype: buffer copies for f32, one packing dispatch (k and v) for f16. */
export async function kvWriter(rt: GpuRuntime, dtype: KvDtype): Promise<KvWriter> {
  const label = `kv-write.${dtype === 'f16' ? 'f16packed' : 'copy'}`;
  guardKvDtype(label, dtype);
  const pipeline = dtype === 'f16' ? await rt.pipelines.get({ shader: 'kv-cache', label }) : null;
  return {
    label,
    dtype,
    encode(rec, a) {
      guardDim(label, 'T', a.T);
      for (const k of ['nCtx', 'nKvHeads', 'headDim'] as const) guardDim(label, k, a[k]);
      guardKvDtype(label, dtype, a.headDim);
      guard(Number.isInteger(a.pos0) && a.pos0 >= 0 && a.pos0 + a.T <= a.nCtx, label, `positions ${a.pos0}..${a.pos0 + a.T - 1} do not fit a cache of nCtx=${a.nCtx}`);
      const srcBytes = a.T * kvRowBytes(a, 'f32');
      const row = kvRowBytes(a, dtype);
      for (const [name, src, dst] of [['k', a.k, a.kCache], ['v', a.v, a.vCache]] as const) {
        guard(bindingSize(src) >= srcBytes, label, `${name} holds ${bindingSize(src)} bytes but T rows need ${srcBytes}`);
        guard(bindingSize(dst) >= a.nCtx * row, label, `${name} cache holds ${bindingSize(dst)} bytes but nCtx rows need ${a.nCtx * row}`);
      }
      if (!pipeline) {
        for (const [src, dst] of [[a.k, a.kCache], [a.v, a.vCache]] as const) {
          const s = resource(src);
          const d = resource(dst);
          rec.copy(s.buffer, s.offset ?? 0, d.buffer, (d.offset ?? 0) + a.pos0 * row, srcBytes);
        }
        return;
      }
      const rowPairs = (a.nKvHeads * a.headDim) / 2;
      guardIndex(label, 'the KV cache', a.nCtx * a.nKvHeads * a.headDim);
      const nPairs = a.T * rowPairs;
      rec.dispatch({
        pipeline,
        label,
        bindings: [a.k, a.v, a.kCache, a.vCache],
        workgroups: foldGroups(Math.ceil(nPairs / WG)),
        uniforms: packUniforms([nPairs, a.pos0 * rowPairs]),
      });
    },
  };
}
