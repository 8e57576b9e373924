// Every GPU buffer the playground makes comes from here, so the memory gauge can tell the truth:
// WebGPU has no API for device memory, so the pool's byte counts ARE the numbers we show.
//
// Contract (four verbs): alloc, release, trim, destroyAll. Released buffers of reusable categories
// wait in free lists keyed by usage and are handed out again for requests of a similar size.
// Allocation runs inside an out-of-memory error scope; on failure the free lists are trimmed and
// the allocation retried once before an OutOfMemory error names what did not fit.
import { fmtBytes } from '../util/format';
import { EngineError } from '../util/errors';

export const CATEGORIES = ['weights', 'kv-cache', 'activations', 'staging', 'uniforms'] as const;
export type BufferCategory = (typeof CATEGORIES)[number];

export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Bytes asked for. */
  readonly size: number;
  /** Bytes actually allocated (>= size). */
  readonly capacity: number;
  readonly category: BufferCategory;
  readonly usage: GPUBufferUsageFlags;
  label: string;
}

export interface PoolOptions {
  /** Debug switch: when false every release destroys at once, so aliasing bugs show. */
  reuse?: boolean;
  /** Categories whose buffers are recycled; weights and the KV cache are sized once and never are. */
  reusable?: readonly BufferCategory[];
}

export interface PoolStats {
  /** Bytes held by live (handed-out) buffers, per category. */
  live: Record<BufferCategory, number>;
  /** Bytes sitting in free lists, ready for reuse. */
  cached: number;
  /** live + cached: what the device holds on our behalf. */
  total: number;
  peak: number;
  buffers: number;
}

const ALIGN = 256;

/** Bytes the pool really allocates for a request of `size` (what the memory gauge counts). */
export function poolCapacity(size: number): number {
  return Math.max(ALIGN, Math.ceil(size / ALIGN) * ALIGN);
}

function emptyCounts(): Record<BufferCategory, number> {
  return { weights: 0, 'kv-cache': 0, activations: 0, staging: 0, uniforms: 0 };
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>(); // usage -> free buffers
  private readonly liveSet = new Set<PooledBuffer>();
  private readonly live = emptyCounts();
  private cachedBytes = 0;
  private peak = 0;
  readonly reuse: boolean;
  private readonly reusable: ReadonlySet<BufferCategory>;

  constructor(
    private readonly device: GPUDevice,
    opts: PoolOptions = {},
  ) {
    this.reuse = opts.reuse ?? true;
    this.reusable = new Set(opts.reusable ?? ['activations', 'staging', 'uniforms']);
  }

  /** Allocate (or reuse) a buffer of at least `size` bytes. */
  async alloc(size: number, usage: GPUBufferUsageFlags, category: BufferCategory, label: string): Promise<PooledBuffer> {
    const maxSize = this.device.limits.maxBufferSize;
    if (!Number.isFinite(size) || size < 0) throw new EngineError('Internal', `buffer-pool: bad size ${size} for "${label}"`);
    if (size > maxSize) {
      throw new EngineError(
        'OutOfMemory',
        `"${label}" needs ${fmtBytes(size)} in one buffer, but this device allows at most ${fmtBytes(maxSize)} per buffer.`,
        { hint: 'Choose a smaller model or a shorter context; large tensors must be split by the loader.' },
      );
    }
    const capacity = poolCapacity(size);
    const recycled = this.reuse && this.reusable.has(category) ? this.take(usage, capacity) : undefined;
    if (recycled) return this.handOut(this.relabel(recycled, size, category, label));
    const buffer = await this.create(capacity, usage, category, label);
    return this.handOut({ buffer, size, capacity, category, usage, label });
  }

  /**
   * Synchronous allocation for small buffers needed while recording (uniform chunks, readback
   * staging). No error scope: an out-of-memory here surfaces as an uncaptured error event.
   */
  allocSync(size: number, usage: GPUBufferUsageFlags, category: BufferCategory, label: string): PooledBuffer {
    const capacity = poolCapacity(size);
    const recycled = this.reuse && this.reusable.has(category) ? this.take(usage, capacity) : undefined;
    if (recycled) return this.handOut(this.relabel(recycled, size, category, label));
    const buffer = this.device.createBuffer({ size: capacity, usage, label: `${category}:${label}` });
    return this.handOut({ buffer, size, capacity, category, usage, label });
  }

  /** Give a buffer back. Reusable categories go to the free list (unless reuse is off). */
  release(b: PooledBuffer): void {
    if (!this.liveSet.delete(b)) throw new EngineError('Internal', `buffer-pool: "${b.label}" released twice or not from this pool`);
    this.live[b.category] -= b.capacity;
    if (this.reuse && this.reusable.has(b.category)) {
      const list = this.free.get(b.usage) ?? [];
      list.push(b);
      this.free.set(b.usage, list);
      this.cachedBytes += b.capacity;
    } else {
      b.buffer.destroy();
    }
  }

  /** Destroy every cached (free) buffer. */
  trim(): number {
    let freed = 0;
    for (const list of this.free.values()) for (const b of list) {
      b.buffer.destroy();
      freed += b.capacity;
    }
    this.free.clear();
    this.cachedBytes = 0;
    return freed;
  }

  /** Destroy everything, live buffers included (model unload, engine restart). */
  destroyAll(): void {
    this.trim();
    for (const b of this.liveSet) b.buffer.destroy();
    this.liveSet.clear();
    Object.assign(this.live, emptyCounts());
  }

  stats(): PoolStats {
    const live = { ...this.live };
    const liveTotal = CATEGORIES.reduce((s, c) => s + live[c], 0);
    return { live, cached: this.cachedBytes, total: liveTotal + this.cachedBytes, peak: this.peak, buffers: this.liveSet.size };
  }

  private take(usage: GPUBufferUsageFlags, capacity: number): PooledBuffer | undefined {
    const list = this.free.get(usage);
    if (!list) return undefined;
    // Best fit within 2x, so a tiny request never pins a huge buffer.
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const c = list[i].capacity;
      if (c >= capacity && c <= capacity * 2 && (best < 0 || c < list[best].capacity)) best = i;
    }
    if (best < 0) return undefined;
    const [b] = list.splice(best, 1);
    this.cachedBytes -= b.capacity;
    return b;
  }

  /** A recycled buffer under its new owner: validation errors name buffers by their GPU label. */
  private relabel(b: PooledBuffer, size: number, category: BufferCategory, label: string): PooledBuffer {
    b.buffer.label = `${category}:${label}`;
    return { ...b, size, category, label };
  }

  private handOut(b: PooledBuffer): PooledBuffer {
    this.liveSet.add(b);
    this.live[b.category] += b.capacity;
    const total = this.stats().total;
    if (total > this.peak) this.peak = total;
    return b;
  }

  private async create(capacity: number, usage: GPUBufferUsageFlags, category: BufferCategory, label: string): Promise<GPUBuffer> {
    for (let attempt = 0; ; attempt++) {
      this.device.pushErrorScope('out-of-memory');
      const buffer = this.device.createBuffer({ size: capacity, usage, label: `${category}:${label}` });
      const err = await this.device.popErrorScope();
      if (!err) return buffer;
      buffer.destroy();
      if (attempt === 0 && this.trim() > 0) continue;
      const s = this.stats();
      throw new EngineError('OutOfMemory', `The GPU ran out of memory allocating ${fmtBytes(capacity)} for "${label}".`, {
        hint: `The playground already holds ${fmtBytes(s.total)} on this device. Unload a model, use a smaller quantization or a shorter context.`,
        detail: err.message,
      });
    }
  }
}

