// Streaming weight load: each tensor goes from the source (HTTP Range, File.slice, or memory) to its
// GPU buffers a few MiB at a time, repacked on the way into the aligned layouts the kernels read.
// No step holds more than one chunk of a tensor on the CPU, so a 1-2 GB model never needs one big
// ArrayBuffer; a tensor larger than the device's storage binding limit is split by rows.
import { GGML_TYPE_INFO } from '../../formats/gguf/ggml-types';
import type { GgufFile, GgufTensorInfo } from '../../formats/gguf/types';
import type { ByteSource } from '../../formats/source';
import { loadError } from '../../formats/errors';
import { dequantize } from '../../kernels/ref/dequant';
import { quantTypeOf, rowLayout, QUANT_FORMATS, type QuantType } from '../../kernels/quant/format';
import { repack, repackedRowBytes, splitRows, type RowRange } from '../../kernels/quant/repack';
import { bindingLimit, type QWeight, type QWeightPart } from '../../kernels/quant/qweights';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { GpuRuntime } from '../../runtime/runtime';
import { throwIfAborted } from '../../util/errors';
import { expectedTensors, type LlamaConfig } from './config';

export interface LayerWeights {
  attnNorm: GPUBuffer;
  q: QWeight;
  k: QWeight;
  v: QWeight;
  o: QWeight;
  qBias?: GPUBuffer;
  kBias?: GPUBuffer;
  vBias?: GPUBuffer;
  ffnNorm: GPUBuffer;
  gate: QWeight;
  up: QWeight;
  down: QWeight;
}

export interface LlamaWeights {
  embd: QWeight;
  layers: LayerWeights[];
  outNorm: GPUBuffer;
  /** output.weight, or token_embd when tied. */
  head: QWeight;
  /** llama3 frequency factors (CPU copy; the RoPE kernel gets them as a buffer). */
  ropeFactors?: Float32Array;
  ropeFactorsBuf?: GPUBuffer;
  buffers: PooledBuffer[];
  /** Bytes of weights on the GPU. */
  bytes: number;
}

export interface LoadProgress {
  /** File bytes read so far / in total (weights only). */
  done: number;
  total: number;
  tensor: string;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Bytes read per request (default 8 MiB). */
  chunkBytes?: number;
}

/**
 * The GPU buffers a [rows, K] matrix of this type becomes: row ranges split at the binding limit,
 * each with its quant array and (for block formats) its scale array. Throws Unsupported when one
 * row is wider than the limit.
 */
export function matrixBuffers(type: QuantType, rows: number, K: number, maxBinding: number): (RowRange & { qBytes: number; sBytes: number | null })[] {
  const layout = rowLayout(type, K);
  const dense = QUANT_FORMATS[type].dense;
  return splitRows(rows, repackedRowBytes(type, K), maxBinding).map((r) => ({
    ...r,
    qBytes: r.rows * layout.qStride * 4,
    sBytes: dense ? null : r.rows * layout.sStride * 4,
  }));
}

/** Total file bytes of the tensors a forward pass reads. */
export function weightFileBytes(file: GgufFile, cfg: LlamaConfig): number {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  let n = 0;
  for (const name of expectedTensors(cfg).keys()) n += byName.get(name)?.nbytes ?? 0;
  return n;
}

