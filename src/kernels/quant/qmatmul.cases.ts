// Kernel cases for qmatmul: every weight type on M = 1, 3, 17, 65 rows against N = 1, 3, 33, 257
// (none a multiple of the 64x64 tile), K from one block to 16; the f32 and (with shader-f16) f16
// dequantized tile; F16 weights native and packed; fused bias + residual; split weights.
// Same error model as qmatvec (qmatvec.cases.ts). The f16-tile cases are held against the
// f16-rounded dequantized weights, with 2^-11 of extra room: if the GPU rounds some weights the
// other way (its f32 dequant may differ by an ulp through fma contraction, or it may flush f16
// subnormals), each moves by at most an f16 ulp, i.e. at most 2^-11 of sum|a||w| in all.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { roundToF16 } from '../../util/f16';
import { qlinearRef } from '../ref/qmatmul';
import { QUANT_FORMATS, QUANT_TYPES, type QuantType } from './format';
import { testWeight } from './qdata';
import { qdotTolerance } from './qmatvec.cases';
import { qmatmul } from './qmatmul';

export function mmShapes(type: QuantType): [number, number, number][] {
  const bs = QUANT_FORMATS[type].blockSize;
  const [k1, k2, k3] = bs === 1 ? [13, 64, 257] : bs === 32 ? [32, 64, 512] : [256, 512, 256];
  return [[1, 33, k1], [3, 257, k2], [17, 1, k3], [65, 3, k1], [65, 33, k2]];
}

export interface MmCase {
  type: QuantType;
  M: number;
  N: number;
  K: number;
  tileF16: boolean;
  packed?: boolean;
  bias?: boolean;
  residual?: boolean;
  split?: number;
}

export function mmCase(c: MmCase): KernelCase {
  const { type, M, N, K, tileF16 } = c;
  const native = type === 'f16' && !c.packed;
  const name =
    `${type}${type === 'f16' ? (native ? '-native' : '-packed') : ''} M=${M} N=${N} K=${K} tile-${tileF16 ? 'f16' : 'f32'}` +
    `${c.bias ? ' +bias' : ''}${c.residual ? ' +res' : ''}${c.split ? ` split/${c.split}` : ''}`;
  return {
    kernel: 'qmatmul',
    name,
    needs: native || tileF16 ? { f16: true } : undefined,
    run: (rt) => {
      const seed = M * 1009 + N * 131 + K * 7 + QUANT_TYPES.indexOf(type);
      const w = testWeight(type, N, K, seed, c.split);
      const a = randn(M * K, seed + 1, { outlierRate: 0.02 });
      const bias = c.bias ? randn(N, seed + 2, { outlierRate: 0 }) : undefined;
      const residual = c.residual ? randn(M * N, seed + 3, { scale: 3 }) : undefined;
      const ref = qlinearRef(a, tileF16 ? roundToF16(w.ref) : w.ref, M, N, K, { bias, residual });
      const tol = qdotTolerance(K);
      return checkOp(rt, {
        kernel: 'qmatmul',
        name,
        inputs: { a, ...w.inputs, ...(bias ? { bias } : {}), ...(residual ? { r: residual } : {}) },
        outputs: { out: M * N * 4 },
        async prepare(rt) {
          const k = await qmatmul(rt, { type, tileF16, forcePacked: c.packed, bias: c.bias, residual: c.residual });
          if (tileF16 !== k.label.includes('tile64-f16')) throw new Error(`${k.label}: asked for tileF16=${tileF16}`);
          return {
            variant: k.label,
            encode: (rec, b) =>
              k.encode(rec, { a: b.a.buffer, parts: w.parts(b), out: b.out.buffer, M, N, K, bias: b.bias?.buffer, residual: b.r?.buffer }),
          };
        },
        reference: () => ref.out,
        normalize: byTermScale(ref.scale),
        tolerance: tileF16 ? { atol: tol.atol + 2 ** -11, rtol: 0 } : tol,
      });
    },
  };
}

function typeCases(type: QuantType): MmCase[] {
  const shapes = mmShapes(type);
  const tiles = type === 'f32' ? [false] : [false, true];
  const storages = type === 'f16' ? [false, true] : [false];
  const [, , , , [M, N, K]] = shapes;
  return [
    ...storages.flatMap((packed) => tiles.flatMap((tileF16) => shapes.map(([M, N, K]) => ({ type, M, N, K, tileF16, packed })))),
    { type, M, N, K, tileF16: false, bias: true, residual: true },
    { type, M: 17, N: 257, K, tileF16: false, bias: true, residual: true, split: 100 }, // same pipeline: compiles cost seconds on SwiftShader
  ];
}

export const qmatmulCases: KernelCase[] = QUANT_TYPES.flatMap(typeCases).map(mmCase);

/** Three for the in-app self-test (each tiled pipeline takes ~1 s to compile on SwiftShader): the
 *  tile loop is shared by every type, whose readers the qmatvec quick cases cover one by one. */
export const qmatmulQuickCases: KernelCase[] = [
  mmCase({ type: 'q4_k', M: 17, N: 33, K: 512, tileF16: false, bias: true, residual: true, split: 20 }),
  mmCase({ type: 'q6_k', M: 65, N: 3, K: 256, tileF16: false }),
  mmCase({ type: 'q8_0', M: 3, N: 257, K: 64, tileF16: false }),
];
