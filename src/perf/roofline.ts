// The two numbers behind the roofline gauge and the LLM benchmark: the bandwidth of a plain copy
// kernel on this device (the ceiling), and the bytes one decode token reads of a loaded model's
// weights (so bytes x tokens/s is the bandwidth decode achieves).
import { foldGroups, packUniforms } from '../kernels/common';
import { rowLayout } from '../kernels/quant/format';
import type { QWeight } from '../kernels/quant/qweights';
import type { LlamaConfig } from '../models/llama/config';
import type { LlamaWeights } from '../models/llama/weights';
import type { GpuRuntime } from '../runtime/runtime';

export interface CopyBandwidth {
  bytes: number;
  /** Median ms of one copy. */
  ms: number;
  /** (read + write) bytes per second / 1e9. */
  gbps: number;
  timing: 'timestamp' | 'cpu';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Copy `maxBytes` (capped by the binding limits) with bench-copy.wgsl `runs` times after one
 * warm-up and return the median. Timed by GPU timestamps where the device has them, else by the
 * CPU around each submit (which includes the submit's own overhead, so it reads low on small copies).
 */
export async function copyBandwidth(rt: GpuRuntime, opts: { maxBytes?: number; runs?: number } = {}): Promise<CopyBandwidth> {
  const runs = Math.max(1, opts.runs ?? 7);
  const limit = Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
  const bytes = Math.floor(Math.min(opts.maxBytes ?? 64 << 20, limit) / 16) * 16;
  const n = bytes / 16;
  const WG = 256;
  const label = `bench-copy.wg${WG}`;
  const pipeline = await rt.pipelines.get({ shader: 'bench-copy', label, defines: { WG_SIZE: WG } });
  const src = await rt.upload(new Float32Array(bytes / 4).fill(1), 'activations', 'bench-copy.src');
  const dst = await rt.storage(bytes, 'activations', 'bench-copy.dst');
  const samples: number[] = [];
  let timing: 'timestamp' | 'cpu' = 'cpu';
  try {
    for (let i = 0; i < runs + 1; i++) {
      const rec = rt.recorder({ profile: true, label: 'bench-copy' });
      rec.dispatch({ pipeline, label, bindings: [src.buffer, dst.buffer], workgroups: foldGroups(Math.ceil(n / WG)), uniforms: packUniforms([n]) });
      const t = await rec.submit();
      timing = t.source;
      if (i > 0) samples.push(t.kernels.reduce((s, k) => s + k.ms, 0));
    }
  } finally {
    rt.pool.release(src);
    rt.pool.release(dst);
  }
  const ms = median(samples);
  return { bytes, ms, gbps: (2 * bytes) / (ms / 1e3) / 1e9, timing };
}

/** Bytes of one row of a quantized matrix as it lies on the GPU. */
function rowBytes(q: QWeight): number {
  const l = rowLayout(q.type, q.K);
  return (l.qStride + l.sStride) * 4;
}

/**
 * Bytes one decode token reads of the weights as they lie on the GPU: every matrix and norm vector
 * once, the LM head, but of the embedding table only the row it looks up.
 */
export function decodeWeightBytes(cfg: LlamaConfig, w: LlamaWeights): number {
  const matBytes = (q: QWeight) => q.rows * rowBytes(q);
  let n = rowBytes(w.embd) + matBytes(w.head) + cfg.dim * 4;
  for (const L of w.layers) n += [L.q, L.k, L.v, L.o, L.gate, L.up, L.down].reduce((s, q) => s + matBytes(q), 0);
  const bias = cfg.qkvBias ? (cfg.heads + 2 * cfg.kvHeads) * cfg.headDim : 0;
  return n + cfg.layers * (2 * cfg.dim + bias) * 4;
}
