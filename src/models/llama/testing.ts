// Test helpers: load a GGUF held in memory onto a runtime, and the dequantized weights the CPU
// reference runs on.
import { parseGguf } from '../../formats/gguf/parse';
import type { GgufFile } from '../../formats/gguf/types';
import { bufferSource } from '../../formats/source';
import { dequantize } from '../../kernels/ref/dequant';
import type { GpuRuntime } from '../../runtime/runtime';
import { readLlamaConfig, type LlamaConfig } from './config';
import { LlamaModel, type LlamaModelOptions } from './model';
import type { RefWeights } from './ref';
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
