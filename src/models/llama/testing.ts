// Test helpers: load a GGUF held in memory onto a runtime, and the dequantized weights the CPU
// reference runs on.
import { parseGguf } from '../../formats/gguf/parse';
import type { GgufFile } from '../../formats/gguf/types';
import { bufferSource } from '../../formats/source';
import { dequantize } from '../../kernels/ref/dequant';
import type { GpuRuntime } from '../../runtime/runtime';
import { readLlamaConfig, type LlamaConfig } from './config';
import { LlamaModel, type LlamaModelOptions } from './model';
import { RefLlama, type RefLlamaOptions, type RefWeights } from './ref';
import { loadLlamaWeights } from './weights';

export function refWeights(file: GgufFile, bytes: Uint8Array): RefWeights {
  const m: RefWeights = new Map();
  for (const t of file.tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    m.set(t.name, dequantize(t.type, bytes.subarray(t.offset, t.offset + t.nbytes), count));
  }
  return m;
}

export async function loadInMemory(
  rt: GpuRuntime,
  bytes: Uint8Array,
  opts: LlamaModelOptions = {},
): Promise<{ file: GgufFile; cfg: LlamaConfig; model: LlamaModel }> {
  const src = bufferSource(bytes, 'test.gguf');
  const file = await parseGguf(src);
  const cfg = readLlamaConfig(file);
  const weights = await loadLlamaWeights(rt, file, src, cfg, { chunkBytes: 4096 });
  const model = await LlamaModel.create(rt, cfg, weights, opts);
  return { file, cfg, model };
}

/** Greedy continuation by the CPU reference, stopping at an end-of-generation id. `opts.kvType`
 *  'f16' makes the reference's KV cache round like the GPU's f16 cache. */
export async function refGreedy(gguf: Uint8Array, prompt: number[], n: number, eog: ReadonlySet<number>, opts: RefLlamaOptions = {}): Promise<number[]> {
  const file = await parseGguf(bufferSource(gguf));
  const ref = new RefLlama(readLlamaConfig(file), refWeights(file, gguf), opts);
  let logits: Float64Array = new Float64Array();
  for (const t of prompt) logits = ref.step(t);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    if (eog.has(best)) break;
    out.push(best);
    if (i + 1 < n) logits = ref.step(best);
  }
  return out;
}

/** Greedy continuation on the GPU model (argmax of the logits it reads back), for comparing with refGreedy. */
export async function gpuGreedy(model: LlamaModel, prompt: number[], n: number): Promise<number[]> {
  const got: number[] = [];
  let logits = await model.logits(prompt, 0);
  for (let i = 0; i < n; i++) {
    const id = logits.reduce((b, v, j) => (v > logits[b] ? j : b), 0);
    got.push(id);
    if (i + 1 < n) logits = await model.logits([id], prompt.length + i);
  }
  return got;
}
