// The UNet's blocks on the GPU, in diffusers' naming and semantics, recorded into the caller's
// recorder: ResnetBlock2D, Transformer2DModel (GroupNorm, proj_in 1x1, one BasicTransformerBlock
// with self-attention, cross-attention and a GEGLU feed-forward, proj_out 1x1, residual),
// Downsample2D (3x3 stride 2), Upsample2D (nearest 2x, 3x3) and the timestep embedding MLP.
// Activations are NCHW f32 with a batch N (2 for classifier-free guidance); tokens are [N, L, C].
import { diffusionAttention, type DiffusionAttentionKernel } from '../../kernels/diffusion/attention';
import { conv2d, type Conv2dKernel } from '../../kernels/diffusion/conv2d';
import { geglu, type GegluKernel } from '../../kernels/diffusion/geglu';
import { linear, type LinearKernel } from '../../kernels/diffusion/linear';
import { groupNorm, layerNorm, type GroupNormArgs, type LayerNormArgs, type NormKernel } from '../../kernels/diffusion/norm';
import { pointwise, type PointwiseKernel } from '../../kernels/diffusion/pointwise';
import { upsampleNearest, type ResampleKernel } from '../../kernels/diffusion/resample';
import { transpose, type TransposeKernel } from '../../kernels/diffusion/transpose';
import type { DenseWeightType } from '../../kernels/weights';
import type { PooledBuffer } from '../../runtime/buffer-pool';
import type { Recorder } from '../../runtime/recorder';
import type { GpuRuntime } from '../../runtime/runtime';
import type { Params } from './params';

/** A tensor of the current forward pass. */
export interface T4 {
  buf: GPUBuffer;
  n: number;
  c: number;
  h: number;
  w: number;
}

/** Scratch buffers for one forward pass, released together. */
export class Arena {
  private readonly held: PooledBuffer[] = [];
  constructor(private readonly rt: GpuRuntime) {}
  async alloc(floats: number, label: string): Promise<GPUBuffer> {
    const b = await this.rt.storage(Math.max(1, floats) * 4, 'activations', label);
    this.held.push(b);
    return b.buffer;
  }
  async t4(n: number, c: number, h: number, w: number, label: string): Promise<T4> {
    return { buf: await this.alloc(n * c * h * w, label), n, c, h, w };
  }
  release(): void {
    for (const b of this.held.splice(0)) this.rt.pool.release(b);
  }
}

export interface BlockKernels {
  conv3: Conv2dKernel;
  conv3res: Conv2dKernel;
  conv3s2: Conv2dKernel;
  conv1: Conv2dKernel;
  conv1res: Conv2dKernel;
  gnSilu: NormKernel<GroupNormArgs>;
  gn: NormKernel<GroupNormArgs>;
  ln: NormKernel<LayerNormArgs>;
  linNoBias: LinearKernel;
  linBias: LinearKernel;
  linBiasRes: LinearKernel;
  silu: PointwiseKernel;
  addBcast: PointwiseKernel;
  geglu: GegluKernel;
  up: ResampleKernel;
  toTokens: TransposeKernel;
  attention: Map<number, DiffusionAttentionKernel>;
}

/**
 * Compile every kernel the blocks use; `headDims` lists the attention head sizes needed, `weights` how
 * the weight matrices are stored (Params.matrixType).
 */
export async function blockKernels(rt: GpuRuntime, headDims: number[], weights: DenseWeightType = 'f32'): Promise<BlockKernels> {
  const c = (k: 1 | 3, o: { stride?: 1 | 2; residual?: boolean } = {}) => conv2d(rt, { kernelSize: k, weights, bias: true, ...o });
  const [conv3, conv3res, conv3s2, conv1, conv1res, gnSilu, gn, ln, linNoBias, linBias, linBiasRes, silu, addBcast, gg, up, toTokens] = await Promise.all([
    c(3),
    c(3, { residual: true }),
    c(3, { stride: 2 }),
    c(1),
    c(1, { residual: true }),
    groupNorm(rt, { silu: true }),
    groupNorm(rt),
    layerNorm(rt, { affine: true }),
    linear(rt, { weights }),
    linear(rt, { weights, bias: true }),
    linear(rt, { weights, bias: true, residual: true }),
    pointwise(rt, 'silu'),
    pointwise(rt, 'add_bcast', { inPlace: true }),
    geglu(rt),
    upsampleNearest(rt),
    transpose(rt),
  ]);
  const attention = new Map<number, DiffusionAttentionKernel>();
  for (const d of new Set(headDims)) attention.set(d, await diffusionAttention(rt, { headDim: d }));
  return { conv3, conv3res, conv3s2, conv1, conv1res, gnSilu, gn, ln, linNoBias, linBias, linBiasRes, silu, addBcast, geglu: gg, up, toTokens, attention };
}

