// Token embedding lookup from a repacked (possibly quantized, possibly split) table:
// out[t, :] = dequant(W[ids[t], :]). Shader: shaders/embedding.wgsl. Ids past the table read as
// zeros (the tokenizer never makes them; a bad id must not read another buffer's memory).
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots, checkK, quantDefines, QUANT_FORMATS, rowLayout, type QuantType } from './format';
import { guardParts, type QWeightPart } from './qweights';

const WG = 64;

export interface EmbeddingOptions {
  type: QuantType;
  /** F16 tables: read as u32 pairs even where shader-f16 exists. */
  forcePacked?: boolean;
}

export interface EmbeddingArgs {
  /** [T] u32 token ids */
  ids: Binding;
  parts: readonly QWeightPart[];
  /** [T, K] f32 */
  out: Binding;
  T: number;
  /** Rows of the table (vocabulary size). */
  rows: number;
  K: number;
}

export interface EmbeddingKernel {
  readonly label: string;
  encode(rec: Recorder, args: EmbeddingArgs): void;
}

export async function embedding(rt: GpuRuntime, opts: EmbeddingOptions): Promise<EmbeddingKernel> {
  const { type } = opts;
  const nativeF16 = type === 'f16' && rt.caps.f16 && !opts.forcePacked;
  const dense = QUANT_FORMATS[type].dense;
  const label = `embedding.${type}${type === 'f16' && !nativeF16 ? '-packed' : ''}`;
  const pipeline = await rt.pipelines.get({
    shader: 'embedding',
    label,
    defines: { ...quantDefines(type, { nativeF16 }), ...bindingSlots(['ids', 'q', ...(dense ? [] : ['s']), 'out']), WG_SIZE: WG },
  });
  return {
    label,
    encode(rec, { ids, parts, out, T, rows, K }) {
      guardDim(label, 'T', T);
      checkK(type, K, label);
      guardParts(label, type, parts, rows, K);
      guardIndex(label, 'out', T * K);
      guardBytes(label, 'ids', ids, T * 4);
      guardBytes(label, 'out', out, T * K * 4);
      guard(T <= rt.limits.maxComputeWorkgroupsPerDimension, label, `T=${T} tokens is more than one dispatch can take; split the batch`);
      const l = rowLayout(type, K);
      const gx = Math.ceil(l.chunks / WG);
      parts.forEach((p, i) => {
        const last = i === parts.length - 1 ? 1 : 0;
        rec.dispatch({
          pipeline,
          label,
          bindings: [ids, p.q, ...(dense ? [] : [p.s!]), out],
          workgroups: [gx, T],
          uniforms: packUniforms([T, K, l.chunks, l.qStride, l.sStride, p.rowStart, p.rows, last]),
        });
      });
    },
  };
}
