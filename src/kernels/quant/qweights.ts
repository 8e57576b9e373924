// A repacked weight on the GPU: one (q, s) buffer pair per row part, and the guard every quant
// kernel runs on them (parts tile [0, N) in order; each holds the bytes its rows need).
import type { GpuRuntime } from '../../runtime/runtime';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import { guard, guardBytes, guardDim, type Binding } from '../common';
import { QUANT_FORMATS, rowLayout, type QuantType } from './format';
import type { RepackedTensor } from './repack';

/** One row range of a repacked weight on the GPU (an uploaded RepackedPart). */
export interface QWeightPart {
  rowStart: number;
  rows: number;
  q: Binding;
  /** null for dense types. */
  s: Binding | null;
}

export interface QWeight {
  type: QuantType;
  rows: number;
  K: number;
  parts: QWeightPart[];
  /** The pool buffers behind the parts, for release. */
  buffers: PooledBuffer[];
}

/** The most bytes one part may take on this device: pass as RepackOptions.maxBindingBytes. */
export function bindingLimit(rt: GpuRuntime): number {
  return Math.min(rt.limits.maxStorageBufferBindingSize, rt.limits.maxBufferSize);
}

/** Upload a repacked tensor as 'weights' buffers labelled `${label}.q0`, `${label}.s0`, ... */
export async function uploadQWeight(rt: GpuRuntime, t: RepackedTensor, label: string): Promise<QWeight> {
  const buffers: PooledBuffer[] = [];
  const parts: QWeightPart[] = [];
  for (const [i, p] of t.parts.entries()) {
    const q = await rt.upload(p.q, 'weights', `${label}.q${i}`);
    buffers.push(q);
    let s: PooledBuffer | null = null;
    if (p.s) buffers.push((s = await rt.upload(p.s, 'weights', `${label}.s${i}`)));
    parts.push({ rowStart: p.rowStart, rows: p.rows, q: q.buffer, s: s?.buffer ?? null });
  }
  return { type: t.type, rows: t.rows, K: t.K, parts, buffers };
}

export function guardParts(op: string, type: QuantType, parts: readonly QWeightPart[], N: number, K: number): void {
  const l = rowLayout(type, K);
  guard(parts.length > 0, op, 'no weight parts');
  let next = 0;
  for (const [i, p] of parts.entries()) {
    guard(p.rowStart === next, op, `part ${i} starts at row ${p.rowStart}, expected ${next}`);
    guardDim(op, `part ${i} rows`, p.rows);
    guardBytes(op, `part ${i} q`, p.q, p.rows * l.qStride * 4);
    if (!QUANT_FORMATS[type].dense) {
      guard(p.s !== null, op, `part ${i} has no scales buffer (${type} needs one)`);
      guardBytes(op, `part ${i} s`, p.s, p.rows * l.sStride * 4);
    }
    next += p.rows;
  }
  guard(next === N, op, `parts cover ${next} rows but N is ${N}`);
}
