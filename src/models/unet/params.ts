// Diffusion model parameters on the GPU, by diffusers name: every tensor of a safetensors file read
// range by range and uploaded, with its shape kept for checks. Weight matrices (conv and linear
// `.weight`s of rank >= 2) are stored as `matrixType`: f32; f16 (half the memory, read natively or as
// packed pairs); or i8 (int8 blocks of 32 with an f32 scale, 1.125 bytes per weight, a quarter of f32,
// for small GPUs). Everything else (norms, biases) stays f32.
import { loadError } from '../../formats/errors';
import { readTensorF32, type SafetensorsFile, type SafetensorsTensor } from '../../formats/safetensors/parse';
import type { ByteSource } from '../../formats/source';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { GpuRuntime } from '../../runtime/runtime';
import { throwIfAborted } from '../../util/errors';
import { f32ToF16Bits } from '../../util/f16';
import { packI8Blocks, type DenseWeightType } from '../../kernels/weights';

/** Conv and linear weights: the tensors a kernel reads as a weight matrix. */
export function isMatrix(t: Pick<SafetensorsTensor, 'name' | 'shape'>): boolean {
  return t.name.endsWith('.weight') && t.shape.length >= 2;
}

function toF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length + (values.length & 1));
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

export class Params {
  private constructor(
    private readonly rt: GpuRuntime,
    private readonly bufs: Map<string, { buf: PooledBuffer | null; shape: number[]; cpu?: Float32Array }>,
    readonly source: string,
    /** How weight matrices are stored (see isMatrix). */
    readonly matrixType: DenseWeightType,
    /** Tensors of a dtype not read (e.g. I64 position_ids), by name. */
    private readonly others: Map<string, string> = new Map(),
  ) {}

  /**
   * Upload every tensor whose name passes `keep` (default all). `cpuCopy` names stay on the CPU only
   * (lookup tables such as token embeddings, gathered on the host: a 49408 x 1024 CLIP table would
   * otherwise hold 200 MB of GPU memory for nothing).
   */
  static async load(
    rt: GpuRuntime,
    file: SafetensorsFile,
    src: ByteSource,
    opts: {
      prefix?: string;
      keep?: (name: string) => boolean;
      cpuCopy?: (name: string) => boolean;
      matrixType?: DenseWeightType;
      signal?: AbortSignal;
      onProgress?: (done: number, total: number) => void;
    } = {},
  ): Promise<Params> {
    const matrixType = opts.matrixType ?? 'f32';
    const bufs = new Map<string, { buf: PooledBuffer | null; shape: number[]; cpu?: Float32Array }>();
    const prefix = opts.prefix ?? '';
    const todo = [...file.tensors.values()].filter((t) => t.name.startsWith(prefix) && (opts.keep?.(t.name) ?? true));
    const total = todo.reduce((s, t) => s + t.nbytes, 0);
    let done = 0;
    try {
      for (const t of todo) {
        throwIfAborted(opts.signal, 'Loading the model');
        const values = await readTensorF32(src, t, opts.signal);
        const name = t.name.slice(prefix.length);
        if (opts.cpuCopy?.(name)) {
          bufs.set(name, { buf: null, shape: t.shape, cpu: values });
        } else {
          const m = isMatrix(t);
          const data = m && matrixType === 'f16' ? toF16(values) : m && matrixType === 'i8' ? packI8Blocks(values) : values;
          bufs.set(name, { buf: await rt.upload(data, 'weights', name), shape: t.shape });
        }
        done += t.nbytes;
        opts.onProgress?.(done, total);
      }
    } catch (e) {
      for (const b of bufs.values()) if (b.buf) rt.pool.release(b.buf);
      throw e;
    }
    return new Params(rt, bufs, file.source, matrixType, file.others);
  }

  has(name: string): boolean {
    return this.bufs.has(name);
  }

  private entry(name: string) {
    const e = this.bufs.get(name);
    const other = this.others.get(name);
    if (!e && other) throw loadError('Unsupported', `Tensor "${name}" in ${this.source} is ${other}; the playground reads F32, F16 and BF16 weights.`);
    if (!e) throw loadError('ModelLoad', `Tensor "${name}" is missing from ${this.source}.`, { hint: 'The weights do not match the config: pick the files of one model.' });
    return e;
  }

  get(name: string): GPUBuffer {
    const b = this.entry(name).buf;
    if (!b) throw loadError('ModelLoad', `Tensor "${name}" was kept on the CPU only.`);
    return b.buffer;
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
    for (const e of this.bufs.values()) n += e.buf?.capacity ?? 0;
    return n;
  }

  release(): void {
    for (const e of this.bufs.values()) if (e.buf) this.rt.pool.release(e.buf);
    this.bufs.clear();
  }
}
