// Kernel cases for attention: prefill (causal, GQA, tiles of keys crossed, odd head sizes 48 and
// 80) and split-KV decode (one chunk, a last chunk of one key, many chunks), some with the new
// rows written by the cache's kvWriter in the same recording; each for an f32 and an f16 (packed
// halves) cache. Cache rows past the attended positions hold NaN, so a kernel that reads one fails
// loudly.
//
// Inputs are peaky on purpose: q has scale 2 and K 1% outliers of ~30, so scores reach tens and
// the online softmax must rescale. (q gets no outliers: scores of ~1e3 carry ~1e-4 of f32
// rounding in the dot product itself, which any f32 kernel shares and no tolerance here should hide.)
// Tolerance: each output is a convex combination of V rows (|v| ~ 1, outliers ~ 30) that may cancel to near zero over thousands of keys, so outputs are
// normalised by the same combination of |V| (byTermScale) and held to an atol on that scale: f32
// dot products and exp put ~1e-6 relative error on the weights and the f32 sums over up to 4k
// keys add a few 1e-6 more (measured worst: 1.4e-5 at 4097 keys), so 4e-5. A wrong mask, head or
// scale is off by > 1e-2 on this scale.
import { byTermScale, checkOp, type KernelCase } from './check/cases';
import { randn } from './check/data';
import { packF16Pairs } from '../util/f16';
import { attentionDecode, attentionPrefill } from './attention';
import { kvWriter, type KvDtype } from './kv-cache';
import { attentionRef, kvRoundF16 } from './ref/attention';

const TOL = { atol: 4e-5, rtol: 0 };
// f16 cache: the reference is the same float64 attention on K and V rounded to halves
// (kvRoundF16), so storage rounding is not error here, and the kernels add only what the f32
// ones do: unpacking a half is exact and the math after it is the same f32 (measured worst 6.4e-6
// over these cases on SwiftShader and lavapipe). So the f32 tolerance, deliberately, and not one
// sized for f16: rounding K/V to halves moves these outputs by 5e-4 .. 1.4e-2 on this scale
// (the f32 reference against the rounded one), so a kernel that read the pairs wrongly, or a
// writer that stored halves other than the nearest-even ones (one ulp off in the new rows of
// the prefill cases is already > 4e-5), fails instead of hiding under an f16-sized tolerance.
const TOL_F16 = TOL;

interface AttnCase {
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  pos0: number;
  /** Write the T new rows with the cache's kvWriter inside the recording (else they are uploaded). */
  kvWrite?: boolean;
  /** Cache dtype (default f32). */
  kvType?: KvDtype;
  subgroups?: boolean;
  /** decode only */
  chunk?: number;
}

function makeInputs(c: AttnCase, seed: number) {
  const { T, nHeads, nKvHeads, headDim: hd, pos0 } = c;
  const nCtx = pos0 + T + 3;
  const row = nKvHeads * hd;
  const q = randn(T * nHeads * hd, seed, { scale: 2, outlierRate: 0 });
  const kFull = randn(nCtx * row, seed + 1);
  const vFull = randn(nCtx * row, seed + 2);
  kFull.fill(NaN, (pos0 + T) * row);
  vFull.fill(NaN, (pos0 + T) * row);
  const kNew = kFull.slice(pos0 * row, (pos0 + T) * row);
  const vNew = vFull.slice(pos0 * row, (pos0 + T) * row);
  const kHost = Float32Array.from(kFull);
  const vHost = Float32Array.from(vFull);
  if (c.kvWrite) {
    kHost.fill(NaN, pos0 * row);
    vHost.fill(NaN, pos0 * row);
  }
  const f16 = c.kvType === 'f16';
  // An f16 cache is uploaded packed (NaN packs to a half NaN); the reference sees the halves.
  const kCache = f16 ? packF16Pairs(kHost) : kHost;
  const vCache = f16 ? packF16Pairs(vHost) : vHost;
  const kRef = f16 ? kvRoundF16(kFull) : kFull;
  const vRef = f16 ? kvRoundF16(vFull) : vFull;
  return { nCtx, q, kRef, vRef, kNew, vNew, kCache, vCache };
}

