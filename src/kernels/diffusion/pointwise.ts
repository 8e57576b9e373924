// Elementwise ops of the diffusion and super-resolution graphs: ReLU, LeakyReLU, scale (a * x + b),
// clamp, SiLU, and the CLIP text encoder's MLP activations (quick_gelu, exact-erf gelu);
// alpha * a + beta * b (residual adds, guidance); and a broadcast add (bias, per-channel
// or per-(n, c) vectors) with an optional fused residual. Shader: shaders/diffusion/pointwise.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots } from '../quant/format';

export const POINTWISE_OPS = ['relu', 'leaky_relu', 'scale', 'clamp', 'silu', 'axpby', 'add_bcast', 'quick_gelu', 'gelu'] as const;
export type PointwiseOp = (typeof POINTWISE_OPS)[number];

const WG = 256;

/** (alpha, beta) when the caller gives none: LeakyReLU's torch default slope, identity scale, [0, 1] clamp, a + b. */
export const POINTWISE_DEFAULTS: Readonly<Record<PointwiseOp, readonly [number, number]>> = {
  relu: [0, 0],
  leaky_relu: [0.01, 0],
  scale: [1, 0],
  clamp: [0, 1],
  silu: [0, 0],
  axpby: [1, 1],
  add_bcast: [0, 0],
  quick_gelu: [0, 0],
  gelu: [0, 0],
};

export interface PointwiseOptions {
  /** Overwrite `a` with the result (no `out`). */
  inPlace?: boolean;
  /** add_bcast only: also add r[i]. */
  residual?: boolean;
}

export interface PointwiseArgs {
  a: Binding;
  /** axpby: n elements; add_bcast: bLen elements. */
  b?: Binding;
  /** add_bcast with residual: n elements. */
  r?: Binding;
  out?: Binding;
  n: number;
  /** leaky_relu: slope (default 0.01); scale: multiplier (default 1); clamp: low; axpby: weight of a (default 1). */
  alpha?: number;
  /** scale: offset (default 0); clamp: high; axpby: weight of b (default 1). */
  beta?: number;
  /** add_bcast: element i adds b[floor(i / inner) % bLen] (default inner 1, bLen n). */
  inner?: number;
  bLen?: number;
}

export interface PointwiseKernel {
  readonly label: string;
  encode(rec: Recorder, args: PointwiseArgs): void;
}

export async function pointwise(rt: GpuRuntime, op: PointwiseOp, opts: PointwiseOptions = {}): Promise<PointwiseKernel> {
  guard((POINTWISE_OPS as readonly string[]).includes(op), 'pointwise', `unknown op "${op}" (ops: ${POINTWISE_OPS.join(', ')})`);
  const inPlace = opts.inPlace ?? false;
  const residual = opts.residual ?? false;
  guard(!residual || op === 'add_bcast', 'pointwise', `only add_bcast fuses a residual (op ${op})`);
  const hasB = op === 'axpby' || op === 'add_bcast';
  const label = `pointwise.${op}${residual ? '-res' : ''}${inPlace ? '-inplace' : ''}`;
  const slots = ['a', ...(inPlace ? [] : ['out']), ...(hasB ? ['b'] : []), ...(residual ? ['r'] : [])];
  const pipeline = await rt.pipelines.get({
    shader: 'diffusion/pointwise',
    label,
    defines: { WG_SIZE: WG, [`OP_${op.toUpperCase()}`]: true, IN_PLACE: inPlace, HAS_B: hasB, RESIDUAL: residual, ...bindingSlots(slots) },
  });
  return {
    label,
    encode(rec, { a, b, r, out, n, alpha, beta, inner = 1, bLen = n }) {
      guardDim(label, 'n', n);
      guardIndex(label, 'a', n);
      guardBytes(label, 'a', a, n * 4);
      guard(inPlace === (out === undefined), label, inPlace ? 'in-place kernel takes no out' : 'needs out');
      if (out) guardBytes(label, 'out', out, n * 4);
      guard(hasB === (b !== undefined), label, hasB ? 'needs b' : 'takes no b');
      guard(residual === (r !== undefined), label, residual ? 'needs r' : 'takes no r');
      if (op === 'axpby') guardBytes(label, 'b', b!, n * 4);
      if (op === 'add_bcast') {
        guardDim(label, 'inner', inner);
        guardDim(label, 'bLen', bLen);
        guardBytes(label, 'b', b!, bLen * 4);
      }
      if (r) guardBytes(label, 'r', r, n * 4);
      const al = alpha ?? POINTWISE_DEFAULTS[op][0];
      const be = beta ?? POINTWISE_DEFAULTS[op][1];
      guard(Number.isFinite(al) && Number.isFinite(be), label, `alpha and beta must be finite (got ${al}, ${be})`);
      if (op === 'clamp') guard(al <= be, label, `clamp needs low <= high (got ${al}, ${be})`);
      const bindings = [a, ...(out ? [out] : []), ...(b ? [b] : []), ...(r ? [r] : [])];
      rec.dispatch({
        pipeline,
        label,
        bindings,
        workgroups: foldGroups(Math.ceil(n / WG)),
        uniforms: packUniforms([n, inner, bLen, { f32: al }, { f32: be }]),
      });
    },
  };
}
