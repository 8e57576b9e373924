// Kernel cases for rope: both orderings, partial rotation, long positions (32k), llama3 factors,
// linear scaling, odd head sizes (48, 80), decode (T = 1) and the q+k helper.
//
// Tolerance: the reference is float64 with exact angles. The shader's angle is good to ~1e-6
// turns at any position (see shaders/rope.wgsl), sin/cos add ~1e-7, so an output is off by about
// |x| * 1e-5 at worst: atol 2e-5 covers |x| ~ 1 inputs and rtol 2e-5 the outliers (|x| up to ~50).
// (Measured worst: 3.2e-5 at pos 32k on an outlier. By estimate, a plain f32 theta = pos * inv_freq
// would be off by ~1e-2 there; the builtin sin/cos on SwiftShader were off by 7e-3 at any pos.)
import { checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { llama3RopeFactors, rope, ropeTable, type RopeFrequencies, type RopeMode } from './rope';
import { ropeRef } from './ref/rope';

const TOL = { atol: 2e-5, rtol: 2e-5 };

interface RopeShape {
  mode: RopeMode;
  T: number;
  nHeads: number;
  headDim: number;
  pos0: number;
  freqs: RopeFrequencies;
  note?: string;
}

function ropeCase(s: RopeShape, seed: number): KernelCase {
  const name = `${s.mode} T=${s.T} heads=${s.nHeads} hd=${s.headDim} rot=${s.freqs.rotDim} pos0=${s.pos0}${s.note ? ` ${s.note}` : ''}`;
  return {
    kernel: 'rope',
    name,
    run: (rt) => {
      const n = s.T * s.nHeads * s.headDim;
      const x = randn(n, seed, { scale: 1.5 });
      const table = ropeTable(s.freqs);
      return checkOp(rt, {
        kernel: 'rope',
        name,
        inputs: { x, table },
        outputs: {},
        compare: 'x',
        async prepare(rt) {
          const k = await rope(rt, s.mode);
          return {
            variant: k.label,
            encode: (rec, b) =>
              k.encode(rec, { x: b.x.buffer, table: b.table.buffer, T: s.T, nHeads: s.nHeads, headDim: s.headDim, rotDim: s.freqs.rotDim, pos0: s.pos0 }),
          };
        },
        reference: () => ropeRef(x, s.mode, s, s.freqs),
        tolerance: TOL,
      });
    },
  };
}

/** encodeQK: q and k in one recording; k (fewer heads) is compared, q is covered by the cases above. */
function qkCase(mode: RopeMode): KernelCase {
  const [T, nHeads, nKvHeads, headDim, pos0] = [5, 6, 2, 64, 4090];
  const freqs: RopeFrequencies = { base: 1e6, rotDim: headDim };
  const name = `${mode} encodeQK T=${T} heads=${nHeads}/${nKvHeads} hd=${headDim} pos0=${pos0}`;
  return {
    kernel: 'rope',
    name,
    run: (rt) => {
      const q = randn(T * nHeads * headDim, 91);
      const k = randn(T * nKvHeads * headDim, 92);
      return checkOp(rt, {
        kernel: 'rope',
        name,
        inputs: { q, k, table: ropeTable(freqs) },
        outputs: {},
        compare: 'k',
        async prepare(rt) {
          const kern = await rope(rt, mode);
          return {
            variant: kern.label,
            encode: (rec, b) =>
              kern.encodeQK(rec, { q: b.q.buffer, k: b.k.buffer, table: b.table.buffer, T, nHeads, nKvHeads, headDim, rotDim: headDim, pos0 }),
          };
        },
        reference: () => ropeRef(k, mode, { T, nHeads: nKvHeads, headDim, pos0 }, freqs),
        tolerance: TOL,
      });
    },
  };
}

const llama3: RopeFrequencies = {
  base: 500000,
  rotDim: 64,
  freqFactors: llama3RopeFactors({ base: 500000, rotDim: 64, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 }),
};

export const ropeCases: KernelCase[] = [
  ropeCase({ mode: 'normal', T: 3, nHeads: 5, headDim: 64, pos0: 0, freqs: { base: 10000, rotDim: 64 } }, 1),
  ropeCase({ mode: 'neox', T: 3, nHeads: 5, headDim: 64, pos0: 0, freqs: { base: 10000, rotDim: 64 } }, 2),
  ropeCase({ mode: 'neox', T: 4, nHeads: 3, headDim: 128, pos0: 32000, freqs: { base: 1e6, rotDim: 128 } }, 3),
  ropeCase({ mode: 'normal', T: 4, nHeads: 3, headDim: 128, pos0: 32000, freqs: { base: 10000, rotDim: 128 } }, 4),
  ropeCase({ mode: 'neox', T: 7, nHeads: 3, headDim: 80, pos0: 17, freqs: { base: 10000, rotDim: 80 } }, 5),
  ropeCase({ mode: 'normal', T: 5, nHeads: 2, headDim: 48, pos0: 100, freqs: { base: 10000, rotDim: 32 }, note: 'partial' }, 6),
  ropeCase({ mode: 'neox', T: 5, nHeads: 2, headDim: 80, pos0: 9000, freqs: { base: 10000, rotDim: 40 }, note: 'partial' }, 7),
  ropeCase({ mode: 'normal', T: 2, nHeads: 4, headDim: 64, pos0: 30000, freqs: llama3, note: 'llama3' }, 8),
  ropeCase({ mode: 'neox', T: 33, nHeads: 2, headDim: 32, pos0: 5, freqs: { base: 10000, rotDim: 32, freqScale: 0.25 }, note: 'linear x4' }, 9),
  ropeCase({ mode: 'normal', T: 1, nHeads: 7, headDim: 128, pos0: 12345, freqs: { base: 500000, rotDim: 128 }, note: 'decode' }, 10),
  qkCase('normal'),
  qkCase('neox'),
];
