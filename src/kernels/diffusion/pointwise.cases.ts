// Kernel cases for the pointwise ops and GEGLU: odd lengths (1, 3, 257, 1000), outliers, in-place
// and out-of-place, and the broadcast add as a row bias, a per-channel NCHW vector and a
// per-(n, c) time embedding, with and without the fused residual.
// Tolerances, each from what the op rounds:
//   relu, leaky_relu, clamp: exact (a max, or one f32 product of two f32 values: the reference
//     computes it exactly in float64 and rounds once, as the GPU does).
//   scale, axpby, add_bcast: one to three f32 roundings (fma contraction may skip one), judged on
//     the sum of the terms' magnitudes (byTermScale): atol 3.6e-7 = 3 ulps at 1.
//   silu: exp's error (a few ulps) over 1 + e^-x: rtol 2e-6 + atol 1e-7 near zero.
//   quick_gelu: silu of 1.702 x, times x / (1.702 x): the same bound, plus the f32 product 1.702 x
//     (1 ulp of an argument up to ~100 moves e^-z by ~1e-5 relative, but only where
//     e^-z << 1 (x > 0: the output is x to f32) or x e^z < 1e-30 (x < 0)).
//   gelu: the erf of lib/activations.wgsl (|error| <= 1.5e-7) against an exact erf: 0.5 |x| 1.5e-7
//     absolute, so atol 1e-6 covers |x| up to ~10 (outliers of ~60 sit where erf is +-1 in f32
//     and the output is x or 0), plus rtol 1e-6 for f32 rounding of large outputs.
//   geglu: gelu's erf (Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7) in f32 rounding, then the
//     product with h. Outputs are judged divided by |h| (+1), i.e. on gelu(g) itself: atol 1e-6
//     covers 0.5 |g| * 1.5e-7 and f32 rounding for |g| up to ~10 (outliers of ~30 sit where erf is
//     1 to f32 precision); rtol 1e-6 for large gelu(g). Measured worst 4.8e-7 on that scale.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import type { Tolerance } from '../check/allclose';
import { geglu } from './geglu';
import { pointwise, POINTWISE_DEFAULTS, type PointwiseOp } from './pointwise';
import { geluRef, gegluRef, pointwiseRef, quickGeluRef } from './ref';

interface PwCase {
  op: PointwiseOp;
  n: number;
  alpha?: number;
  beta?: number;
  inPlace?: boolean;
  residual?: boolean;
  inner?: number;
  bLen?: number;
}

const EXACT: Tolerance = { atol: 0, rtol: 0 };
const SUMS: Tolerance = { atol: 3.6e-7, rtol: 0 };
// The activations added for CLIP have their own float64 references (pointwiseRef predates them).
const ACTIVATIONS: Partial<Record<PointwiseOp, { ref: (v: number) => number; tol: Tolerance }>> = {
  quick_gelu: { ref: quickGeluRef, tol: { atol: 1e-7, rtol: 2e-6 } },
  gelu: { ref: geluRef, tol: { atol: 1e-6, rtol: 1e-6 } },
};