export interface BlockCtx {
  k: BlockKernels;
  p: Params;
  rec: Recorder;
  arena: Arena;
  groups: number;
  eps: number;
}

/** ResnetBlock2D: conv2(silu(gn2(conv1(silu(gn1(x))) + proj(silu(temb))))) + shortcut(x). `tembSilu` is silu(temb) [N, T]. */
export async function resnet(ctx: BlockCtx, name: string, x: T4, tembSilu: GPUBuffer | null, tembDim: number): Promise<T4> {
  const { k, p, rec, arena } = ctx;
  const cout = p.shape(`${name}.conv1.weight`)[0];
  const HW = x.h * x.w;
  const h1 = await arena.t4(x.n, x.c, x.h, x.w, `${name}.h1`);
  k.gnSilu.encode(rec, { x: x.buf, gamma: p.get(`${name}.norm1.weight`), beta: p.get(`${name}.norm1.bias`), out: h1.buf, N: x.n, C: x.c, HW, groups: ctx.groups, eps: ctx.eps });
  const h2 = await arena.t4(x.n, cout, x.h, x.w, `${name}.h2`);
  k.conv3.encode(rec, { x: h1.buf, w: p.get(`${name}.conv1.weight`), bias: p.get(`${name}.conv1.bias`), out: h2.buf, N: x.n, Cin: x.c, H: x.h, W: x.w, Cout: cout });
  if (tembSilu) {
    const t = await arena.alloc(x.n * cout, `${name}.temb`);
    k.linBias.encode(rec, { a: tembSilu, w: p.get(`${name}.time_emb_proj.weight`), bias: p.get(`${name}.time_emb_proj.bias`), out: t, M: x.n, N: cout, K: tembDim });
    k.addBcast.encode(rec, { a: h2.buf, b: t, n: x.n * cout * HW, inner: HW, bLen: x.n * cout });
  }
  const h3 = await arena.t4(x.n, cout, x.h, x.w, `${name}.h3`);
  k.gnSilu.encode(rec, { x: h2.buf, gamma: p.get(`${name}.norm2.weight`), beta: p.get(`${name}.norm2.bias`), out: h3.buf, N: x.n, C: cout, HW, groups: ctx.groups, eps: ctx.eps });
  let skip = x.buf;
  if (p.has(`${name}.conv_shortcut.weight`)) {
    const s = await arena.t4(x.n, cout, x.h, x.w, `${name}.skip`);
    k.conv1.encode(rec, { x: x.buf, w: p.get(`${name}.conv_shortcut.weight`), bias: p.get(`${name}.conv_shortcut.bias`), out: s.buf, N: x.n, Cin: x.c, H: x.h, W: x.w, Cout: cout });
    skip = s.buf;
  }
  const out = await arena.t4(x.n, cout, x.h, x.w, `${name}.out`);
  k.conv3res.encode(rec, { x: h3.buf, w: p.get(`${name}.conv2.weight`), bias: p.get(`${name}.conv2.bias`), residual: skip, out: out.buf, N: x.n, Cin: cout, H: x.h, W: x.w, Cout: cout });
  return out;
}

