// Linear layer for token rows: out[M, N] = a[M, K] · W[N, K]ᵀ (+ bias[N]) (+ residual[M, N]), with W
// as PyTorch stores nn.Linear.weight ([out, in]), f32 or f16 (native, or packed pairs without
// shader-f16). The product is the shared tiled matmul (src/kernels/matmul.ts, same weight layout);
// bias and residual follow in one in-place pointwise pass over out. Fusing them into the matmul's
// store would save that pass (M * N floats, small next to the M * N * K product).
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, type Binding } from '../common';
import { matmul } from '../matmul';
import type { DenseWeightType, WeightStorage } from '../weights';
import { pointwise } from './pointwise';

export interface LinearArgs {
  /** [M, K] */
  a: Binding;
  /** [N, K] */
  w: Binding;
  /** [N] f32 */
  bias?: Binding;
  /** [M, N] f32 */
  residual?: Binding;
  /** [M, N] */
  out: Binding;
  M: number;
  N: number;
  K: number;
}

export interface LinearKernel {
  readonly label: string;
  readonly storage: WeightStorage;
  encode(rec: Recorder, args: LinearArgs): void;
}

export async function linear(
  rt: GpuRuntime,
  opts: { weights: DenseWeightType; forcePacked?: boolean; bias?: boolean; residual?: boolean },
): Promise<LinearKernel> {
  const bias = opts.bias ?? false;
  const residual = opts.residual ?? false;
  const [mm, epilogue] = await Promise.all([
    matmul(rt, { weights: opts.weights, forcePacked: opts.forcePacked }),
    bias ? pointwise(rt, 'add_bcast', { inPlace: true, residual }) : residual ? pointwise(rt, 'axpby', { inPlace: true }) : null,
  ]);
  const label = epilogue ? `${mm.label}+${epilogue.label}` : mm.label;
  return {
    label,
    storage: mm.storage,
    encode(rec, { a, w, bias: b, residual: r, out, M, N, K }) {
      guard(bias === (b !== undefined), 'linear', bias ? 'compiled with a bias but none was passed' : 'compiled without a bias: pass none');
      guard(residual === (r !== undefined), 'linear', residual ? 'compiled with a residual but none was passed' : 'compiled without a residual: pass none');
      mm.encode(rec, { a, w, out, M, N, K });
      if (!epilogue) return;
      if (bias) epilogue.encode(rec, { a: out, b, r, n: M * N, inner: 1, bLen: N });
      else epilogue.encode(rec, { a: out, b: r, n: M * N });
    },
  };
}