function pwCase(c: PwCase, seed: number): KernelCase {
  const params = [c.alpha !== undefined && `alpha=${c.alpha}`, c.beta !== undefined && `beta=${c.beta}`, c.inner && `inner=${c.inner}`, c.bLen && `bLen=${c.bLen}`];
  const name = `${c.op} n=${c.n}${params.filter(Boolean).map((p) => ` ${p}`).join('')}${c.residual ? ' residual' : ''}${c.inPlace ? ' in-place' : ''}`;
  return {
    kernel: 'pointwise',
    name,
    run: (rt) => {
      const a = randn(c.n, seed, { scale: 2 });
      const needsB = c.op === 'axpby' || c.op === 'add_bcast';
      const bLen = c.op === 'add_bcast' ? (c.bLen ?? c.n) : c.n;
      const b = needsB ? randn(bLen, seed + 1) : undefined;
      const r = c.residual ? randn(c.n, seed + 2) : undefined;
      const [alpha, beta] = POINTWISE_DEFAULTS[c.op];
      const args = { a, b, r, alpha: c.alpha ?? alpha, beta: c.beta ?? beta, inner: c.inner, bLen };
      const sums = c.op === 'scale' || c.op === 'axpby' || c.op === 'add_bcast';
      const act = ACTIVATIONS[c.op];
      return checkOp(rt, {
        kernel: 'pointwise',
        name,
        inputs: { a, ...(b ? { b } : {}), ...(r ? { r } : {}) },
        outputs: c.inPlace ? {} : { out: c.n * 4 },
        compare: c.inPlace ? 'a' : undefined,
        async prepare(rt) {
          const k = await pointwise(rt, c.op, { inPlace: c.inPlace, residual: c.residual });
          return {
            variant: k.label,
            encode: (rec, buf) =>
              k.encode(rec, { a: buf.a.buffer, b: buf.b?.buffer, r: buf.r?.buffer, out: buf.out?.buffer, n: c.n, alpha: c.alpha, beta: c.beta, inner: c.inner, bLen: c.bLen }),
          };
        },
        reference: () => (act ? a.map(act.ref) : pointwiseRef(c.op, args)),
        normalize: sums ? byTermScale(pointwiseRef(c.op, { ...args, abs: true })) : undefined,
        tolerance: act ? act.tol : sums ? SUMS : c.op === 'silu' ? { atol: 1e-7, rtol: 2e-6 } : EXACT,
      });
    },
  };
}

const PW_CASES: PwCase[] = [
  { op: 'relu', n: 257 },
  { op: 'relu', n: 1, inPlace: true },
  { op: 'leaky_relu', n: 1000, alpha: 0.2 },
  { op: 'leaky_relu', n: 33, inPlace: true },
  { op: 'scale', n: 257, alpha: 0.18215, beta: 0 },
  { op: 'scale', n: 3, alpha: 0.5, beta: 0.5, inPlace: true },
  { op: 'clamp', n: 1000, alpha: 0, beta: 1 },
  { op: 'clamp', n: 33, alpha: -1.5, beta: 2.25, inPlace: true },
  { op: 'silu', n: 1000 },
  { op: 'axpby', n: 257 },
  { op: 'axpby', n: 1000, alpha: 1, beta: 0.2, inPlace: true },
  { op: 'axpby', n: 33, alpha: -6.5, beta: 7.5 },
  { op: 'add_bcast', n: 7 * 33, inner: 1, bLen: 33 },
  { op: 'add_bcast', n: 2 * 5 * 21, inner: 21, bLen: 5, residual: true },
  { op: 'add_bcast', n: 2 * 5 * 21, inner: 21, bLen: 10, inPlace: true },
  { op: 'add_bcast', n: 9 * 17, inner: 1, bLen: 17, residual: true, inPlace: true },
  // Appended, so the earlier cases keep their seeds.
  { op: 'quick_gelu', n: 1000 },
  { op: 'quick_gelu', n: 33, inPlace: true },
  { op: 'gelu', n: 1000 },
  { op: 'gelu', n: 257, inPlace: true },
];

export const pointwiseCases: KernelCase[] = PW_CASES.map((c, i) => pwCase(c, 6100 + 7 * i));

function gegluCase(rows: number, F: number, seed: number): KernelCase {
  const name = `rows=${rows} F=${F}`;
  return {
    kernel: 'geglu',
    name,
    run: (rt) => {
      const x = randn(rows * 2 * F, seed, { scale: 2 });
      const scale = new Float32Array(rows * F);
      for (let r = 0; r < rows; r++) for (let f = 0; f < F; f++) scale[r * F + f] = Math.abs(x[r * 2 * F + f]) + 1;
      return checkOp(rt, {
        kernel: 'geglu',
        name,
        inputs: { x },
        outputs: { out: rows * F * 4 },
        async prepare(rt) {
          const k = await geglu(rt);
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, out: b.out.buffer, rows, F }) };
        },
        reference: () => gegluRef(x, rows, F),
        normalize: byTermScale(scale),
        tolerance: { atol: 1e-6, rtol: 1e-6 },
      });
    },
  };
}

export const gegluCases: KernelCase[] = [
  gegluCase(1, 1, 6500),
  gegluCase(3, 33, 6501),
  gegluCase(37, 257, 6502),
  gegluCase(2 * 64, 320, 6503),
];
