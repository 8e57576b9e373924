// One object per device that kernels and models receive: the device and what it can do, the
// buffer pool, the pipeline cache, and recorders that turn ops into one submit.
import { BindGroupCache } from './bind-groups';
import { BufferPool, type BufferCategory, type PooledBuffer, type PoolOptions } from './buffer-pool';
import type { Caps, DeviceReport, GpuContext } from './device';
import { PipelineCache } from './pipelines';
import { TimestampProfiler } from './profiler';
import { Recorder } from './recorder';
import { UniformArena } from './uniforms';

export interface RuntimeOptions extends PoolOptions {
  /** Time each dispatch with timestamp queries when the device supports them. */
  profiling?: boolean;
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly caps: Caps;
  readonly report: DeviceReport;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly bindGroups: BindGroupCache;
  readonly arena: UniformArena;
  readonly profiler: TimestampProfiler | null;

  constructor(ctx: GpuContext, opts: RuntimeOptions = {}) {
    this.device = ctx.device;
    this.caps = ctx.caps;
    this.report = ctx.report;
    this.pool = new BufferPool(ctx.device, opts);
    this.pipelines = new PipelineCache(ctx.device);
    this.bindGroups = new BindGroupCache(ctx.device);
    this.arena = new UniformArena(this.pool, ctx.device.limits.minUniformBufferOffsetAlignment);
    this.profiler = opts.profiling !== false && ctx.caps.timestamps ? new TimestampProfiler(ctx.device) : null;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Start recording one submit. With `profile`, each dispatch is timed (timestamps or CPU fallback). */
  recorder(opts: { profile?: boolean; label?: string } = {}): Recorder {
    const { device, pool, arena, bindGroups, profiler } = this;
    return new Recorder({ device, pool, arena, bindGroups, profiler }, opts.profile ?? false, opts.label);
  }

  /** Allocate a storage buffer and fill it from the host. */
  async upload(data: ArrayBufferView, category: BufferCategory, label: string, extraUsage = 0): Promise<PooledBuffer> {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage;
    const b = await this.pool.alloc(Math.max(4, data.byteLength), usage, category, label);
    writePadded(this.device.queue, b.buffer, 0, data);
    return b;
  }

  /** Allocate an uninitialised storage buffer (contents are whatever the pool had). */
  storage(bytes: number, category: BufferCategory, label: string): Promise<PooledBuffer> {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    return this.pool.alloc(Math.max(4, bytes), usage, category, label);
  }

  /** Read a buffer back to the host (one submit). For tests and the self-test, not the hot path. */
  async download(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    const rec = this.recorder({ label: 'download' });
    const p = rec.read(buffer, offset, bytes);
    await rec.submit();
    return p;
  }

  destroy(): void {
    this.arena.release();
    this.profiler?.destroy();
    this.bindGroups.clear();
    this.pool.destroyAll();
    this.device.destroy();
  }
}

/** queue.writeBuffer needs a multiple of 4 bytes; pad odd-sized host data with zeros. */
export function writePadded(queue: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 === 0) {
    queue.writeBuffer(buffer, offset, bytes);
    return;
  }
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  queue.writeBuffer(buffer, offset, padded);
}
