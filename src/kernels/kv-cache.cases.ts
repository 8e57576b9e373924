// Kernel cases for the KV-cache writer: the T new rows land at positions pos0 .. pos0 + T - 1 of
// both caches and nothing else changes (every other row holds a sentinel that must survive), for
// the f32 copies and the f16 packing kernel, with odd sizes (one row, a head of 2, hd 80, many
// rows past one workgroup).
//
// Tolerance: exact. The f32 writer copies bytes. The f16 writer must store exactly what
// kvRoundF16 computes (nearest half, ties to even, saturated at +-65504): the inputs include
// ties, subnormal halves, values that underflow to zero and values past the f16 range, and the
// comparison unpacks both sides to numbers. WGSL lets pack2x16float pick either neighbouring
// half, but the attention cases and the model's greedy tests hold the GPU against a reference
// that rounds to nearest even, so a driver that rounds otherwise should fail here, by name,
// before it fails there. (SwiftShader and Mesa lavapipe round to nearest even.)
import { checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { f16BitsToF32, packF16Pairs } from '../util/f16';
import { kvWriter, type KvDtype } from './kv-cache';
import { kvRoundF16 } from './ref/attention';

const EXACT = { atol: 0, rtol: 0 };
const SENTINEL = -7.25;

interface WriteCase {
  dtype: KvDtype;
  T: number;
  pos0: number;
  nKvHeads: number;
  headDim: number;
}

/** Values that probe the rounding: ties between halves, subnormal halves, underflow, overflow. */
const EDGES = [
  1 + 2 ** -11, 1 + 3 * 2 ** -11, -(2 + 2 ** -10), 2049, 2051, 4097, 0.1, -1 / 3,
  2 ** -15, 2 ** -20, 1.5 * 2 ** -24, 2 ** -25, 2 ** -26, -0, 1e-30,
  65504, 65519, 65520, -70000, 1e9,
];

/** f32 rows [T, nKvHeads, headDim]: gaussians with outliers, the edge values first. */
function rows(n: number, seed: number): Float32Array {
  const x = randn(n, seed, { scale: 3 });
  x.set(EDGES.slice(0, n));
  return x;
}

/** The f16 cache as the numbers it holds (two halves per u32, low half first). */
function unpackPairs(bits: Uint32Array): Float32Array {
  const out = new Float32Array(bits.length * 2);
  for (let i = 0; i < bits.length; i++) {
    out[2 * i] = f16BitsToF32(bits[i] & 0xffff);
    out[2 * i + 1] = f16BitsToF32(bits[i] >>> 16);
  }
  return out;
}

function writeCase(c: WriteCase, seed: number): KernelCase {
  const name = `${c.dtype} T=${c.T} pos0=${c.pos0} kvHeads=${c.nKvHeads} hd=${c.headDim}`;
  return {
    kernel: 'kv-cache',
    name,
    run: (rt) => {
      const { T, pos0, nKvHeads, headDim, dtype } = c;
      const nCtx = pos0 + T + 2;
      const row = nKvHeads * headDim;
      const k = rows(T * row, seed);
      const v = rows(T * row, seed + 1).map((x) => -x);
      const stored = (x: Float32Array) => (dtype === 'f16' ? kvRoundF16(x) : x);
      // Expected caches, k then v, as numbers: sentinel rows around the written ones.
      const want = new Float32Array(2 * nCtx * row).fill(SENTINEL);
      want.set(stored(k), pos0 * row);
      want.set(stored(v), (nCtx + pos0) * row);
      const before = new Float32Array(nCtx * row).fill(SENTINEL);
      const cacheInit = dtype === 'f16' ? packF16Pairs(before) : before;
      return checkOp(rt, {
        kernel: 'kv-cache',
        name,
        inputs: { k, v, kCache: cacheInit, vCache: cacheInit },
        // The written caches are read back as one buffer: [k cache | v cache].
        outputs: { both: 2 * cacheInit.byteLength },
        async prepare(rt) {
          const w = await kvWriter(rt, dtype);
          return {
            variant: w.label,
            encode: (rec, b) => {
              w.encode(rec, { k: b.k.buffer, v: b.v.buffer, kCache: b.kCache.buffer, vCache: b.vCache.buffer, T, pos0, nCtx, nKvHeads, headDim });
              rec.copy(b.kCache.buffer, 0, b.both.buffer, 0, cacheInit.byteLength);
              rec.copy(b.vCache.buffer, 0, b.both.buffer, cacheInit.byteLength, cacheInit.byteLength);
            },
          };
        },
        // For f16 the GPU result holds packed bits: the reference is packed the same way and both
        // are unpacked to numbers before comparing (views of the same bytes, never copied as floats).
        reference: () => (dtype === 'f16' ? new Float32Array(packF16Pairs(want).buffer) : want),
        normalize:
          dtype === 'f16'
            ? (g, r) => [unpackPairs(new Uint32Array(g.buffer, g.byteOffset, g.length)), unpackPairs(new Uint32Array(r.buffer, r.byteOffset, r.length))]
            : undefined,
        tolerance: EXACT,
      });
    },
  };
}

export const kvCacheCases: KernelCase[] = [
  writeCase({ dtype: 'f32', T: 3, pos0: 5, nKvHeads: 2, headDim: 48 }, 1),
  writeCase({ dtype: 'f16', T: 1, pos0: 0, nKvHeads: 1, headDim: 2 }, 2),
  writeCase({ dtype: 'f16', T: 1, pos0: 37, nKvHeads: 2, headDim: 64 }, 3),
  writeCase({ dtype: 'f16', T: 7, pos0: 3, nKvHeads: 3, headDim: 80 }, 4),
  writeCase({ dtype: 'f16', T: 70, pos0: 100, nKvHeads: 2, headDim: 128 }, 5),
];