export async function loadLlamaWeights(
  rt: GpuRuntime,
  file: GgufFile,
  source: ByteSource,
  cfg: LlamaConfig,
  opts: LoadOptions = {},
): Promise<LlamaWeights> {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const buffers: PooledBuffer[] = [];
  const total = weightFileBytes(file, cfg);
  const chunkBytes = opts.chunkBytes ?? 8 << 20;
  const maxBinding = bindingLimit(rt);
  let done = 0;

  const info = (name: string): GgufTensorInfo => {
    const t = byName.get(name);
    if (!t) throw loadError('ModelLoad', `Tensor "${name}" is missing from ${source.name}.`);
    return t;
  };

  const read = async (t: GgufTensorInfo, offset: number, length: number): Promise<Uint8Array> => {
    throwIfAborted(opts.signal, 'Loading the model');
    const bytes = await source.read(t.offset + offset, length, opts.signal);
    if (bytes.length < length) {
      throw loadError('ModelLoad', `${source.name} ends inside tensor "${t.name}" (wanted ${length} bytes at ${t.offset + offset}, got ${bytes.length}).`, {
        hint: 'The file is truncated: download it again.',
      });
    }
    done += length;
    opts.onProgress?.({ done, total, tensor: t.name });
    return bytes;
  };

  /** A 1-D tensor (norm, bias, frequency factors) as f32 on the GPU and the CPU. */
  const vector = async (name: string): Promise<{ buf: GPUBuffer; values: Float32Array }> => {
    const t = info(name);
    const count = t.dims.reduce((a, b) => a * b, 1);
    const values = dequantize(t.type, await read(t, 0, t.nbytes), count);
    const b = await rt.upload(values, 'weights', name);
    buffers.push(b);
    return { buf: b.buffer, values };
  };

  /** A [rows, K] matrix, repacked chunk by chunk straight into its (possibly split) GPU buffers. */
  const matrix = async (name: string): Promise<QWeight> => {
    const t = info(name);
    const K = t.dims[0];
    const rows = t.dims[1];
    const type = quantTypeOf(t.type);
    const ti = GGML_TYPE_INFO[t.type];
    const srcRow = (K / ti.blockSize) * ti.bytesPerBlock;
    const layout = rowLayout(type, K);
    const parts: QWeightPart[] = [];
    const own: PooledBuffer[] = [];
    for (const [i, r] of matrixBuffers(type, rows, K, maxBinding).entries()) {
      const q = await rt.storage(r.qBytes, 'weights', `${name}.q${i}`);
      own.push(q);
      const s = r.sBytes === null ? null : await rt.storage(r.sBytes, 'weights', `${name}.s${i}`);
      if (s) own.push(s);
      const step = Math.max(1, Math.floor(chunkBytes / srcRow));
      for (let row = 0; row < r.rows; row += step) {
        const n = Math.min(step, r.rows - row);
        const bytes = await read(t, (r.rowStart + row) * srcRow, n * srcRow);
        const part = repack(type, bytes, n, K, { maxBindingBytes: Number.MAX_SAFE_INTEGER }).parts[0];
        rt.device.queue.writeBuffer(q.buffer, row * layout.qStride * 4, part.q);
        if (s && part.s) rt.device.queue.writeBuffer(s.buffer, row * layout.sStride * 4, part.s);
      }
      parts.push({ rowStart: r.rowStart, rows: r.rows, q: q.buffer, s: s?.buffer ?? null });
    }
    buffers.push(...own);
    return { type, rows, K, parts, buffers: own };
  };

  const embd = await matrix('token_embd.weight');
  const layers: LayerWeights[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const b = `blk.${l}.`;
    const layer: LayerWeights = {
      attnNorm: (await vector(b + 'attn_norm.weight')).buf,
      q: await matrix(b + 'attn_q.weight'),
      k: await matrix(b + 'attn_k.weight'),
      v: await matrix(b + 'attn_v.weight'),
      o: await matrix(b + 'attn_output.weight'),
      ffnNorm: (await vector(b + 'ffn_norm.weight')).buf,
      gate: await matrix(b + 'ffn_gate.weight'),
      up: await matrix(b + 'ffn_up.weight'),
      down: await matrix(b + 'ffn_down.weight'),
    };
    if (cfg.qkvBias) {
      layer.qBias = (await vector(b + 'attn_q.bias')).buf;
      layer.kBias = (await vector(b + 'attn_k.bias')).buf;
      layer.vBias = (await vector(b + 'attn_v.bias')).buf;
    }
    layers.push(layer);
  }
  const outNorm = (await vector('output_norm.weight')).buf;
  const head = cfg.tiedEmbeddings ? embd : await matrix('output.weight');
  let ropeFactors: Float32Array | undefined;
  let ropeFactorsBuf: GPUBuffer | undefined;
  if (cfg.rope.freqFactorsTensor) {
    const f = await vector(cfg.rope.freqFactorsTensor);
    ropeFactors = f.values;
    ropeFactorsBuf = f.buf;
  }
  const bytes = buffers.reduce((s, b) => s + b.capacity, 0);
  return { embd, layers, outNorm, head, ropeFactors, ropeFactorsBuf, buffers, bytes };
}

export function releaseLlamaWeights(rt: GpuRuntime, w: LlamaWeights): void {
  for (const b of w.buffers) rt.pool.release(b);
  w.buffers.length = 0;
}
