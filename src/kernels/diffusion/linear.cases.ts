// Kernel cases for the diffusion linear layer (the shared tiled matmul, then the bias / residual
// epilogue): token counts and widths that are not multiples of the 64x64 tile, with and without
// bias and residual, every weight storage (f16 cases against the f16-rounded weights).
// Tolerance: a dot product of K terms plus bias and residual, judged on sum |a w| + |bias| + |res|
// with the matmul's f32 bound (4 * K * 6e-8), the epilogue adding two roundings at most.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { denseWeights, dotTolerance, weightTypeOf, type StorageCase } from '../matmul.cases';
import { matmulAbsRef, matmulRef } from '../ref/matmul';
import { linear } from './linear';

function linearCase(M: number, N: number, K: number, storage: StorageCase, bias: boolean, residual: boolean, seed: number): KernelCase {
  const name = `M=${M} N=${N} K=${K} ${storage}${bias ? ' bias' : ''}${residual ? ' residual' : ''}`;
  return {
    kernel: 'linear',
    name,
    needs: storage === 'f16' ? { f16: true } : undefined,
    run: (rt) => {
      const a = randn(M * K, seed);
      const w = denseWeights(randn(N * K, seed + 1, { scale: 0.3 }), storage);
      const b = bias ? randn(N, seed + 2, { outlierRate: 0 }) : undefined;
      const r = residual ? randn(M * N, seed + 3) : undefined;
      const epilogue = (base: Float32Array, abs: boolean) =>
        base.map((v, i) => v + (b ? (abs ? Math.abs(b[i % N]) : b[i % N]) : 0) + (r ? (abs ? Math.abs(r[i]) : r[i]) : 0));
      return checkOp(rt, {
        kernel: 'linear',
        name,
        inputs: { a, w: w.data, ...(b ? { b } : {}), ...(r ? { r } : {}) },
        outputs: { out: M * N * 4 },
        async prepare(rt) {
          const k = await linear(rt, { weights: weightTypeOf(storage), forcePacked: storage === 'f16-packed', bias, residual });
          return {
            variant: k.label,
            encode: (rec, buf) => k.encode(rec, { a: buf.a.buffer, w: buf.w.buffer, bias: buf.b?.buffer, residual: buf.r?.buffer, out: buf.out.buffer, M, N, K }),
          };
        },
        reference: () => epilogue(matmulRef(a, w.ref, M, N, K), false),
        normalize: byTermScale(epilogue(matmulAbsRef(a, w.ref, M, N, K), true)),
        tolerance: dotTolerance(K + 2),
      });
    },
  };
}

export const linearCases: KernelCase[] = [
  linearCase(1, 1, 1, 'f32', true, false, 4100),
  linearCase(2, 33, 320, 'f32', true, false, 4101),
  linearCase(70, 65, 40, 'f16-packed', true, true, 4102),
  linearCase(37, 96, 33, 'f32', false, true, 4103),
  linearCase(65, 40, 96, 'f16', true, true, 4104),
  linearCase(3, 130, 17, 'f16-packed', false, false, 4105),
  linearCase(5, 24, 40, 'i8', true, true, 4106),
];
