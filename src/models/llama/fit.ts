// "Will it fit?" from the GGUF header alone: the bytes a model will hold on the GPU (weights as
// repacked, the KV cache for the chosen context, activations for the prefill chunk, the sampler's
// scratch), checked against the device's buffer limits and a memory budget, so a person hears
// "this will not fit" before downloading a gigabyte. Every size comes from the function the loader,
// model and session allocate with (fit.test.ts holds the sum to a loaded model, byte for byte).
import { GGML_TYPE_INFO } from '../../formats/gguf/ggml-types';
import type { GgufFile } from '../../formats/gguf/types';
import { kvRowBytes } from '../../kernels/kv-cache';
import { quantTypeOf } from '../../kernels/quant/format';
import { repackedRowBytes } from '../../kernels/quant/repack';
import { samplerScratchBytes } from '../../kernels/sample';
import { poolCapacity } from '../../runtime/buffer-pool';
import { fmtBytes } from '../../util/format';
import { expectedTensors, type LlamaConfig } from './config';
import { ropeTableBytes } from '../../kernels/rope';
import { activationSizes, resolveContext, resolvePrefillChunk } from './model';
import { HISTORY_BYTES } from './session';
import { matrixBuffers } from './weights';

export interface FitLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface FitOptions {
  /** Positions the KV cache holds (default min(trained context, 2048), as the model does). */
  contextLength?: number;
  /** Tokens per prefill step (default: resolvePrefillChunk's for the device). */
  prefillChunk?: number;
  /** A software adapter (resolvePrefillChunk picks the default chunk per adapter kind). */
  isSoftware?: boolean;
  kvType?: 'f32' | 'f16';
  /** Memory the total is held against, and a few words on where that number comes from. */
  budgetBytes: number;
  budgetSource: string;
}

export interface FitEstimate {
  contextLength: number;
  weightBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  totalBytes: number;
  largestTensor: { name: string; bytes: number };
  verdict: 'fits' | 'tight' | 'too-big';
  reasons: string[];
}

/** Share of the budget above which the verdict is 'tight'. */
export const TIGHT_SHARE = 0.75;

export function estimateFit(file: GgufFile, cfg: LlamaConfig, limits: FitLimits, opts: FitOptions): FitEstimate {
  const reasons: string[] = [];
  let hard = false;
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const nCtx = resolveContext(cfg, opts.contextLength);
  const chunk = resolvePrefillChunk(opts.isSoftware ?? false, nCtx, opts.prefillChunk);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));

  // Weights: matrices repacked and split by rows at the binding limit, vectors as f32.
  let weightBytes = 0;
  let largest = { name: '', bytes: 0 };
  for (const [name] of expectedTensors(cfg)) {
    const t = byName.get(name);
    if (!t) continue;
    if (t.dims.length >= 2 && GGML_TYPE_INFO[t.type]) {
      const type = quantTypeOf(t.type);
      const rb = repackedRowBytes(type, t.dims[0]);
      const widest = Math.max(rb.q, rb.s);
      if (widest > binding) {
        hard = true;
        reasons.push(`A row of ${name} needs ${fmtBytes(widest)}, more than this device's ${fmtBytes(binding)} storage binding limit.`);
        continue;
      }
      let bytes = 0;
      for (const part of matrixBuffers(type, t.dims[1], t.dims[0], binding)) bytes += poolCapacity(part.qBytes) + (part.sBytes === null ? 0 : poolCapacity(part.sBytes));
      weightBytes += bytes;
      if (bytes > largest.bytes) largest = { name, bytes };
    } else {
      weightBytes += poolCapacity(t.dims.reduce((a, b) => a * b, 1) * 4);
    }
  }
  weightBytes += poolCapacity(ropeTableBytes(cfg.rope.dims)); // the frequency table model.ts uploads

  // KV cache: one K and one V buffer per layer, each bound whole by the attention kernels.
  const kvType = opts.kvType ?? 'f32';
  const kvShape = { nCtx, nKvHeads: cfg.kvHeads, headDim: cfg.headDim };
  const kvLayerBytes = nCtx * kvRowBytes(kvShape, kvType);
  const kvCacheBytes = 2 * cfg.layers * poolCapacity(kvLayerBytes);
  if (kvLayerBytes > binding) {
    hard = true;
    const fitsCtx = Math.floor(binding / kvRowBytes(kvShape, kvType));
    reasons.push(`The KV cache of one layer needs ${fmtBytes(kvLayerBytes)} for ${nCtx} positions, over the ${fmtBytes(binding)} binding limit: use a context of at most ${fitsCtx}.`);
  }

  // Activations (model.ts), the sampler's scratch and the session's penalty history.
  const sampler = samplerScratchBytes(cfg.vocab);
  const acts = [...Object.values(activationSizes(cfg, chunk, nCtx)), sampler.w, sampler.cand, HISTORY_BYTES];
  const activationBytes = acts.reduce((s, b) => s + poolCapacity(b), 0);
  const widestAct = Math.max(...acts);
  if (widestAct > binding) {
    hard = true;
    reasons.push(`An activation buffer needs ${fmtBytes(widestAct)}, over the ${fmtBytes(binding)} binding limit (the vocabulary or prefill chunk is too large for this device).`);
  }

  const totalBytes = weightBytes + kvCacheBytes + activationBytes;
  let verdict: FitEstimate['verdict'] = 'fits';
  if (totalBytes > opts.budgetBytes) {
    hard = true;
    reasons.push(`It needs ${fmtBytes(totalBytes)} of GPU memory; the budget here is ${fmtBytes(opts.budgetBytes)} (${opts.budgetSource}). Pick a smaller model or quantization.`);
  } else if (totalBytes > TIGHT_SHARE * opts.budgetBytes) {
    verdict = 'tight';
    reasons.push(`It needs ${fmtBytes(totalBytes)}, ${Math.round((100 * totalBytes) / opts.budgetBytes)}% of the ${fmtBytes(opts.budgetBytes)} budget (${opts.budgetSource}): it may fail on a busy machine.`);
  }
  if (hard) verdict = 'too-big';
  return { contextLength: nCtx, weightBytes, kvCacheBytes, activationBytes, totalBytes, largestTensor: largest, verdict, reasons };
}
