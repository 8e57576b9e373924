// "Will it fit?" from the GGUF header alone: the bytes a model will hold on the GPU (weights as
// repacked, the KV cache for the chosen context, activations for the prefill chunk, the sampler's
// scratch), checked against the device's buffer limits and a memory budget, so a person hears
// "this will not fit" before downloading a gigabyte. The sums follow what weights.ts, model.ts and
// session.ts allocate (fit.test.ts holds them to a loaded model's real allocation).
import { GGML_TYPE_INFO } from '../../formats/gguf/ggml-types';
import type { GgufFile } from '../../formats/gguf/types';
import { quantTypeOf } from '../../kernels/quant/format';
import { repackedRowBytes, splitRows } from '../../kernels/quant/repack';
import { QMATVEC_TMAX } from '../../kernels/quant/qmatvec';
import { fmtBytes } from '../../util/format';
import { expectedTensors, type LlamaConfig } from './config';

/** The buffer pool rounds every buffer up to this many bytes. */
const POOL_ALIGN = 256;
const aligned = (n: number) => Math.max(POOL_ALIGN, Math.ceil(Math.max(4, n) / POOL_ALIGN) * POOL_ALIGN);

export interface FitLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface FitOptions {
  /** Positions the KV cache holds (default min(trained context, 2048), as the model does). */
  contextLength?: number;
  /** Tokens per prefill step (default 64; 8 on software adapters). */
  prefillChunk?: number;
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

export function defaultPrefillChunk(isSoftware: boolean): number {
  return isSoftware ? QMATVEC_TMAX : 64;
}

export function estimateFit(file: GgufFile, cfg: LlamaConfig, limits: FitLimits, opts: FitOptions): FitEstimate {
  const reasons: string[] = [];
  let hard = false;
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const nCtx = Math.min(opts.contextLength ?? Math.min(cfg.contextLength, 2048), cfg.contextLength);
  const chunk = Math.max(1, Math.min(opts.prefillChunk ?? 64, nCtx));
  const byName = new Map(file.tensors.map((t) => [t.name, t]));

  // Weights: matrices repacked and split by rows at the binding limit, vectors as f32.
  let weightBytes = 0;
  let largest = { name: '', bytes: 0 };
  for (const [name] of expectedTensors(cfg)) {
    const t = byName.get(name);
    if (!t) continue;
    if (t.dims.length >= 2 && GGML_TYPE_INFO[t.type]) {
      const K = t.dims[0];
      const rows = t.dims[1];
      const type = quantTypeOf(t.type);
      const rb = repackedRowBytes(type, K);
      const widest = Math.max(rb.q, rb.s);
      if (widest > binding) {
        hard = true;
        reasons.push(`A row of ${name} needs ${fmtBytes(widest)}, more than this device's ${fmtBytes(binding)} storage binding limit.`);
        continue;
      }
      let bytes = 0;
      for (const r of splitRows(rows, rb, binding)) bytes += aligned(r.rows * rb.q) + (rb.s > 0 ? aligned(r.rows * rb.s) : 0);
      weightBytes += bytes;
      if (bytes > largest.bytes) largest = { name, bytes };
    } else {
      const count = t.dims.reduce((a, b) => a * b, 1);
      weightBytes += aligned(count * 4);
    }
  }

  weightBytes += aligned((cfg.rope.dims / 2) * 16); // the RoPE frequency table (model.ts)

  // KV cache: one K and one V buffer per layer, each bound whole by the attention kernels.
  const elem = opts.kvType === 'f16' ? 2 : 4;
  const kvLayerBytes = nCtx * cfg.kvHeads * cfg.headDim * elem;
  const kvCacheBytes = 2 * cfg.layers * aligned(kvLayerBytes);
  if (kvLayerBytes > binding) {
    hard = true;
    const fitsCtx = Math.floor(binding / (cfg.kvHeads * cfg.headDim * elem));
    reasons.push(`The KV cache of one layer needs ${fmtBytes(kvLayerBytes)} for ${nCtx} positions, over the ${fmtBytes(binding)} binding limit: use a context of at most ${fitsCtx}.`);
  }

  // Activations (model.ts allocActivations), the decode attention's partials and the sampler.
  const f = 4;
  const hd = cfg.headDim;
  const acts = [
    chunk * 4,
    chunk * cfg.dim * f,
    chunk * cfg.dim * f,
    chunk * cfg.heads * hd * f,
    chunk * cfg.kvHeads * hd * f,
    chunk * cfg.kvHeads * hd * f,
    chunk * cfg.heads * hd * f,
    chunk * cfg.ffn * f,
    chunk * cfg.ffn * f,
    cfg.dim * f,
    cfg.dim * f,
    cfg.vocab * f,
    cfg.heads * Math.ceil(nCtx / 256) * (hd + 2) * f,
    cfg.vocab * 4,
    cfg.vocab * 16,
    1024 * 4,
  ];
  const activationBytes = acts.reduce((s, b) => s + aligned(b), 0);
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
