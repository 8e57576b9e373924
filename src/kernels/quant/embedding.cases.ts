// Kernel cases for the embedding lookup: every table type, T = 1, 3, 17, 65 tokens with repeated
// ids and ids past the table (which must read as zeros), tables split into row parts, odd K for
// dense rows. The result is a copy of dequantized values, so the tolerance is one f32 ulp of the
// largest weight (|w| <= ~23 here, ulp 2^-19), x4: the GPU may fuse `d * q - m` into one fma
// where dequant.ts rounds twice. Everything else must match exactly.
import { checkOp, type KernelCase } from '../check/cases';
import { mulberry32 } from '../../util/rng';
import { embeddingRef } from '../ref/qmatmul';
import { QUANT_FORMATS, QUANT_TYPES, type QuantType } from './format';
import { testWeight } from './qdata';
import { embedding } from './embedding';

export interface EmbCase {
  type: QuantType;
  rows: number;
  K: number;
  T: number;
  packed?: boolean;
  split?: number;
}

function tokenIds(T: number, rows: number, seed: number): Uint32Array {
  const rand = mulberry32(seed);
  const ids = Uint32Array.from({ length: T }, () => Math.floor(rand() * rows));
  if (T >= 3) {
    ids[1] = ids[0]; // a repeat
    ids[T - 1] = rows; // one past the table
  }
  if (T >= 17) ids[T - 2] = 0xffffffff;
  return ids;
}

export function embCase(c: EmbCase): KernelCase {
  const { type, rows, K, T } = c;
  const native = type === 'f16' && !c.packed;
  const name = `${type}${type === 'f16' ? (native ? '-native' : '-packed') : ''} rows=${rows} K=${K} T=${T}${c.split ? ` split/${c.split}` : ''}`;
  return {
    kernel: 'embedding',
    name,
    needs: native ? { f16: true } : undefined,
    run: (rt) => {
      const seed = rows * 131 + K * 7 + T + QUANT_TYPES.indexOf(type);
      const w = testWeight(type, rows, K, seed, c.split);
      const ids = tokenIds(T, rows, seed + 1);
      return checkOp(rt, {
        kernel: 'embedding',
        name,
        inputs: { ids, ...w.inputs },
        outputs: { out: T * K * 4 },
        async prepare(rt) {
          const k = await embedding(rt, { type, forcePacked: c.packed });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { ids: b.ids.buffer, parts: w.parts(b), out: b.out.buffer, T, rows, K }) };
        },
        reference: () => embeddingRef(w.ref, rows, K, ids),
        tolerance: { atol: 4 * 2 ** -19, rtol: 0 },
      });
    },
  };
}

function typeCases(type: QuantType): EmbCase[] {
  const bs = QUANT_FORMATS[type].blockSize;
  const [k1, k2] = bs === 1 ? [13, 64] : bs === 32 ? [32, 96] : [256, 512];
  const storages = type === 'f16' ? [false, true] : [false];
  return storages.flatMap((packed) => [
    { type, rows: 1, K: k1, T: 1, packed },
    { type, rows: 33, K: k2, T: 3, packed },
    { type, rows: 257, K: k1, T: 17, packed, split: 100 },
    { type, rows: 65, K: k2, T: 65, packed, split: 7 },
  ]);
}

export const embeddingCases: KernelCase[] = QUANT_TYPES.flatMap(typeCases).map(embCase);

/** One per type for the in-app self-test: a split table, out-of-range ids. */
export const embeddingQuickCases: KernelCase[] = QUANT_TYPES.map((type) =>
  embCase({ type, rows: 65, K: QUANT_FORMATS[type].blockSize === 256 ? 256 : 64, T: 17, packed: type === 'f16', split: 30 }),
);