function describe(kind: string, c: AttnCase): string {
  const kv = kind === 'decode' ? `kvLen=${c.pos0 + 1}` : `T=${c.T} pos0=${c.pos0}`;
  return `${kind} ${kv} heads=${c.nHeads}/${c.nKvHeads} hd=${c.headDim}${c.chunk ? ` chunk=${c.chunk}` : ''}${c.kvType === 'f16' ? ' kv-f16' : ''}${c.kvWrite ? ' +kv-write' : ''}${c.subgroups ? ' subgroups' : ''}`;
}

function prefillCase(c: AttnCase, seed: number): KernelCase {
  const name = describe('prefill', c);
  return {
    kernel: 'attention',
    name,
    needs: c.subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = makeInputs(c, seed);
      const { T, nHeads, nKvHeads, headDim, pos0 } = c;
      return checkOp(rt, {
        kernel: 'attention',
        name,
        inputs: { q: x.q, kCache: x.kCache, vCache: x.vCache, kNew: x.kNew, vNew: x.vNew },
        outputs: { out: T * nHeads * headDim * 4 },
        async prepare(rt) {
          const kvType = c.kvType ?? 'f32';
          const [k, write] = await Promise.all([attentionPrefill(rt, { headDim, subgroups: c.subgroups ?? false, kvType }), kvWriter(rt, kvType)]);
          return {
            variant: c.kvWrite ? `${write.label}+${k.label}` : k.label,
            encode: (rec, b) => {
              if (c.kvWrite) {
                write.encode(rec, { k: b.kNew.buffer, v: b.vNew.buffer, kCache: b.kCache.buffer, vCache: b.vCache.buffer, T, pos0, nCtx: x.nCtx, nKvHeads, headDim });
              }
              k.encode(rec, { q: b.q.buffer, kCache: b.kCache.buffer, vCache: b.vCache.buffer, out: b.out.buffer, T, pos0, nHeads, nKvHeads, nCtx: x.nCtx });
            },
          };
        },
        reference: () => attentionRef(x.q, x.kRef, x.vRef, c),
        normalize: byTermScale(attentionRef(x.q, x.kRef, x.vRef, c, true)),
        tolerance: c.kvType === 'f16' ? TOL_F16 : TOL,
      });
    },
  };
}

function decodeCase(c: Omit<AttnCase, 'T'>, seed: number): KernelCase {
  const dc: AttnCase = { ...c, T: 1 };
  const name = describe('decode', dc);
  return {
    kernel: 'attention',
    name,
    needs: c.subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = makeInputs(dc, seed);
      const { nHeads, nKvHeads, headDim, pos0 } = dc;
      const chunks = Math.ceil((pos0 + 1) / (c.chunk ?? 256));
      return checkOp(rt, {
        kernel: 'attention',
        name,
        inputs: { q: x.q, kCache: x.kCache, vCache: x.vCache, kNew: x.kNew, vNew: x.vNew },
        outputs: { out: nHeads * headDim * 4, partials: nHeads * chunks * (headDim + 2) * 4 },
        async prepare(rt) {
          const kvType = c.kvType ?? 'f32';
          const [k, write] = await Promise.all([attentionDecode(rt, { headDim, subgroups: c.subgroups ?? false, chunk: c.chunk, kvType }), kvWriter(rt, kvType)]);
          return {
            variant: c.kvWrite ? `${write.label}+${k.label}` : k.label,
            encode: (rec, b) => {
              if (c.kvWrite) {
                write.encode(rec, { k: b.kNew.buffer, v: b.vNew.buffer, kCache: b.kCache.buffer, vCache: b.vCache.buffer, T: 1, pos0, nCtx: x.nCtx, nKvHeads, headDim });
              }
              k.encode(rec, { q: b.q.buffer, kCache: b.kCache.buffer, vCache: b.vCache.buffer, out: b.out.buffer, partials: b.partials.buffer, kvLen: pos0 + 1, nHeads, nKvHeads, nCtx: x.nCtx });
            },
          };
        },
        reference: () => attentionRef(x.q, x.kRef, x.vRef, dc),
        normalize: byTermScale(attentionRef(x.q, x.kRef, x.vRef, dc, true)),
        tolerance: c.kvType === 'f16' ? TOL_F16 : TOL,
      });
    },
  };
}

