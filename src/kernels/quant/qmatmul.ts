// Prefill matmul on repacked quantized weights: out[M, N] = a[M, K] · W[N, K]ᵀ (+ bias) (+ residual).
// Shader: shaders/qmatmul.wgsl (64x64 output tiles, 4x4 per invocation, W dequantized into
// workgroup memory 32 values of K at a time; f16 tile where the device has shader-f16).
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots, checkK, quantDefines, QUANT_FORMATS, rowLayout, type QuantType } from './format';
import { guardParts, type QWeightPart } from './qweights';

const TILE = 64;

export interface QmatmulOptions {
  type: QuantType;
  /** Dequantized W tile in f16 (default: where shader-f16 exists, except for F32 weights). */
  tileF16?: boolean;
  /** F16 weights: read as u32 pairs even where shader-f16 exists. */
  forcePacked?: boolean;
  bias?: boolean;
  residual?: boolean;
}

export interface QmatmulArgs {
  a: Binding;
  parts: readonly QWeightPart[];
  out: Binding;
  M: number;
  /** Total rows of W (sum of the parts' rows) = columns of out. */
  N: number;
  K: number;
  bias?: Binding;
  residual?: Binding;
}

export interface QmatmulKernel {
  readonly label: string;
  encode(rec: Recorder, args: QmatmulArgs): void;
}

export async function qmatmul(rt: GpuRuntime, opts: QmatmulOptions): Promise<QmatmulKernel> {
  const { type } = opts;
  const tileF16 = (opts.tileF16 ?? type !== 'f32') && rt.caps.f16;
  const nativeF16 = type === 'f16' && rt.caps.f16 && !opts.forcePacked;
  const dense = QUANT_FORMATS[type].dense;
  const storage = type === 'f16' ? (nativeF16 ? '' : '-packed') : '';
  const label = `qmatmul.${type}${storage}-tile64${tileF16 ? '-f16' : ''}${opts.bias ? '-bias' : ''}${opts.residual ? '-res' : ''}`;
  const slots = ['a', 'q', ...(dense ? [] : ['s']), 'out', ...(opts.bias ? ['bias'] : []), ...(opts.residual ? ['r'] : [])];
  const pipeline = await rt.pipelines.get({
    shader: 'qmatmul',
    label,
    defines: {
      ...quantDefines(type, { nativeF16 }),
      ...bindingSlots(slots),
      ...(tileF16 ? { W_TILE_F16: true, NEEDS_F16: true } : {}),
      BIAS: opts.bias ?? false,
      RESIDUAL: opts.residual ?? false,
    },
  });
  return {
    label,
    encode(rec, { a, parts, out, M, N, K, bias, residual }) {
      guardDim(label, 'M', M);
      guardDim(label, 'N', N);
      checkK(type, K, label);
      guardParts(label, type, parts, N, K);
      guardIndex(label, 'a', M * K);
      guardIndex(label, 'out', M * N);
      guardBytes(label, 'a', a, M * K * 4);
      guardBytes(label, 'out', out, M * N * 4);
      guard(!opts.bias || bias !== undefined, label, 'compiled with a bias but none was passed');
      guard(!opts.residual || residual !== undefined, label, 'compiled with a residual but none was passed');
      if (bias) guardBytes(label, 'bias', bias, N * 4);
      if (residual) guardBytes(label, 'residual', residual, M * N * 4);
      const l = rowLayout(type, K);
      const gy = Math.ceil(M / TILE);
      guard(gy <= rt.limits.maxComputeWorkgroupsPerDimension, label, `M=${M} needs ${gy} workgroups in y; split the batch`);
      for (const p of parts) {
        const gx = Math.ceil(p.rows / TILE);
        guard(gx <= rt.limits.maxComputeWorkgroupsPerDimension, label, `a part of ${p.rows} rows needs ${gx} workgroups in x; split the weight`);
        const bindings = [a, p.q, ...(dense ? [] : [p.s!]), out, ...(opts.bias ? [bias!] : []), ...(opts.residual ? [residual!] : [])];
        rec.dispatch({
          pipeline,
          label,
          bindings,
          workgroups: [gx, gy],
          uniforms: packUniforms([M, p.rows, K, l.chunks, l.qStride, l.sStride, p.rowStart, N]),
        });
      }
    },
  };
}
