// Decode-time matvec on repacked quantized weights: y[n] = W[n, :] · x (+ bias) (+ residual).
// Shader: shaders/qmatvec.wgsl (+ lib/quant.wgsl). Variants as matvec.ts: `rows` (an invocation per
// row, no barriers: CPU-backed adapters) and `coop` (a workgroup per row, wg_sum, optionally with
// subgroups: real GPUs). A weight split into row parts (repack.ts) is one dispatch per part.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, packUniforms, type Binding } from '../common';
import { bindingSlots, checkK, quantDefines, QUANT_FORMATS, rowLayout, type QuantType } from './format';
import { guardParts, type QWeightPart } from './qweights';

export type QmatvecVariant = 'rows' | 'coop';

export interface QmatvecOptions {
  type: QuantType;
  variant?: QmatvecVariant;
  /** coop only: reduce with subgroup ops (default: when the device has them). */
  subgroups?: boolean;
  /** F16 weights: read as u32 pairs even where shader-f16 exists (tests the fallback). */
  forcePacked?: boolean;
  bias?: boolean;
  residual?: boolean;
}

export interface QmatvecArgs {
  x: Binding;
  parts: readonly QWeightPart[];
  y: Binding;
  /** Total rows (sum of the parts' rows). */
  N: number;
  K: number;
  bias?: Binding;
  residual?: Binding;
}

export interface QmatvecKernel {
  readonly label: string;
  encode(rec: Recorder, args: QmatvecArgs): void;
}

export function defaultQmatvecVariant(rt: GpuRuntime): QmatvecVariant {
  return rt.report.adapter.isSoftware ? 'rows' : 'coop';
}

export async function qmatvec(rt: GpuRuntime, opts: QmatvecOptions): Promise<QmatvecKernel> {
  const { type } = opts;
  const variant = opts.variant ?? defaultQmatvecVariant(rt);
  const subgroups = variant === 'coop' && (opts.subgroups ?? rt.caps.subgroups) && rt.caps.subgroups;
  const nativeF16 = type === 'f16' && rt.caps.f16 && !opts.forcePacked;
  const dense = QUANT_FORMATS[type].dense;
  const wg = 64;
  const storage = type === 'f16' ? (nativeF16 ? '' : '-packed') : '';
  const epi = `${opts.bias ? '-bias' : ''}${opts.residual ? '-res' : ''}`;
  const label = `qmatvec.${type}${storage}-${variant}${subgroups ? '-sg' : ''}${epi}`;
  const slots = ['x', 'q', ...(dense ? [] : ['s']), 'y', ...(opts.bias ? ['bias'] : []), ...(opts.residual ? ['r'] : [])];
  const pipeline = await rt.pipelines.get({
    shader: 'qmatvec',
    label,
    defines: {
      ...quantDefines(type, { nativeF16 }),
      ...bindingSlots(slots),
      WG_SIZE: wg,
      ROWS: variant === 'rows',
      COOP: variant === 'coop',
      SUBGROUPS: subgroups,
      BIAS: opts.bias ?? false,
      RESIDUAL: opts.residual ?? false,
    },
  });
  return {
    label,
    encode(rec, { x, parts, y, N, K, bias, residual }) {
      guardDim(label, 'N', N);
      checkK(type, K, label);
      guardParts(label, type, parts, N, K);
      guardBytes(label, 'x', x, K * 4);
      guardBytes(label, 'y', y, N * 4);
      guard(!opts.bias || bias !== undefined, label, 'compiled with a bias but none was passed');
      guard(!opts.residual || residual !== undefined, label, 'compiled with a residual but none was passed');
      if (bias) guardBytes(label, 'bias', bias, N * 4);
      if (residual) guardBytes(label, 'residual', residual, N * 4);
      const l = rowLayout(type, K);
      for (const p of parts) {
        const bindings = [x, p.q, ...(dense ? [] : [p.s!]), y, ...(opts.bias ? [bias!] : []), ...(opts.residual ? [residual!] : [])];
        const groups = variant === 'rows' ? Math.ceil(p.rows / wg) : p.rows;
        rec.dispatch({
          pipeline,
          label,
          bindings,
          workgroups: foldGroups(groups),
          uniforms: packUniforms([p.rows, K, l.chunks, l.qStride, l.sStride, p.rowStart]),
        });
      }
    },
  };
}