/** Attention (diffusers `Attention`): q from x [N, L, C], k/v from ctx [N, S, D] (x itself when null); out + residual. */
async function attention(c: BlockCtx, name: string, x: GPUBuffer, N: number, L: number, C: number, ctx: { buf: GPUBuffer; S: number; D: number } | null, heads: number, residual: GPUBuffer): Promise<GPUBuffer> {
  const { k, p, rec, arena } = c;
  const kvSrc = ctx ?? { buf: x, S: L, D: C };
  const inner = p.shape(`${name}.to_q.weight`)[0];
  const q = await arena.alloc(N * L * inner, `${name}.q`);
  const kk = await arena.alloc(N * kvSrc.S * inner, `${name}.k`);
  const v = await arena.alloc(N * kvSrc.S * inner, `${name}.v`);
  k.linNoBias.encode(rec, { a: x, w: p.get(`${name}.to_q.weight`), out: q, M: N * L, N: inner, K: C });
  k.linNoBias.encode(rec, { a: kvSrc.buf, w: p.get(`${name}.to_k.weight`), out: kk, M: N * kvSrc.S, N: inner, K: kvSrc.D });
  k.linNoBias.encode(rec, { a: kvSrc.buf, w: p.get(`${name}.to_v.weight`), out: v, M: N * kvSrc.S, N: inner, K: kvSrc.D });
  const o = await arena.alloc(N * L * inner, `${name}.o`);
  const kern = k.attention.get(inner / heads);
  if (!kern) throw new Error(`unet: no attention kernel compiled for head dim ${inner / heads}`);
  kern.encode(rec, { q, k: kk, v, out: o, N, Lq: L, Lk: kvSrc.S, heads });
  const out = await arena.alloc(N * L * C, `${name}.out`);
  k.linBiasRes.encode(rec, { a: o, w: p.get(`${name}.to_out.0.weight`), bias: p.get(`${name}.to_out.0.bias`), residual, out, M: N * L, N: C, K: inner });
  return out;
}

/**
 * Transformer2DModel with one BasicTransformerBlock. proj_in/proj_out are 1x1 convs (SD 1.x) or, with
 * use_linear_projection (SD 2.x), Linear layers on the tokens: the same product, and a Linear weight
 * [out, in] is laid out as a 1x1 conv's [out, in, 1, 1], so one conv kernel serves both.
 */
export async function transformer(c: BlockCtx, name: string, x: T4, ctx: { buf: GPUBuffer; S: number; D: number }, heads: number): Promise<T4> {
  const { k, p, rec, arena } = c;
  const inner = p.shape(`${name}.proj_in.weight`)[0];
  const HW = x.h * x.w;
  const N = x.n;
  const L = HW;
  const normed = await arena.t4(N, x.c, x.h, x.w, `${name}.norm`);
  k.gn.encode(rec, { x: x.buf, gamma: p.get(`${name}.norm.weight`), beta: p.get(`${name}.norm.bias`), out: normed.buf, N, C: x.c, HW, groups: c.groups, eps: 1e-6 });
  const pin = await arena.t4(N, inner, x.h, x.w, `${name}.proj_in`);
  k.conv1.encode(rec, { x: normed.buf, w: p.get(`${name}.proj_in.weight`), bias: p.get(`${name}.proj_in.bias`), out: pin.buf, N, Cin: x.c, H: x.h, W: x.w, Cout: inner });
  let tok = await arena.alloc(N * L * inner, `${name}.tokens`);
  k.toTokens.nchwToTokens(rec, { x: pin.buf, out: tok, N, C: inner, HW });
  const b = `${name}.transformer_blocks.0`;
  const ln = async (i: number) => {
    const out = await arena.alloc(N * L * inner, `${b}.norm${i}`);
    k.ln.encode(rec, { x: tok, gamma: p.get(`${b}.norm${i}.weight`), beta: p.get(`${b}.norm${i}.bias`), out, rows: N * L, C: inner, eps: 1e-5 });
    return out;
  };
  tok = await attention(c, `${b}.attn1`, await ln(1), N, L, inner, null, heads, tok);
  tok = await attention(c, `${b}.attn2`, await ln(2), N, L, inner, ctx, heads, tok);
  // Feed-forward: GEGLU projection, then net.2, plus the residual.
  const ff2 = p.shape(`${b}.ff.net.0.proj.weight`)[0];
  const h = await arena.alloc(N * L * ff2, `${b}.ff.proj`);
  k.linBias.encode(rec, { a: await ln(3), w: p.get(`${b}.ff.net.0.proj.weight`), bias: p.get(`${b}.ff.net.0.proj.bias`), out: h, M: N * L, N: ff2, K: inner });
  const g = await arena.alloc(N * L * (ff2 / 2), `${b}.ff.geglu`);
  k.geglu.encode(rec, { x: h, out: g, rows: N * L, F: ff2 / 2 });
  const tok2 = await arena.alloc(N * L * inner, `${b}.ff.out`);
  k.linBiasRes.encode(rec, { a: g, w: p.get(`${b}.ff.net.2.weight`), bias: p.get(`${b}.ff.net.2.bias`), residual: tok, out: tok2, M: N * L, N: inner, K: ff2 / 2 });
  const back = await arena.t4(N, inner, x.h, x.w, `${name}.back`);
  k.toTokens.tokensToNchw(rec, { x: tok2, out: back.buf, N, C: inner, HW });
  const out = await arena.t4(N, x.c, x.h, x.w, `${name}.out`);
  k.conv1res.encode(rec, { x: back.buf, w: p.get(`${name}.proj_out.weight`), bias: p.get(`${name}.proj_out.bias`), residual: x.buf, out: out.buf, N, Cin: inner, H: x.h, W: x.w, Cout: x.c });
  return out;
}