export const attentionCases: KernelCase[] = [
  prefillCase({ T: 1, nHeads: 4, nKvHeads: 4, headDim: 64, pos0: 0 }, 1),
  prefillCase({ T: 5, nHeads: 4, nKvHeads: 2, headDim: 64, pos0: 0 }, 2),
  prefillCase({ T: 7, nHeads: 6, nKvHeads: 2, headDim: 128, pos0: 3, kvWrite: true }, 3),
  prefillCase({ T: 20, nHeads: 4, nKvHeads: 2, headDim: 32, pos0: 100, kvWrite: true }, 4),
  prefillCase({ T: 3, nHeads: 2, nKvHeads: 2, headDim: 80, pos0: 200 }, 5),
  prefillCase({ T: 70, nHeads: 2, nKvHeads: 1, headDim: 48, pos0: 0 }, 6),
  prefillCase({ T: 20, nHeads: 4, nKvHeads: 2, headDim: 32, pos0: 100, subgroups: true }, 7),
  decodeCase({ nHeads: 4, nKvHeads: 4, headDim: 64, pos0: 0 }, 11),
  decodeCase({ nHeads: 4, nKvHeads: 2, headDim: 64, pos0: 256, kvWrite: true }, 12),
  decodeCase({ nHeads: 8, nKvHeads: 2, headDim: 128, pos0: 999 }, 13),
  decodeCase({ nHeads: 2, nKvHeads: 1, headDim: 80, pos0: 4096, kvWrite: true }, 14),
  decodeCase({ nHeads: 4, nKvHeads: 1, headDim: 48, pos0: 299, chunk: 64 }, 15),
  decodeCase({ nHeads: 8, nKvHeads: 2, headDim: 128, pos0: 999, subgroups: true }, 16),
  // f16 cache: uploaded packed, or new rows packed by the kv-write kernel in the same recording.
  prefillCase({ T: 1, nHeads: 4, nKvHeads: 4, headDim: 64, pos0: 0, kvType: 'f16', kvWrite: true }, 21),
  prefillCase({ T: 7, nHeads: 6, nKvHeads: 2, headDim: 128, pos0: 3, kvType: 'f16', kvWrite: true }, 22),
  prefillCase({ T: 3, nHeads: 2, nKvHeads: 2, headDim: 80, pos0: 200, kvType: 'f16' }, 23),
  prefillCase({ T: 70, nHeads: 2, nKvHeads: 1, headDim: 48, pos0: 0, kvType: 'f16', kvWrite: true }, 24),
  prefillCase({ T: 20, nHeads: 4, nKvHeads: 2, headDim: 32, pos0: 100, kvType: 'f16', kvWrite: true, subgroups: true }, 25),
  // More dim pairs than invocations: 80 pairs (an invocation owns two, the second only for some) and 128.
  prefillCase({ T: 5, nHeads: 3, nKvHeads: 1, headDim: 160, pos0: 70, kvType: 'f16', kvWrite: true }, 26),
  decodeCase({ nHeads: 4, nKvHeads: 2, headDim: 64, pos0: 256, kvType: 'f16', kvWrite: true }, 31),
  decodeCase({ nHeads: 2, nKvHeads: 1, headDim: 80, pos0: 4096, kvType: 'f16', kvWrite: true }, 32),
  decodeCase({ nHeads: 6, nKvHeads: 2, headDim: 48, pos0: 299, chunk: 64, kvType: 'f16' }, 33),
  decodeCase({ nHeads: 8, nKvHeads: 2, headDim: 128, pos0: 999, kvType: 'f16', kvWrite: true, subgroups: true }, 34),
  decodeCase({ nHeads: 2, nKvHeads: 2, headDim: 256, pos0: 520, kvType: 'f16', kvWrite: true }, 35),
];
