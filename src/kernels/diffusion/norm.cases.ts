// Kernel cases for group norm and layer norm: group sizes below, at and far above the workgroup
// (1x1 images, 5x7, 16x16), channel counts that are not powers of two, batch 2, the fused SiLU,
// layer norm with and without affine, subgroup reductions, and inputs whose mean sits far from
// zero (offset 50, std 1), where a one-pass E[x^2] - E[x]^2 would lose most of its digits.
// Tolerance: outputs are ~N(0, 1) * gamma + beta with |gamma|, |beta| ~ 1 (outliers of 30 in x
// make the rest small). The mean and variance are f32 sums of up to a few thousand terms: the
// mean's error relative to the std is ~sqrt(len) * 6e-8 * (|mean| / std), a few 1e-6 at offset
// 50, and rsqrt adds ~1e-7 relative; so atol 2e-5 + rtol 2e-5 (measured worst 5.5e-6, at offset
// 50, on SwiftShader and lavapipe; a missing eps, a wrong group or channel is off by > 1e-3).
import { checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { groupNorm, layerNorm } from './norm';
import { groupNormRef, layerNormRef } from './ref';

const TOL = { atol: 2e-5, rtol: 2e-5 };

function shifted(x: Float32Array, offset: number): Float32Array {
  return offset ? x.map((v) => v + offset) : x;
}

interface GnCase {
  N: number;
  C: number;
  H: number;
  W: number;
  groups: number;
  silu?: boolean;
  subgroups?: boolean;
  offset?: number;
  eps?: number;
  wg?: number;
}

function gnCase(c: GnCase, seed: number): KernelCase {
  const HW = c.H * c.W;
  const eps = c.eps ?? 1e-5;
  const name = `N=${c.N} C=${c.C} ${c.H}x${c.W} groups=${c.groups} eps=${eps}${c.silu ? ' silu' : ''}${c.offset ? ` offset=${c.offset}` : ''}${c.wg ? ` wg=${c.wg}` : ''}${c.subgroups ? ' subgroups' : ''}`;
  return {
    kernel: 'groupnorm',
    name,
    needs: c.subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = shifted(randn(c.N * c.C * HW, seed, { scale: 2, outlierRate: c.offset ? 0 : 0.01 }), c.offset ?? 0);
      const gamma = randn(c.C, seed + 1, { outlierRate: 0 });
      const beta = randn(c.C, seed + 2, { outlierRate: 0 });
      return checkOp(rt, {
        kernel: 'groupnorm',
        name,
        inputs: { x, gamma, beta },
        outputs: { out: x.length * 4 },
        async prepare(rt) {
          const k = await groupNorm(rt, { silu: c.silu, subgroups: c.subgroups ?? false, workgroupSize: c.wg });
          return {
            variant: k.label,
            encode: (rec, b) => k.encode(rec, { x: b.x.buffer, gamma: b.gamma.buffer, beta: b.beta.buffer, out: b.out.buffer, N: c.N, C: c.C, HW, groups: c.groups, eps }),
          };
        },
        reference: () => groupNormRef(x, gamma, beta, { N: c.N, C: c.C, HW, groups: c.groups, eps, silu: c.silu }),
        tolerance: TOL,
      });
    },
  };
}

interface LnCase {
  rows: number;
  C: number;
  affine?: boolean;
  subgroups?: boolean;
  offset?: number;
}

function lnCase(c: LnCase, seed: number): KernelCase {
  const affine = c.affine ?? true;
  const eps = 1e-5;
  const name = `rows=${c.rows} C=${c.C}${affine ? '' : ' no-affine'}${c.offset ? ` offset=${c.offset}` : ''}${c.subgroups ? ' subgroups' : ''}`;
  return {
    kernel: 'layernorm',
    name,
    needs: c.subgroups ? { subgroups: true } : undefined,
    run: (rt) => {
      const x = shifted(randn(c.rows * c.C, seed, { scale: 2, outlierRate: c.offset ? 0 : 0.01 }), c.offset ?? 0);
      const gamma = randn(c.C, seed + 1, { outlierRate: 0 });
      const beta = randn(c.C, seed + 2, { outlierRate: 0 });
      return checkOp(rt, {
        kernel: 'layernorm',
        name,
        inputs: affine ? { x, gamma, beta } : { x },
        outputs: { out: x.length * 4 },
        async prepare(rt) {
          const k = await layerNorm(rt, { affine, subgroups: c.subgroups ?? false });
          return {
            variant: k.label,
            encode: (rec, b) => k.encode(rec, { x: b.x.buffer, gamma: b.gamma?.buffer, beta: b.beta?.buffer, out: b.out.buffer, rows: c.rows, C: c.C, eps }),
          };
        },
        reference: () => (affine ? layerNormRef(x, c.rows, c.C, eps, gamma, beta) : layerNormRef(x, c.rows, c.C, eps)),
        tolerance: TOL,
      });
    },
  };
}

export const groupNormCases: KernelCase[] = [
  { N: 1, C: 6, H: 5, W: 7, groups: 3 },
  { N: 2, C: 12, H: 1, W: 1, groups: 4, silu: true },
  { N: 2, C: 40, H: 16, W: 16, groups: 8, silu: true },
  { N: 1, C: 96, H: 9, W: 11, groups: 32, eps: 1e-6 },
  { N: 2, C: 10, H: 13, W: 3, groups: 5, silu: true, subgroups: true },
  { N: 1, C: 64, H: 8, W: 8, groups: 32, offset: 50 },
  { N: 1, C: 7, H: 33, W: 1, groups: 1, silu: true, wg: 64 },
  { N: 1, C: 6, H: 5, W: 7, groups: 3, subgroups: true },
].map((c, i) => gnCase(c, 7100 + 13 * i));

export const layerNormCases: KernelCase[] = [
  { rows: 1, C: 1 },
  { rows: 3, C: 33 },
  { rows: 70, C: 320 },
  { rows: 5, C: 257, affine: false },
  { rows: 9, C: 640, subgroups: true },
  { rows: 4, C: 96, offset: 50 },
].map((c, i) => lnCase(c, 7300 + 13 * i));
