// CPU references for the diffusion kernels: plain loops, float64 accumulation, NCHW activations.
// Each mirrors one shader's header formula; the *Abs variants give the magnitude of the terms
// behind every output (sum of |products|), the scale on which f32 rounding is judged.
import { erf } from '../ref/elementwise';

export type ConvAct = 'none' | 'relu' | 'leaky_relu';

export interface ConvRefShape {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  k: number;
  stride: number;
  padTop: number;
  padLeft: number;
  Ho: number;
  Wo: number;
}

/** Output length along one axis: floor((size + before + after - k) / stride) + 1. */
export function convOutSize(size: number, k: number, stride: number, before: number, after: number): number {
  return Math.floor((size + before + after - k) / stride) + 1;
}

/** out [N, Cout, Ho, Wo] = act(conv(x, w) + bias) + residual; `abs` sums magnitudes instead. */
export function conv2dRef(
  x: Float32Array, // [N, Cin, H, W]
  w: Float32Array, // [Cout, Cin, k, k]
  s: ConvRefShape,
  opts: { bias?: Float32Array; residual?: Float32Array; act?: ConvAct; alpha?: number; abs?: boolean } = {},
): Float32Array {
  const { N, Cin, H, W, Cout, k, stride, padTop, padLeft, Ho, Wo } = s;
  const abs = opts.abs ?? false;
  const f = (v: number) => (abs ? Math.abs(v) : v);
  const out = new Float32Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < Cout; co++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = opts.bias ? f(opts.bias[co]) : 0;
          for (let ci = 0; ci < Cin; ci++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * stride + ky - padTop;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * stride + kx - padLeft;
                if (ix < 0 || ix >= W) continue;
                acc += f(x[((n * Cin + ci) * H + iy) * W + ix] * w[((co * Cin + ci) * k + ky) * k + kx]);
              }
            }
          }
          // Activations never grow a magnitude, so the pre-activation sum still bounds the error.
          if (!abs && opts.act === 'relu') acc = Math.max(acc, 0);
          if (!abs && opts.act === 'leaky_relu' && acc < 0) acc *= opts.alpha ?? 0.01;
          const o = ((n * Cout + co) * Ho + oy) * Wo + ox;
          if (opts.residual) acc += f(opts.residual[o]);
          out[o] = acc;
        }
      }
    }
  }
  return out;
}

/** Group norm of x [N, C, HW] over G groups (biased variance), affine, optional SiLU. */
export function groupNormRef(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  s: { N: number; C: number; HW: number; groups: number; eps: number; silu?: boolean },
): Float32Array {
  const cpg = s.C / s.groups;
  const len = cpg * s.HW;
  const out = new Float32Array(x.length);
  for (let g = 0; g < s.N * s.groups; g++) {
    const base = g * len;
    const c0 = (g % s.groups) * cpg;
    const [mean, rstd] = moments(x, base, len, s.eps);
    for (let e = 0; e < len; e++) {
      const c = c0 + Math.floor(e / s.HW);
      const y = (x[base + e] - mean) * rstd * gamma[c] + beta[c];
      out[base + e] = s.silu ? siluRef(y) : y;
    }
  }
  return out;
}

/** Layer norm over the last dimension of x [rows, C]; gamma/beta optional (no affine). */
export function layerNormRef(x: Float32Array, rows: number, C: number, eps: number, gamma?: Float32Array, beta?: Float32Array): Float32Array {
  const out = new Float32Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const [mean, rstd] = moments(x, r * C, C, eps);
    for (let c = 0; c < C; c++) {
      const y = (x[r * C + c] - mean) * rstd;
      out[r * C + c] = gamma && beta ? y * gamma[c] + beta[c] : y;
    }
  }
  return out;
}

function moments(x: Float32Array, base: number, len: number, eps: number): [number, number] {
  let s = 0;
  for (let e = 0; e < len; e++) s += x[base + e];
  const mean = s / len;
  let ss = 0;
  for (let e = 0; e < len; e++) ss += (x[base + e] - mean) ** 2;
  return [mean, 1 / Math.sqrt(ss / len + eps)];
}

export const siluRef = (v: number): number => v / (1 + Math.exp(-v));
export const geluRef = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));
/** QuickGELU (CLIP's original activation): x * sigmoid(1.702 x). */
export const quickGeluRef = (v: number): number => v / (1 + Math.exp(-1.702 * v));

/** GEGLU: x [rows, 2F] -> out [rows, F] = x[:, :F] * gelu(x[:, F:]) with the exact erf GELU. */
export function gegluRef(x: Float32Array, rows: number, F: number): Float32Array {
  const out = new Float32Array(rows * F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) out[r * F + f] = x[r * 2 * F + f] * geluRef(x[r * 2 * F + F + f]);
  }
  return out;
}

export interface AttnRefShape {
  N: number;
  Lq: number;
  Lk: number;
  heads: number;
  headDim: number;
  scale: number;
}

/** Non-causal attention, q [N, Lq, H*d], k/v [N, Lk, H*d] -> [N, Lq, H*d]. With `abs`, each
 *  output is sum_j p_j |v_j|: the magnitude a cancelling convex combination is judged on. */
