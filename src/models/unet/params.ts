// Diffusion model parameters on the GPU, by diffusers name: every tensor of a safetensors file read
// range by range and uploaded as f32 (F16/BF16 widened on the way), with its shape kept for checks.
import { loadError } from '../../formats/errors';
import { readTensorF32, type SafetensorsFile } from '../../formats/safetensors/parse';
import type { ByteSource } from '../../formats/source';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { GpuRuntime } from '../../runtime/runtime';
import { throwIfAborted } from '../../util/errors';

export class Params {
  private constructor(
    private readonly rt: GpuRuntime,
    private readonly bufs: Map<string, { buf: PooledBuffer; shape: number[]; cpu?: Float32Array }>,
    readonly source: string,
  ) {}

  /** Upload every tensor whose name passes `keep` (default all); `cpuCopy` names keep a CPU copy too. */
  static async load(
    rt: GpuRuntime,
    file: SafetensorsFile,
    src: ByteSource,
    opts: { prefix?: string; keep?: (name: string) => boolean; cpuCopy?: (name: string) => boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<Params> {
    const bufs = new Map<string, { buf: PooledBuffer; shape: number[]; cpu?: Float32Array }>();
    const prefix = opts.prefix ?? '';
    const todo = [...file.tensors.values()].filter((t) => t.name.startsWith(prefix) && (opts.keep?.(t.name) ?? true));
    const total = todo.reduce((s, t) => s + t.nbytes, 0);
    let done = 0;
    try {
      for (const t of todo) {
        throwIfAborted(opts.signal, 'Loading the model');
        const values = await readTensorF32(src, t, opts.signal);
        const name = t.name.slice(prefix.length);
        const buf = await rt.upload(values, 'weights', name);
        bufs.set(name, { buf, shape: t.shape, cpu: opts.cpuCopy?.(name) ? values : undefined });
        done += t.nbytes;
        opts.onProgress?.(done, total);
      }
    } catch (e) {
      for (const b of bufs.values()) rt.pool.release(b.buf);
      throw e;
    }
    return new Params(rt, bufs, file.source);
  }

  has(name: string): boolean {
    return this.bufs.has(name);
  }

  private entry(name: string) {
    const e = this.bufs.get(name);
    if (!e) throw loadError('ModelLoad', `Tensor "${name}" is missing from ${this.source}.`, { hint: 'The weights do not match the config: pick the files of one model.' });
    return e;
  }

  get(name: string): GPUBuffer {
    return this.entry(name).buf.buffer;
  }

  shape(name: string): number[] {
    return this.entry(name).shape;
  }

  cpu(name: string): Float32Array {
    const c = this.entry(name).cpu;
    if (!c) throw loadError('ModelLoad', `Tensor "${name}" was not kept on the CPU.`);
    return c;
  }

  get bytes(): number {
    let n = 0;
    for (const e of this.bufs.values()) n += e.buf.capacity;
    return n;
  }

  release(): void {
    for (const e of this.bufs.values()) this.rt.pool.release(e.buf);
    this.bufs.clear();
  }
}