/** Downsample2D: 3x3 conv, stride 2, padding 1. */
export async function downsample(c: BlockCtx, name: string, x: T4): Promise<T4> {
  const cout = c.p.shape(`${name}.conv.weight`)[0];
  const Ho = Math.floor((x.h - 1) / 2) + 1;
  const Wo = Math.floor((x.w - 1) / 2) + 1;
  const out = await c.arena.t4(x.n, cout, Ho, Wo, `${name}.out`);
  c.k.conv3s2.encode(c.rec, { x: x.buf, w: c.p.get(`${name}.conv.weight`), bias: c.p.get(`${name}.conv.bias`), out: out.buf, N: x.n, Cin: x.c, H: x.h, W: x.w, Cout: cout, pad: 1 });
  return out;
}

/** Upsample2D: nearest 2x, then a 3x3 conv. */
export async function upsample(c: BlockCtx, name: string, x: T4): Promise<T4> {
  const u = await c.arena.t4(x.n, x.c, 2 * x.h, 2 * x.w, `${name}.up`);
  c.k.up.encode(c.rec, { x: x.buf, out: u.buf, N: x.n, C: x.c, H: x.h, W: x.w, r: 2 });
  const cout = c.p.shape(`${name}.conv.weight`)[0];
  const out = await c.arena.t4(x.n, cout, u.h, u.w, `${name}.out`);
  c.k.conv3.encode(c.rec, { x: u.buf, w: c.p.get(`${name}.conv.weight`), bias: c.p.get(`${name}.conv.bias`), out: out.buf, N: x.n, Cin: x.c, H: u.h, W: u.w, Cout: cout });
  return out;
}

/** TimestepEmbedding: linear_2(silu(linear_1(tproj))) for tproj [N, Cin] already on the GPU. Returns [N, Cout]. */
export async function timeMlp(c: BlockCtx, name: string, tproj: GPUBuffer, N: number): Promise<{ buf: GPUBuffer; dim: number }> {
  const [d1, cin] = c.p.shape(`${name}.linear_1.weight`);
  const d2 = c.p.shape(`${name}.linear_2.weight`)[0];
  const h = await c.arena.alloc(N * d1, `${name}.h`);
  c.k.linBias.encode(c.rec, { a: tproj, w: c.p.get(`${name}.linear_1.weight`), bias: c.p.get(`${name}.linear_1.bias`), out: h, M: N, N: d1, K: cin });
  const hs = await c.arena.alloc(N * d1, `${name}.hs`);
  c.k.silu.encode(c.rec, { a: h, out: hs, n: N * d1 });
  const out = await c.arena.alloc(N * d2, `${name}.out`);
  c.k.linBias.encode(c.rec, { a: hs, w: c.p.get(`${name}.linear_2.weight`), bias: c.p.get(`${name}.linear_2.bias`), out, M: N, N: d2, K: d1 });
  return { buf: out, dim: d2 };
}
