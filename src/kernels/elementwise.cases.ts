// Kernel cases for elementwise ops: every op on odd sizes, broadcasting, in-place, outliers.
import { checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { BINARY_OPS, UNARY_OPS, elementwise, type ElementwiseOp } from './elementwise';
import { elementwiseRef } from './ref/elementwise';

const TOL: Record<ElementwiseOp, { atol: number; rtol: number }> = {
  add: { atol: 1e-7, rtol: 1e-6 },
  mul: { atol: 1e-7, rtol: 1e-6 },
  silu_mul: { atol: 2e-6, rtol: 2e-5 },
  silu: { atol: 1e-6, rtol: 1e-5 },
  gelu: { atol: 5e-6, rtol: 1e-5 },
  gelu_tanh: { atol: 5e-6, rtol: 1e-5 },
};

function opCase(op: ElementwiseOp, n: number, bLen: number | undefined, inPlace: boolean, seed: number): KernelCase {
  const binary = (BINARY_OPS as readonly string[]).includes(op);
  const name = `${op}${inPlace ? ' in-place' : ''} n=${n}${binary && bLen !== n ? ` b=${bLen}` : ''}`;
  return {
    kernel: 'elementwise',
    name,
    run: (rt) => {
      const a = randn(n, seed, { scale: 3 });
      const b = binary ? randn(bLen ?? n, seed + 1) : undefined;
      return checkOp(rt, {
        kernel: 'elementwise',
        name,
        inputs: b ? { a, b } : { a },
        outputs: inPlace ? {} : { out: n * 4 },
        async prepare(rt) {
          const k = await elementwise(rt, op, { inPlace });
          return {
            variant: k.label,
            encode: (rec, buf) => k.encode(rec, { a: buf.a.buffer, b: buf.b?.buffer, out: buf.out?.buffer, n, bLen }),
          };
        },
        compare: inPlace ? 'a' : 'out',
        reference: () => elementwiseRef(op, a, b),
        tolerance: TOL[op],
      });
    },
  };
}

export const elementwiseCases: KernelCase[] = [
  ...[...BINARY_OPS, ...UNARY_OPS].flatMap((op, i) => [1, 3, 257, 70001].map((n) => opCase(op, n, n, false, 100 + i * 10 + n))),
  opCase('add', 33 * 7, 33, false, 7),
  opCase('mul', 257 * 3, 257, false, 8),
  opCase('add', 1025, 1025, true, 9),
];
