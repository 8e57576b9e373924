// Kernel cases for matvec: both variants (rows, coop with and without subgroups), every weight
// storage, odd shapes, outliers. Same error model as matmul (see matmul.cases.ts).
import { byTermScale, checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { denseWeights, dotTolerance, type StorageCase } from './matmul.cases';
import { matvec, type MatvecVariant } from './matvec';
import { matmulAbsRef, matmulRef } from './ref/matmul';

const SHAPES: [number, number][] = [[1, 1], [3, 33], [257, 257], [1000, 96], [33, 4097]];

function mvCase(N: number, K: number, storage: StorageCase, variant: MatvecVariant, subgroups: boolean): KernelCase {
  const name = `N=${N} K=${K} ${variant}${subgroups ? '-sg' : ''} ${storage}`;
  return {
    kernel: 'matvec',
    name,
    needs: { ...(storage === 'f16' ? { f16: true } : {}), ...(subgroups ? { subgroups: true } : {}) },
    run: (rt) => {
      const x = randn(K, K + 3);
      const w = denseWeights(randn(N * K, N * 7 + K, { scale: 0.5 }), storage);
      return checkOp(rt, {
        kernel: 'matvec',
        name,
        inputs: { x, w: w.data },
        outputs: { y: N * 4 },
        async prepare(rt) {
          const k = await matvec(rt, { weights: storage === 'f32' ? 'f32' : 'f16', forcePacked: storage === 'f16-packed', variant, subgroups });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, w: b.w.buffer, y: b.y.buffer, N, K }) };
        },
        reference: () => matmulRef(x, w.ref, 1, N, K),
        normalize: byTermScale(matmulAbsRef(x, w.ref, 1, N, K)),
        tolerance: dotTolerance(K),
      });
    },
  };
}

const VARIANTS: [MatvecVariant, boolean][] = [['rows', false], ['coop', false], ['coop', true]];

export const matvecCases: KernelCase[] = (['f32', 'f16-packed', 'f16'] as const).flatMap((s) =>
  VARIANTS.flatMap(([v, sg]) => SHAPES.map(([N, K]) => mvCase(N, K, s, v, sg))),
);
