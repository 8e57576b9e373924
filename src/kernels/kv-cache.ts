// The KV cache: per layer one K and one V buffer of [nCtx, nKvHeads, headDim] f32 (the layout the
// attention kernels read, see shaders/attention-core.wgsl). The T new rows of a step,
// k/v: [T, nKvHeads, headDim], are one contiguous range of the cache at position pos0, so writing
// them is one copyBufferToBuffer each, recorded in the step's encoder (no kernel needed).
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import type { PooledBuffer } from '../runtime/buffer-pool';
import { resource } from '../runtime/bind-groups';
import { bindingSize, guard, guardDim, type Binding } from './common';

export interface KvCacheShape {
  nCtx: number;
  nKvHeads: number;
  headDim: number;
}

/** Bytes of one position (all kv heads) in a K or V cache. */
export function kvRowBytes(s: KvCacheShape): number {
  return s.nKvHeads * s.headDim * 4;
}

export interface KvCache extends KvCacheShape {
  readonly layers: readonly { k: PooledBuffer; v: PooledBuffer }[];
  readonly bytes: number;
  release(): void;
}

/** Allocate the cache for every layer from the pool (category 'kv-cache', counted by the gauge). */
export async function allocKvCache(rt: GpuRuntime, s: KvCacheShape & { nLayers: number }): Promise<KvCache> {
  for (const k of ['nCtx', 'nKvHeads', 'headDim', 'nLayers'] as const) guardDim('kv-cache', k, s[k]);
  const bytes = s.nCtx * kvRowBytes(s);
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
  kCache: Binding;
  vCache: Binding;
  T: number;
  pos0: number;
}

/** Record the copy of the T new k/v rows into the caches at positions pos0 .. pos0 + T - 1. */
export function encodeKvWrite(rec: Recorder, a: KvWriteArgs): void {
  const op = 'kv-write';
  guardDim(op, 'T', a.T);
  guard(Number.isInteger(a.pos0) && a.pos0 >= 0 && a.pos0 + a.T <= a.nCtx, op, `positions ${a.pos0}..${a.pos0 + a.T - 1} do not fit a cache of nCtx=${a.nCtx}`);
  const row = kvRowBytes(a);
  const size = a.T * row;
  for (const [name, src, dst] of [['k', a.k, a.kCache], ['v', a.v, a.vCache]] as const) {
    guard(bindingSize(src) >= size, op, `${name} holds ${bindingSize(src)} bytes but T rows need ${size}`);
    guard(bindingSize(dst) >= a.nCtx * row, op, `${name} cache holds ${bindingSize(dst)} bytes but nCtx rows need ${a.nCtx * row}`);
    const s = resource(src);
    const d = resource(dst);
    rec.copy(s.buffer, s.offset ?? 0, d.buffer, (d.offset ?? 0) + a.pos0 * row, size);
  }
}