export function attentionRef(q: Float32Array, k: Float32Array, v: Float32Array, s: AttnRefShape, abs = false): Float32Array {
  const { N, Lq, Lk, heads, headDim: d, scale } = s;
  const row = heads * d;
  const out = new Float32Array(N * Lq * row);
  const p = new Float64Array(Lk);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < Lq; i++) {
        const qb = (n * Lq + i) * row + h * d;
        let m = -Infinity;
        for (let j = 0; j < Lk; j++) {
          const kb = (n * Lk + j) * row + h * d;
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[qb + c] * k[kb + c];
          p[j] = dot * scale;
          m = Math.max(m, p[j]);
        }
        let sum = 0;
        for (let j = 0; j < Lk; j++) sum += p[j] = Math.exp(p[j] - m);
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j < Lk; j++) {
            const val = v[(n * Lk + j) * row + h * d + c];
            acc += p[j] * (abs ? Math.abs(val) : val);
          }
          out[qb + c] = acc / sum;
        }
      }
    }
  }
  return out;
}

/** Causal self-attention (query i attends to keys 0..i), q/k/v [N, L, H*d] -> [N, L, H*d]; `abs`
 *  as in attentionRef. Written on its own rather than as a mask on attentionRef, so a bug in one
 *  cannot hide in the other. */
export function causalAttentionRef(q: Float32Array, k: Float32Array, v: Float32Array, s: { N: number; L: number; heads: number; headDim: number; scale: number }, abs = false): Float32Array {
  const { N, L, heads, headDim: d, scale } = s;
  const row = heads * d;
  const out = new Float32Array(N * L * row);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < L; i++) {
        const at = (t: number) => (n * L + t) * row + h * d;
        const scores = new Float64Array(i + 1);
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q[at(i) + c] * k[at(j) + c];
          scores[j] = dot * scale;
        }
        const top = Math.max(...scores);
        let total = 0;
        const w = scores.map((x) => {
          const e = Math.exp(x - top);
          total += e;
          return e;
        });
        for (let c = 0; c < d; c++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += w[j] * (abs ? Math.abs(v[at(j) + c]) : v[at(j) + c]);
          out[at(i) + c] = acc / total;
        }
      }
    }
  }
  return out;
}

/** Nearest upsampling of x [NC, H, W] by an integer factor r. */
export function upsampleNearestRef(x: Float32Array, NC: number, H: number, W: number, r: number): Float32Array {
  const out = new Float32Array(NC * H * r * W * r);
  let o = 0;
  for (let p = 0; p < NC; p++) {
    for (let oy = 0; oy < H * r; oy++) {
      for (let ox = 0; ox < W * r; ox++) out[o++] = x[(p * H + Math.floor(oy / r)) * W + Math.floor(ox / r)];
    }
  }
  return out;
}

/** Depth to space, x [N, C*r*r, H, W] -> [N, C, rH, rW]. CRD is torch.nn.functional.pixel_shuffle;
 *  DCR is TensorFlow's depth_to_space channel order (ONNX DepthToSpace's two modes). */
export function pixelShuffleRef(x: Float32Array, N: number, C: number, H: number, W: number, r: number, mode: 'CRD' | 'DCR'): Float32Array {
  const out = new Float32Array(N * C * H * r * W * r);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          for (let i = 0; i < r; i++) {
            for (let j = 0; j < r; j++) {
              const ch = mode === 'CRD' ? c * r * r + i * r + j : (i * r + j) * C + c;
              out[((n * C + c) * H * r + h * r + i) * W * r + w * r + j] = x[((n * C * r * r + ch) * H + h) * W + w];
            }
          }
        }
      }
    }
  }
  return out;
}

/** out [B, C, R] = transpose of x [B, R, C] (+ res). */
export function transposeRef(x: Float32Array, B: number, R: number, C: number, res?: Float32Array): Float32Array {
  const out = new Float32Array(B * R * C);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const o = (b * C + j) * R + i;
        out[o] = x[(b * R + i) * C + j] + (res ? res[o] : 0);
      }
    }
  }
  return out;
}

export interface PointwiseRefArgs {
  a: Float32Array;
  b?: Float32Array;
  r?: Float32Array;
  alpha: number;
  beta: number;
  inner?: number;
  bLen?: number;
  /** Sum magnitudes of the terms instead (for judging rounding in sums). */
  abs?: boolean;
}

/** The ops of shaders/diffusion/pointwise.wgsl, with alpha/beta as the f32 the GPU sees. */
export function pointwiseRef(op: string, { a, b, r, alpha, beta, inner = 1, bLen = a.length, abs = false }: PointwiseRefArgs): Float32Array {
  const al = Math.fround(alpha);
  const be = Math.fround(beta);
  const f = (v: number) => (abs ? Math.abs(v) : v);
  return a.map((v, i) => {
    switch (op) {
      case 'relu': return Math.max(v, 0);
      case 'leaky_relu': return v >= 0 ? v : al * v;
      case 'scale': return f(al * v) + f(be);
      case 'clamp': return Math.min(Math.max(v, al), be);
      case 'silu': return siluRef(v);
      case 'axpby': return f(al * v) + f(be * b![i]);
      case 'add_bcast': return f(v) + f(b![Math.floor(i / inner) % bLen]) + (r ? f(r[i]) : 0);
      default: throw new Error(`pointwiseRef: unknown op ${op}`);
    }
  });
}
