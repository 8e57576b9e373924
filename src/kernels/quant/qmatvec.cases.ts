// Kernel cases for qmatvec: every weight type x every variant (rows, coop, coop with subgroups) on
// odd row counts, K at 1-16 blocks, outliers in x and W; F16 both native (shader-f16) and packed;
// fused bias / residual; weights split into row parts. Held against the dequantized weights
// (dequant.ts) with float64 accumulation, errors normalised per output by sum_k |x||w| (+|b|+|r|):
// the scale of f32 rounding in a dot product, so one tolerance model serves every type.
// Batch cases (qmatvecBatchCases): the same kernels compiled with `batch`, on T = 1, 2, 3, 7, 8
// tokens (TMAX = 8), held against the same reference with M = T.
// Tile cases (also in qmatvecBatchCases): the rows batch kernel with `tile` (8 rows x 8 tokens an
// invocation), compiled for 24 or 64 tokens, on T that are not multiples of 8 and N that are not
// multiples of 8 (clamped rows and tokens), dense K that end inside a chunk.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { qlinearRef } from '../ref/qmatmul';
import { QUANT_FORMATS, QUANT_TYPES, type QuantType } from './format';
import { testWeight } from './qdata';
import { qmatvec, QMATVEC_TMAX, type QmatvecVariant } from './qmatvec';

/**
 * f32 dot-product bound in units of sum|x||w|: K products and a sum of K terms each round once
 * (2^-24 relative, 6e-8), with 4x headroom for order and for the fma the compiler may contract
 * into `d * q - m` (which only moves a weight by an ulp of |d * q|).
 */
export const qdotTolerance = (K: number) => ({ atol: 4 * Math.max(K, 16) * 6e-8, rtol: 0 });

/** (N, K) per block size: N = 1, 3, 33, 257; K from one block to several; odd K for dense rows. */
export function qShapes(type: QuantType): [number, number][] {
  const bs = QUANT_FORMATS[type].blockSize;
  if (bs === 1) return [[1, 13], [3, 64], [33, 257], [257, 512]];
  if (bs === 32) return [[1, 32], [3, 64], [33, 256], [257, 512]];
  return [[1, 256], [3, 512], [33, 256], [257, 512]];
}

export interface MvCase {
  type: QuantType;
  N: number;
  K: number;
  variant: QmatvecVariant;
  subgroups?: boolean;
  /** F16 only: read as u32 pairs even with shader-f16. */
  packed?: boolean;
  bias?: boolean;
  residual?: boolean;
  /** Split the weight into row parts of this many rows. */
  split?: number;
  /** Tokens: compiles the kernel with `batch` and runs x [T, K] (absent: the T = 1 kernel). */
  T?: number;
  /** batch: compile for this many tokens (default QMATVEC_TMAX). */
  tokens?: number;
  /** batch + rows: the 8-row x 8-token tile. */
  tile?: boolean;
}

export function mvCase(c: MvCase): KernelCase {
  const { type, N, K, variant } = c;
  const batch = c.T !== undefined;
  const T = c.T ?? 1;
  const native = type === 'f16' && !c.packed;
  const name =
    `${type}${type === 'f16' ? (native ? '-native' : '-packed') : ''}${batch ? ` T=${T}` : ''} N=${N} K=${K} ${variant}${c.subgroups ? '-sg' : ''}` +
    `${c.bias ? ' +bias' : ''}${c.residual ? ' +res' : ''}${c.split ? ` split/${c.split}` : ''}` +
    `${c.tile ? ' tile' : ''}${c.tokens ? ` /t${c.tokens}` : ''}`;
  return {
    kernel: 'qmatvec',
    name,
    needs: { ...(native ? { f16: true } : {}), ...(c.subgroups ? { subgroups: true } : {}) },
    run: (rt) => {
      const seed = N * 131 + K * 7 + QUANT_TYPES.indexOf(type) + (batch ? T * 1009 : 0);
      const w = testWeight(type, N, K, seed, c.split);
      const x = randn(T * K, seed + 1, { outlierRate: 0.02 });
      const bias = c.bias ? randn(N, seed + 2, { outlierRate: 0 }) : undefined;
      const residual = c.residual ? randn(T * N, seed + 3, { scale: 3 }) : undefined;
      const ref = qlinearRef(x, w.ref, T, N, K, { bias, residual });
      return checkOp(rt, {
        kernel: 'qmatvec',
        name,
        inputs: { x, ...w.inputs, ...(bias ? { bias } : {}), ...(residual ? { r: residual } : {}) },
        outputs: { y: T * N * 4 },
        async prepare(rt) {
          if (native && !rt.caps.f16) throw new Error('native f16 case on a device without shader-f16');
          const k = await qmatvec(rt, {
            type, variant, subgroups: c.subgroups ?? false, forcePacked: c.packed, bias: c.bias, residual: c.residual, batch,
            tokens: c.tokens, tile: c.tile,
          });
          return {
            variant: k.label,
            encode: (rec, b) =>
              k.encode(rec, { x: b.x.buffer, parts: w.parts(b), y: b.y.buffer, N, K, T, bias: b.bias?.buffer, residual: b.r?.buffer }),
          };
        },
        reference: () => ref.out,
        normalize: byTermScale(ref.scale),
        tolerance: qdotTolerance(K),
      });
    },
  };
}

const VARIANTS: [QmatvecVariant, boolean][] = [['rows', false], ['coop', false], ['coop', true]];

