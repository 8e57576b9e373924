// Ops encode into one command encoder; a forward pass (or a test, or a benchmark step) is one
// submit. Reads are recorded as copies into mappable staging buffers and resolve after the submit,
// so the host reads only what it needs (a token id, not the logits).
import type { BufferPool, PooledBuffer } from './buffer-pool';
import type { Binding, BindGroupCache } from './bind-groups';
import type { TimestampProfiler, SubmitTiming, KernelTime } from './profiler';
import type { UniformArena } from './uniforms';

export type Workgroups = readonly [number, number?, number?];

export interface Dispatch {
  pipeline: GPUComputePipeline;
  /** GPU label and profiler key: op name, then variant ("rmsnorm.wg256"). */
  label: string;
  /** Storage bindings in binding order; uniforms (if any) are appended as the last binding. */
  bindings: readonly Binding[];
  workgroups: Workgroups;
  uniforms?: ArrayBufferView;
}

export interface RecorderDeps {
  device: GPUDevice;
  pool: BufferPool;
  arena: UniformArena;
  bindGroups: BindGroupCache;
  profiler: TimestampProfiler | null;
}

export class Recorder {
  private readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private readonly reads: { staging: PooledBuffer; size: number; resolve: (b: ArrayBuffer) => void; reject: (e: unknown) => void }[] = [];
  private submitted = false;
  dispatches = 0;

  constructor(
    private readonly deps: RecorderDeps,
    private readonly profile: boolean,
    label = 'step',
  ) {
    this.encoder = deps.device.createCommandEncoder({ label });
  }

  dispatch(d: Dispatch): void {
    if (this.submitted) throw new Error(`recorder: dispatch "${d.label}" after submit`);
    const bindings = d.uniforms ? [...d.bindings, this.deps.arena.push(d.uniforms)] : d.bindings;
    const bg = this.deps.bindGroups.get(d.pipeline, bindings, d.label);
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return; // an empty shape: nothing to do
    const timed = this.profile && this.deps.profiler ? this.deps.profiler.pass(d.label) : undefined;
    if (timed) {
      this.endPass();
      const p = this.encoder.beginComputePass({ label: d.label, timestampWrites: timed });
      p.setPipeline(d.pipeline);
      p.setBindGroup(0, bg);
      p.dispatchWorkgroups(x, y, z);
      p.end();
    } else {
      this.pass ??= this.encoder.beginComputePass({ label: 'ops' });
      this.pass.setPipeline(d.pipeline);
      this.pass.setBindGroup(0, bg);
      this.pass.dispatchWorkgroups(x, y, z);
    }
    this.dispatches++;
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.endPass();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** Read `size` bytes of `buffer` once this recording has run. */
  read(buffer: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    const padded = Math.ceil(size / 4) * 4;
    const staging = this.deps.pool.allocSync(padded, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging', 'readback');
    this.copy(buffer, offset, staging.buffer, 0, padded);
    return new Promise((resolve, reject) => this.reads.push({ staging, size, resolve, reject }));
  }

  /** Submit everything recorded; resolves when the GPU is done and reads are available. */
  async submit(): Promise<SubmitTiming> {
    if (this.submitted) throw new Error('recorder: submitted twice');
    this.submitted = true;
    this.endPass();
    const readTimes = this.deps.profiler?.finish(this.encoder) ?? null;
    const { device, arena } = this.deps;
    arena.flush(device.queue);
    const t0 = performance.now();
    device.queue.submit([this.encoder.finish()]);
    const reads = this.reads.map(async (r) => {
      try {
        await r.staging.buffer.mapAsync(GPUMapMode.READ, 0, Math.ceil(r.size / 4) * 4);
        const data = r.staging.buffer.getMappedRange(0, Math.ceil(r.size / 4) * 4).slice(0, r.size);
        r.staging.buffer.unmap();
        r.resolve(data);
      } catch (e) {
        r.reject(e);
      } finally {
        this.deps.pool.release(r.staging);
      }
    });
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - t0;
    await Promise.all(reads);
    let kernels: KernelTime[];
    let source: SubmitTiming['source'];
    if (readTimes) {
      kernels = await readTimes();
      source = 'timestamp';
    } else {
      kernels = [{ label: 'submit (cpu-timed)', ms: wallMs }];
      source = 'cpu';
    }
    return { kernels, source, wallMs };
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
}
