// Per-dispatch GPU time with timestamp queries, where the device has them. Each profiled dispatch
// runs in its own compute pass with begin/end timestamps; after the submit the query set is
// resolved, copied to a mappable buffer and turned into milliseconds per label.
// Without timestamp-query the recorder falls back to timing the whole submit on the CPU, and says so.

export interface KernelTime {
  label: string;
  ms: number;
}

export interface SubmitTiming {
  /** Per-dispatch GPU times (timestamp source), or one entry for the whole submit (cpu source). */
  kernels: KernelTime[];
  source: 'timestamp' | 'cpu';
  /** Wall time from submit to onSubmittedWorkDone, always measured. */
  wallMs: number;
}

export class TimestampProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readbacks: GPUBuffer[] = [];
  private labels: string[] = [];

  constructor(
    private readonly device: GPUDevice,
    readonly capacity = 512,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: capacity * 2, label: 'profiler' });
    this.resolveBuf = device.createBuffer({
      size: capacity * 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'staging:profiler-resolve',
    });
  }

  get bytes(): number {
    return this.capacity * 16 * (1 + this.readbacks.length);
  }

  /** Timestamp writes for the next pass, or undefined when the set is full (that pass goes untimed). */
  pass(label: string): GPUComputePassTimestampWrites | undefined {
    const i = this.labels.length;
    if (i >= this.capacity) return undefined;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Encode the resolve and copy; returns a reader to call after submit, or null if nothing was timed. */
  finish(encoder: GPUCommandEncoder): (() => Promise<KernelTime[]>) | null {
    const labels = this.labels;
    this.labels = [];
    const n = labels.length;
    if (n === 0) return null;
    const bytes = n * 16;
    const readback =
      this.readbacks.pop() ??
      this.device.createBuffer({ size: this.capacity * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'staging:profiler-readback' });
    encoder.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    encoder.copyBufferToBuffer(this.resolveBuf, 0, readback, 0, bytes);
    return async () => {
      await readback.mapAsync(GPUMapMode.READ, 0, bytes);
      const t = new BigInt64Array(readback.getMappedRange(0, bytes).slice(0));
      readback.unmap();
      this.readbacks.push(readback);
      const out: KernelTime[] = [];
      for (let i = 0; i < n; i++) {
        const d = Number(t[2 * i + 1] - t[2 * i]);
        out.push({ label: labels[i], ms: Math.max(0, d) / 1e6 });
      }
      return out;
    };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    for (const b of this.readbacks) b.destroy();
  }
}

/** Sum times by label (a forward pass runs the same kernel many times). */
export function totalsByLabel(times: KernelTime[]): KernelTime[] {
  const m = new Map<string, number>();
  for (const t of times) m.set(t.label, (m.get(t.label) ?? 0) + t.ms);
  return [...m.entries()].map(([label, ms]) => ({ label, ms })).sort((a, b) => b.ms - a.ms);
}
