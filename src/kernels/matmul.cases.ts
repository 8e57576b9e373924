// Kernel cases for the tiled matmul: shapes that are not multiples of the 64x64 tile or the K step,
// outliers, and every weight storage (f32, f16 packed in u32, native f16 where the device has it).
// f16 cases are held against the reference on the f16-rounded weights, so only kernel error counts.
// Errors are judged relative to sum_k |a||w| per output: the scale of f32 rounding in a dot product.
import { dequantI8Blocks, packI8Blocks, type DenseWeightType } from './weights';
import { byTermScale, checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { matmul } from './matmul';
import { matmulAbsRef, matmulRef } from './ref/matmul';
import { packF16Pairs, roundToF16 } from '../util/f16';

export type StorageCase = 'f32' | 'f16-packed' | 'f16' | 'i8';

/** The weights as uploaded, and the values the kernel sees (f16-rounded or int8-dequantized). */
export function denseWeights(w: Float32Array, storage: StorageCase): { data: ArrayBufferView; ref: Float32Array } {
  if (storage === 'f32') return { data: w, ref: w };
  if (storage === 'i8') {
    const packed = packI8Blocks(w);
    return { data: packed, ref: dequantI8Blocks(packed, w.length) };
  }
  return { data: packF16Pairs(w), ref: roundToF16(w) };
}

/** The kernel option for a storage case. */
export function weightTypeOf(storage: StorageCase): DenseWeightType {
  return storage === 'f32' || storage === 'i8' ? storage : 'f16';
}

/** f32 dot-product rounding bound (K terms), in units of sum|a||w|, with headroom. */
export const dotTolerance = (K: number) => ({ atol: 4 * Math.max(K, 16) * 6e-8, rtol: 0 });

const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 33, 257], [33, 3, 65], [65, 130, 17], [1, 257, 33], [70, 70, 70]];

function mmCase(M: number, N: number, K: number, storage: StorageCase): KernelCase {
  const name = `M=${M} N=${N} K=${K} ${storage}`;
  return {
    kernel: 'matmul',
    name,
    needs: storage === 'f16' ? { f16: true } : undefined,
    run: (rt) => {
      const a = randn(M * K, M * 1000 + K);
      const w = denseWeights(randn(N * K, N * 1000 + K + 1, { scale: 0.5 }), storage);
      return checkOp(rt, {
        kernel: 'matmul',
        name,
        inputs: { a, w: w.data },
        outputs: { out: M * N * 4 },
        async prepare(rt) {
          const k = await matmul(rt, { weights: weightTypeOf(storage), forcePacked: storage === 'f16-packed' });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { a: b.a.buffer, w: b.w.buffer, out: b.out.buffer, M, N, K }) };
        },
        reference: () => matmulRef(a, w.ref, M, N, K),
        normalize: byTermScale(matmulAbsRef(a, w.ref, M, N, K)),
        tolerance: dotTolerance(K),
      });
    },
  };
}

export const matmulCases: KernelCase[] = [
  ...(['f32', 'f16-packed', 'f16'] as const).flatMap((s) => SHAPES.map(([M, N, K]) => mmCase(M, N, K, s))),
  // int8 blocks of 32 that straddle rows (K = 33, 17) and a partial last block.
  ...([[3, 33, 257], [65, 130, 17], [70, 70, 70]] as const).map(([M, N, K]) => mmCase(M, N, K, 'i8')),
];
