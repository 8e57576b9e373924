// Kernel cases for the diffusion attention: self-attention (Lk = Lq) and cross-attention (Lk = 8,
// 77 text tokens), batch 2 (guidance), head sizes 1, 7 (not a multiple of 4), 40, 64, 80 and 160
// (the largest), query counts that are not multiples of the 32-row workgroup, key counts that
// are not multiples of the key tile (1, 19, 300), and heads read out of a fused QKV projection
// through row strides and binding offsets.
// Causal cases (CLIP's text encoder): 77 tokens of 5 heads of 8 (the tiny fixture model) and of 64
// (SD's CLIP), row counts across workgroups (45, 70) so later workgroups walk more key tiles than
// earlier ones, one token, a partial vec4 (d=7), and a fused-QKV causal case (4 heads of 16: q, k and v
// views 256 bytes apart, the storage offset alignment SwiftShader requires). Held against their
// own reference (causalAttentionRef) with the same tolerance: a query sees fewer keys, not more.
// Inputs are peaky on purpose: q has scale 2 and k 1% outliers of ~30, so scores reach tens and
// the online softmax must rescale its running sums across tiles.
// Tolerance: each output is a convex combination of V rows that may cancel to near zero, so it is
// judged relative to the same combination of |V| (byTermScale). Scores of |s| <= ~40 carry ~40 *
// 1e-7 absolute f32 error, so each weight e^s is off by a few 1e-6 relative, and the f32 sums over
// at most 300 keys add ~1e-6: atol 2e-5 on that scale (measured worst 6.0e-6, both variants, on
// SwiftShader and lavapipe). A wrong head, key or scale moves outputs by > 1e-2 there.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { diffusionAttention, type AttentionVariant } from './attention';
import { attentionRef, causalAttentionRef, type AttnRefShape } from './ref';

const TOL = { atol: 2e-5, rtol: 0 };

interface AttnCase {
  N: number;
  Lq: number;
  Lk: number;
  heads: number;
  headDim: number;
  /** q, k and v are column blocks of one [N, L, 3 * heads * headDim] tensor (self-attention only). */
  fused?: boolean;
  /** Query i sees keys 0..i (self-attention only). */
  causal?: boolean;
}

function attnCase(c: AttnCase, variant: AttentionVariant, seed: number): KernelCase {
  const kind = `${c.causal ? 'causal ' : ''}${c.fused ? 'fused-qkv self' : c.Lk === c.Lq ? 'self' : 'cross'}`;
  const name = `${variant} ${kind} N=${c.N} Lq=${c.Lq} Lk=${c.Lk} heads=${c.heads} d=${c.headDim}`;
  return {
    kernel: 'diffusion-attention',
    name,
    run: (rt) => {
      const { N, Lq, Lk, heads, headDim } = c;
      const width = heads * headDim;
      const shape: AttnRefShape = { N, Lq, Lk, heads, headDim, scale: 1 / Math.sqrt(headDim) };
      const q = randn(N * Lq * width, seed, { scale: 2, outlierRate: 0 });
      const k = randn(N * Lk * width, seed + 1);
      const v = randn(N * Lk * width, seed + 2);
      const inputs: Record<string, Float32Array> = c.fused ? { qkv: interleave([q, k, v], N * Lq, width) } : { q, k, v };
      const ref = (abs: boolean) => (c.causal ? causalAttentionRef(q, k, v, { N, L: Lq, heads, headDim, scale: shape.scale }, abs) : attentionRef(q, k, v, shape, abs));
      return checkOp(rt, {
        kernel: 'diffusion-attention',
        name,
        inputs,
        outputs: { out: N * Lq * width * 4 },
        async prepare(rt) {
          const kern = await diffusionAttention(rt, { headDim, variant, causal: c.causal });
          return {
            variant: kern.label,
            encode: (rec, b) => {
              if (c.fused) {
                const buf = b.qkv.buffer;
                const at = (i: number) => ({ buffer: buf, offset: i * width * 4 });
                kern.encode(rec, { q: at(0), k: at(1), v: at(2), out: b.out.buffer, N, Lq, Lk, heads, qStride: 3 * width, kvStride: 3 * width });
              } else {
                kern.encode(rec, { q: b.q.buffer, k: b.k.buffer, v: b.v.buffer, out: b.out.buffer, N, Lq, Lk, heads });
              }
            },
          };
        },
        reference: () => ref(false),
        normalize: byTermScale(ref(true)),
        tolerance: TOL,
      });
    },
  };
}

/** Rows of several [rows, width] tensors side by side: [rows, parts * width]. */
function interleave(parts: Float32Array[], rows: number, width: number): Float32Array {
  const out = new Float32Array(rows * parts.length * width);
  for (let r = 0; r < rows; r++) {
    parts.forEach((p, i) => out.set(p.subarray(r * width, (r + 1) * width), (r * parts.length + i) * width));
  }
  return out;
}

const CASES: AttnCase[] = [
  { N: 1, Lq: 37, Lk: 37, heads: 2, headDim: 40 },
  { N: 2, Lq: 64, Lk: 77, heads: 3, headDim: 64 },
  { N: 2, Lq: 33, Lk: 8, heads: 2, headDim: 80 },
  { N: 1, Lq: 33, Lk: 19, heads: 1, headDim: 160 },
  { N: 1, Lq: 5, Lk: 5, heads: 3, headDim: 7 },
  { N: 2, Lq: 3, Lk: 1, heads: 4, headDim: 1 },
  { N: 1, Lq: 20, Lk: 300, heads: 2, headDim: 80 },
  { N: 2, Lq: 45, Lk: 45, heads: 2, headDim: 32, fused: true },
  { N: 2, Lq: 77, Lk: 77, heads: 5, headDim: 8, causal: true },
  { N: 1, Lq: 77, Lk: 77, heads: 2, headDim: 64, causal: true },
  { N: 3, Lq: 45, Lk: 45, heads: 3, headDim: 7, causal: true },
  { N: 1, Lq: 1, Lk: 1, heads: 2, headDim: 40, causal: true },
  { N: 2, Lq: 70, Lk: 70, heads: 4, headDim: 16, causal: true, fused: true },
];

// Both variants on every substrate, whatever the default there. The tiled variant's head sizes
// are fewer: each compiles for seconds on SwiftShader (workgroup memory), and 7/40/64/160 cover
// the partial vec4, the tile shapes and the largest tile; the causal ones add d=8 (CLIP-tiny's).
export const attentionCases: KernelCase[] = [
  ...CASES.filter((c) => [7, 40, 64, 160].includes(c.headDim) || (c.causal && c.headDim === 8)).map((c) => attnCase(c, 'tiled', 8100 + 11 * CASES.indexOf(c))),
  ...CASES.map((c, i) => attnCase(c, 'direct', 8100 + 11 * i)),
];