function typeCases(type: QuantType): MvCase[] {
  const storages = type === 'f16' ? [false, true] : [false];
  const [, , [n33, k33]] = qShapes(type);
  return [
    ...storages.flatMap((packed) =>
      VARIANTS.flatMap(([variant, subgroups]) => qShapes(type).map(([N, K]) => ({ type, N, K, variant, subgroups, packed }))),
    ),
    { type, N: n33, K: k33, variant: 'rows', bias: true },
    { type, N: n33, K: k33, variant: 'coop', subgroups: true, bias: true, residual: true },
    { type, N: 257, K: k33, variant: 'rows', residual: true, split: 100 },
    { type, N: 257, K: k33, variant: 'coop', bias: true, split: 64 },
  ];
}

/** Every case: the Node tests run these on SwiftShader and lavapipe. */
export const qmatvecCases: KernelCase[] = QUANT_TYPES.flatMap(typeCases).map(mvCase);

/** Two per type for the in-app self-test (SwiftShader in the browser is slow): both variants on a
 *  mid shape, one with the fused epilogue on a split weight. F16 packed, which every device runs.
 *  Q5_0/Q5_1 get one each: they add a reader, not a variant, and the variants are covered above. */
export const qmatvecQuickCases: KernelCase[] = QUANT_TYPES.flatMap((type): MvCase[] => {
  const [, , [N, K]] = qShapes(type);
  if (type === 'q5_0' || type === 'q5_1') return [{ type, N, K, variant: 'rows', bias: true, residual: true, split: 16 }];
  return [
    { type, N, K, variant: 'rows', packed: type === 'f16' },
    { type, N, K, variant: 'coop', subgroups: true, packed: type === 'f16', bias: true, residual: true, split: 16 },
  ];
}).map(mvCase);

/** (T, N, K) per block size for the batch kernel: T = 2, 3, 7, TMAX against N = 1, 33, 257. */
export function qBatchShapes(type: QuantType): [number, number, number][] {
  const bs = QUANT_FORMATS[type].blockSize;
  const [k1, k2, k3, k4] = bs === 1 ? [13, 257, 64, 512] : bs === 32 ? [32, 256, 64, 512] : [256, 512, 256, 512];
  return [[2, 1, k1], [3, 33, k2], [7, 257, k3], [QMATVEC_TMAX, 33, k4]];
}

function batchTypeCases(type: QuantType): MvCase[] {
  const storages = type === 'f16' ? [false, true] : [false];
  const shapes = qBatchShapes(type);
  const [, [, n33, k33]] = shapes;
  return storages.flatMap((packed): MvCase[] => [
    ...shapes.map(([T, N, K]): MvCase => ({ type, T, N, K, variant: 'rows', packed })),
    ...shapes.map(([T, N, K], i): MvCase => ({ type, T, N, K, variant: 'coop', subgroups: i % 2 === 1, packed })),
    { type, T: 1, N: n33, K: k33, variant: 'rows', packed },
    { type, T: QMATVEC_TMAX, N: 257, K: k33, variant: 'rows', bias: true, residual: true, split: 100, packed },
    { type, T: 3, N: 257, K: k33, variant: 'coop', subgroups: true, bias: true, split: 64, packed },
  ]);
}


/** Three for the in-app self-test: the rows loop with the fused epilogue on a split weight, the
 *  coop loop's per-token reductions, and a 5-bit reader at TMAX. */
export const qmatvecBatchQuickCases: KernelCase[] = [
  mvCase({ type: 'q4_k', T: 3, N: 33, K: 512, variant: 'rows', bias: true, residual: true, split: 20 }),
  mvCase({ type: 'q8_0', T: 7, N: 257, K: 64, variant: 'coop', subgroups: true }),
  mvCase({ type: 'q5_1', T: QMATVEC_TMAX, N: 33, K: 256, variant: 'rows' }),
];

/** (T, N, K) per block size for the tile kernel compiled for 24 tokens: T = 1, 3, 9, 24 (partial
 *  and whole token tiles), N = 1, 3, 33, 257 (partial row tiles), dense K ending inside a chunk. */
export function qTileShapes(type: QuantType): [number, number, number][] {
  const bs = QUANT_FORMATS[type].blockSize;
  const [k1, k2, k3, k4] = bs === 1 ? [13, 257, 64, 100] : bs === 32 ? [32, 256, 64, 96] : [256, 512, 256, 256];
  return [[1, 3, k1], [3, 33, k2], [9, 257, k3], [24, 1, k4], [17, 33, k1]];
}

function tileTypeCases(type: QuantType): MvCase[] {
  const storages = type === 'f16' ? [false, true] : [false];
  const [, [, n33, k33]] = qTileShapes(type);
  return storages.flatMap((packed): MvCase[] => [
    ...qTileShapes(type).map(([T, N, K]): MvCase => ({ type, T, N, K, variant: 'rows', tile: true, tokens: 24, packed })),
    { type, T: 64, N: n33, K: k33, variant: 'rows', tile: true, tokens: 64, packed },
    { type, T: 11, N: 257, K: k33, variant: 'rows', tile: true, tokens: 24, bias: true, residual: true, split: 100, packed },
  ]);
}

/** Every batch case, plain and tiled (src/kernels/quant/qmatvec-batch.test.ts). */
export const qmatvecBatchCases: KernelCase[] = QUANT_TYPES.flatMap((t) => [...batchTypeCases(t), ...tileTypeCases(t)]).map(mvCase);

/** Two for the in-app self-test: a partial tile with the fused epilogue on a split weight, and a K-quant at 64 tokens. */
export const qmatvecTileQuickCases: KernelCase[] = [
  mvCase({ type: 'q4_0', T: 11, N: 33, K: 256, variant: 'rows', tile: true, tokens: 24, bias: true, residual: true, split: 20 }),
  mvCase({ type: 'q4_k', T: 64, N: 9, K: 256, variant: 'rows', tile: true, tokens: 64 }),
];
