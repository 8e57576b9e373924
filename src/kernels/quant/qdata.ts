// Test weights for the quant kernel cases: gaussian values with outliers, quantized by our GGUF
// quantizers, repacked (optionally split into row parts) and dequantized by dequant.ts, so every
// case is held against the *dequantized* weights and only kernel error is measured.
import type { PooledBuffer } from '../../runtime/buffer-pool';
import { quantize } from '../../formats/gguf/quantize';
import { randn } from '../check/data';
import { dequantize } from '../ref/dequant';
import { QUANT_FORMATS, rowLayout, type QuantType } from './format';
import { repack, type RepackedTensor } from './repack';
import type { QWeightPart } from './qweights';

export interface TestWeight {
  repacked: RepackedTensor;
  /** [N, K] f32: what the kernel must compute with. */
  ref: Float32Array;
  /** Upload-ready arrays, named q0, s0, q1, ... for checkOp's inputs. */
  inputs: Record<string, Uint32Array>;
  /** The GPU parts, from checkOp's uploaded buffers. */
  parts(buf: Record<string, PooledBuffer>): QWeightPart[];
}

/** Rows per part when a case splits its weight (exercises row0 offsets and multi-dispatch). */
export function testWeight(type: QuantType, N: number, K: number, seed: number, splitRowsPer?: number): TestWeight {
  const f = QUANT_FORMATS[type];
  const w = randn(N * K, seed, { scale: 0.5, outlierRate: 0.01 });
  const bytes = quantize(f.ggml, w);
  const l = rowLayout(type, K);
  const rowBytes = Math.max(l.qStride, l.sStride) * 4;
  const repacked = repack(type, bytes, N, K, splitRowsPer ? { maxBindingBytes: rowBytes * splitRowsPer } : {});
  const inputs: Record<string, Uint32Array> = {};
  repacked.parts.forEach((p, i) => {
    inputs[`q${i}`] = p.q;
    if (p.s) inputs[`s${i}`] = p.s;
  });
  return {
    repacked,
    ref: dequantize(f.ggml, bytes, N * K),
    inputs,
    parts: (buf) =>
      repacked.parts.map((p, i) => ({ rowStart: p.rowStart, rows: p.rows, q: buf[`q${i}`].buffer, s: p.s ? buf[`s${i}`].buffer : null })),
  };
}
