// elementwise: add, mul, silu_mul (binary, b broadcast over rows) and silu, gelu, gelu_tanh (unary).
// Shader: shaders/elementwise.wgsl. In-place variants overwrite `a` (a residual add, say).
import type { GpuRuntime } from '../runtime/runtime';
import type { Recorder } from '../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from './common';

export const BINARY_OPS = ['add', 'mul', 'silu_mul'] as const;
export const UNARY_OPS = ['silu', 'gelu', 'gelu_tanh'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
export type UnaryOp = (typeof UNARY_OPS)[number];
export type ElementwiseOp = BinaryOp | UnaryOp;

const WG = 256;

export interface ElementwiseArgs {
  a: Binding;
  /** Second operand for binary ops; `bLen` elements, repeated when shorter than n. */
  b?: Binding;
  /** Result (omit for in-place kernels). */
  out?: Binding;
  n: number;
  bLen?: number;
}

export interface ElementwiseKernel {
  readonly label: string;
  encode(rec: Recorder, args: ElementwiseArgs): void;
}

export function isBinary(op: ElementwiseOp): op is BinaryOp {
  return (BINARY_OPS as readonly string[]).includes(op);
}

export async function elementwise(rt: GpuRuntime, op: ElementwiseOp, opts: { inPlace?: boolean } = {}): Promise<ElementwiseKernel> {
  const binary = isBinary(op);
  const inPlace = opts.inPlace ?? false;
  const label = `elementwise.${op}${inPlace ? '-inplace' : ''}`;
  const pipeline = await rt.pipelines.get({
    shader: 'elementwise',
    label,
    defines: { WG_SIZE: WG, [`OP_${op.toUpperCase()}`]: true, BINARY: binary, IN_PLACE: inPlace },
  });
  return {
    label,
    encode(rec, { a, b, out, n, bLen }) {
      guardDim(label, 'n', n);
      guardIndex(label, 'the operand', n);
      guardBytes(label, 'a', a, n * 4);
      const bl = bLen ?? n;
      if (binary) {
        guard(b !== undefined, label, 'binary op needs b');
        guardDim(label, 'bLen', bl);
        guard(n % bl === 0, label, `bLen must divide n (n=${n}, bLen=${bl})`);
        guardBytes(label, 'b', b, bl * 4);
      }
      guard(inPlace === (out === undefined), label, inPlace ? 'in-place kernel takes no out' : 'needs out');
      if (out) guardBytes(label, 'out', out, n * 4);
      const bindings = [a, ...(binary && b ? [b] : []), ...(out ? [out] : [])];
      const [x, y] = foldGroups(Math.ceil(n / WG));
      rec.dispatch({ pipeline, label, bindings, workgroups: [x, y], uniforms: packUniforms([n, bl]) });
    },
  };
}
