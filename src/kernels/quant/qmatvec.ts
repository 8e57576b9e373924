// Decode-time matvec on repacked quantized weights: y[n] = W[n, :] · x (+ bias) (+ residual).
// Shader: shaders/qmatvec.wgsl (+ lib/quant.wgsl). Variants as matvec.ts: `rows` (an invocation per
// row, no barriers: CPU-backed adapters) and `coop` (a workgroup per row, wg_sum, optionally with
// subgroups: real GPUs). A weight split into row parts (repack.ts) is one dispatch per part.
// `batch` compiles the same variants for up to QMATVEC_TMAX tokens at once (y[t, n] = W[n, :] ·
// x[t, :]): short prefills, where qmatmul's 64-row tiles would be almost all padding. `tokens`
// widens it; `tile` (rows only) runs 8 rows x 8 tokens per invocation, which on CPU-backed adapters
// beats both the plain batch and qmatmul for whole 64-token prefill chunks.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots, checkK, quantDefines, QUANT_FORMATS, rowLayout, type QuantType } from './format';
import { guardParts, type QWeightPart } from './qweights';

export type QmatvecVariant = 'rows' | 'coop';

/** Most tokens a `batch` kernel takes per dispatch (its register accumulators, one per token). */
export const QMATVEC_TMAX = 8;

/** Most tokens a batch kernel may be compiled for (`tokens`; the plain batch keeps one accumulator per token). */
export const QMATVEC_MAX_TOKENS = 256;

export interface QmatvecOptions {
  type: QuantType;
  variant?: QmatvecVariant;
  /** coop only: reduce with subgroup ops (default: when the device has them). */
  subgroups?: boolean;
  /** F16 weights: read as u32 pairs even where shader-f16 exists (tests the fallback). */
  forcePacked?: boolean;
  bias?: boolean;
  residual?: boolean;
  /** Take T = 1..tokens tokens per dispatch (args.T): x [T, K], y and residual [T, N]. */
  batch?: boolean;
  /** batch only: most tokens per dispatch (default QMATVEC_TMAX). */
  tokens?: number;
  /**
   * batch + rows only (ignored for coop): 8 rows x 8 tokens per invocation (qmatvec.wgsl TILE):
   * each x chunk loaded once for 8 rows, each weight chunk dequantized once per 8 tokens. Best on
   * CPU-backed adapters at every T >= 2 (model.ts linearPlan).
   */
  tile?: boolean;
}

export interface QmatvecArgs {
  /** [K], or [T, K] for a batch kernel. */
  x: Binding;
  parts: readonly QWeightPart[];
  /** [N], or [T, N] for a batch kernel (the residual likewise). */
  y: Binding;
  /** Total rows (sum of the parts' rows). */
  N: number;
  K: number;
  /** Tokens (rows of x and y): 1 unless the kernel was compiled with `batch` (default 1). */
  T?: number;
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
  const batch = opts.batch ?? false;
  const tile = batch && variant === 'rows' && (opts.tile ?? false);
  // 16 for the tile: 8 rows an invocation leaves few invocations, and small N must still make
  // enough workgroups to keep every CPU thread busy (64 ran 2-4x slower at N = 576 on SwiftShader).
  const wg = tile ? 16 : 64;
  const tmax = batch ? (opts.tokens ?? QMATVEC_TMAX) : 1;
  guard(Number.isInteger(tmax) && tmax >= 1 && tmax <= QMATVEC_MAX_TOKENS, 'qmatvec', `tokens must be 1..${QMATVEC_MAX_TOKENS} (got ${tmax})`);
  const storage = type === 'f16' ? (nativeF16 ? '' : '-packed') : '';
  const epi = `${opts.bias ? '-bias' : ''}${opts.residual ? '-res' : ''}`;
  const label = `qmatvec.${type}${storage}-${variant}${subgroups ? '-sg' : ''}${batch ? `-t${tmax}` : ''}${tile ? '-tile8x8' : ''}${epi}`;
  const slots = ['x', 'q', ...(dense ? [] : ['s']), 'y', ...(opts.bias ? ['bias'] : []), ...(opts.residual ? ['r'] : [])];
  const pipeline = await rt.pipelines.get({
    shader: 'qmatvec',
    label,
    defines: {
      ...quantDefines(type, { nativeF16 }),
      ...bindingSlots(slots),
      WG_SIZE: wg,
      ROWS: variant === 'rows' && !tile,
      TILE: tile,
      COOP: variant === 'coop',
      SUBGROUPS: subgroups,
      BIAS: opts.bias ?? false,
      RESIDUAL: opts.residual ?? false,
      BATCH: batch,
      ...(batch ? { TMAX: tmax } : {}),
    },
  });
  return {
    label,
    encode(rec, { x, parts, y, N, K, T = 1, bias, residual }) {
      guardDim(label, 'N', N);
      checkK(type, K, label);
      guard(Number.isInteger(T) && T >= 1 && T <= tmax, label, `T must be 1..${tmax}${batch ? '' : ' (compile with batch for more)'} (got ${T})`);
      guardParts(label, type, parts, N, K);
      guardIndex(label, 'y', T * N);
      guardIndex(label, 'x', T * K);
      guardBytes(label, 'x', x, T * K * 4);
      guardBytes(label, 'y', y, T * N * 4);
      guard(!opts.bias || bias !== undefined, label, 'compiled with a bias but none was passed');
      guard(!opts.residual || residual !== undefined, label, 'compiled with a residual but none was passed');
      if (bias) guardBytes(label, 'bias', bias, N * 4);
      if (residual) guardBytes(label, 'residual', residual, T * N * 4);
      const l = rowLayout(type, K);
      for (const p of parts) {
        const bindings = [x, p.q, ...(dense ? [] : [p.s!]), y, ...(opts.bias ? [bias!] : []), ...(opts.residual ? [residual!] : [])];
        const groups = variant === 'coop' ? p.rows : Math.ceil((tile ? Math.ceil(p.rows / 8) : p.rows) / wg);
        rec.dispatch({
          pipeline,
          label,
          bindings,
          workgroups: foldGroups(groups),
          uniforms: packUniforms([p.rows, K, l.chunks, l.qStride, l.sStride, p.rowStart, ...(batch ? [T, N] : [])]),
        });
      }
    },
  };
}
