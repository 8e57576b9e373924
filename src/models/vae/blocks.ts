// The image decoders' blocks on the GPU, in diffusers' naming and semantics, recorded into the
// caller's recorder: the VAE's ResnetBlock2D (no time embedding), its mid-block self-attention (one
// head as wide as the channels), Upsample2D, and TAESD's AutoencoderTinyBlock.
//
// Memory: decoders reach 512x512 pixels at up to 512 channels, so a block CONSUMES its input (frees
// it once the last dispatch that reads it is recorded) and frees its intermediates as soon as they
// are read, through `Scratch`. Freeing mid-recording is safe because the pool only hands a buffer
// out again to work recorded later in the same command stream, which WebGPU runs after every
// earlier dispatch that touched it. With pool reuse off (the aliasing debug switch) release means
// destroy, which would break the pending submit, so frees are then deferred to `release()`.
//
// unet/blocks.ts has a ResnetBlock2D too; this one is separate because it frees as it goes (the
// UNet's keeps everything until the end of its forward, affordable at latent resolution only).
import { conv2d, type Conv2dKernel } from '../../kernels/diffusion/conv2d';
import { groupNorm, type GroupNormArgs, type NormKernel } from '../../kernels/diffusion/norm';
import { pointwise, type PointwiseKernel } from '../../kernels/diffusion/pointwise';
import { upsampleNearest, type ResampleKernel } from '../../kernels/diffusion/resample';
import { transpose, type TransposeKernel } from '../../kernels/diffusion/transpose';
import { matmul, type MatmulKernel } from '../../kernels/matmul';
import { softmax, type SoftmaxKernel } from '../../kernels/softmax';
import type { DenseWeightType } from '../../kernels/weights';
import { loadError } from '../../formats/errors';
import { poolCapacity, type PooledBuffer } from '../../runtime/buffer-pool';
import type { Recorder } from '../../runtime/recorder';
import type { GpuRuntime } from '../../runtime/runtime';
import { EngineError, throwIfAborted } from '../../util/errors';
import { fmtBytes } from '../../util/format';
import type { T4 } from '../unet/blocks';
import type { Params } from '../unet/params';

export type { T4 };

/** Activation buffers of one decode, freed one by one; counts the bytes it holds and their peak. */
export class Scratch {
  private readonly held = new Map<GPUBuffer, PooledBuffer>();
  private readonly deferred: PooledBuffer[] = [];
  private liveBytes = 0;
  /** Most bytes held at once (requests rounded as the pool rounds them, not recycled capacities). */
  peakBytes = 0;

  constructor(private readonly rt: GpuRuntime) {}

  async alloc(floats: number, label: string): Promise<GPUBuffer> {
    const b = await this.rt.storage(Math.max(1, floats) * 4, 'activations', label);
    this.held.set(b.buffer, b);
    this.liveBytes += scratchBytes(floats);
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return b.buffer;
  }

  async t4(n: number, c: number, h: number, w: number, label: string): Promise<T4> {
    return { buf: await this.alloc(n * c * h * w, label), n, c, h, w };
  }

  /** Give buffers back once the last dispatch reading them is recorded. */
  free(...xs: (T4 | GPUBuffer)[]): void {
    for (const x of xs) {
      const buf = 'buf' in x ? x.buf : x;
      const b = this.held.get(buf);
      if (!b) throw new EngineError('Internal', `vae scratch: buffer "${buf.label}" freed twice or not from this scratch`);
      this.held.delete(buf);
      this.liveBytes -= scratchBytes(b.size / 4);
      if (this.rt.pool.reuse) this.rt.pool.release(b);
      else this.deferred.push(b);
    }
  }

  /** Everything still held, and every deferred free: call after the submit (or on failure). */
  release(): void {
    for (const b of [...this.held.values(), ...this.deferred.splice(0)]) this.rt.pool.release(b);
    this.held.clear();
    this.liveBytes = 0;
  }
}

/** Bytes a scratch buffer of `floats` f32 values counts for (the pool's 256-byte rounding). */
export function scratchBytes(floats: number): number {
  return poolCapacity(Math.max(1, floats) * 4);
}

export interface VaeKernels {
  conv3: Conv2dKernel;
  conv3res: Conv2dKernel;
  conv3relu: Conv2dKernel;
  conv3noBias: Conv2dKernel;
  conv1: Conv2dKernel;
  conv1noBias: Conv2dKernel;
  conv1res: Conv2dKernel;
  /** The last conv (few output channels). */
  convOut: Conv2dKernel;
  gnSilu: NormKernel<GroupNormArgs>;
  gn: NormKernel<GroupNormArgs>;
  up: ResampleKernel;
  toTokens: TransposeKernel;
  matmul: MatmulKernel;
  softmax: SoftmaxKernel;
  reluInPlace: PointwiseKernel;
  scaleInPlace: PointwiseKernel;
}

/**
 * Compile what a decoder needs; `which` picks the KL or the TAESD set (compiling is slow on CPUs).
 * `weights` is how the conv (and attention Linear) weights are stored: Params.matrixType. The
 * attention matmuls multiply activations, so they stay f32.
 */
export async function vaeKernels(rt: GpuRuntime, which: 'kl' | 'taesd', outChannels: number, weights: DenseWeightType = 'f32'): Promise<Partial<VaeKernels>> {
  const c = (k: 1 | 3, o: { bias?: boolean; residual?: boolean; relu?: boolean; cout?: number } = {}) =>
    conv2d(rt, { kernelSize: k, weights, bias: o.bias ?? true, residual: o.residual, activation: o.relu ? 'relu' : 'none', cout: o.cout });
  if (which === 'kl') {
    const [conv3, conv3res, conv1, conv1res, convOut, gnSilu, gn, up, toTokens, mm, sm] = await Promise.all([
      c(3), c(3, { residual: true }), c(1), c(1, { residual: true }), c(3, { cout: outChannels }),
      groupNorm(rt, { silu: true }), groupNorm(rt), upsampleNearest(rt), transpose(rt), matmul(rt, { weights: 'f32' }), softmax(rt),
    ]);
    return { conv3, conv3res, conv1, conv1res, convOut, gnSilu, gn, up, toTokens, matmul: mm, softmax: sm };
  }
  const [conv3relu, conv3res, conv3noBias, conv1noBias, convOut, up, reluInPlace, scaleInPlace] = await Promise.all([
    c(3, { relu: true }), c(3, { residual: true }), c(3, { bias: false }), c(1, { bias: false }), c(3, { cout: outChannels }),
    upsampleNearest(rt), pointwise(rt, 'relu', { inPlace: true }), pointwise(rt, 'scale', { inPlace: true }),
  ]);
  return { conv3relu, conv3res, conv3noBias, conv1noBias, convOut, up, reluInPlace, scaleInPlace };
}

export interface VaeCtx {
  rt: GpuRuntime;
  k: Partial<VaeKernels>;
  p: Params;
  rec: Recorder;
  s: Scratch;
  groups: number;
  /** Every norm of the VAE decoder uses 1e-6. */
  eps: number;
}

/** The compiled kernel `name`, or an Internal error when this decoder's set lacks it. */
export function need<K extends keyof VaeKernels>(c: VaeCtx, name: K): VaeKernels[K] {
  const k = c.k[name];
  if (!k) throw new EngineError('Internal', `vae: kernel ${name} was not compiled for this decoder`);
  return k as VaeKernels[K];
}

/** Output channels of the conv `name` (its weight is [Cout, Cin, k, k]). */
function outOf(c: VaeCtx, name: string): number {
  return c.p.shape(`${name}.weight`)[0];
}

/** A conv with bias named `name` (diffusers: name.weight, name.bias); consumes nothing. */
export async function convNamed(c: VaeCtx, kernel: 'conv3' | 'conv1' | 'convOut', name: string, x: T4): Promise<T4> {
  const cout = outOf(c, name);
  const out = await c.s.t4(x.n, cout, x.h, x.w, name);
  need(c, kernel).encode(c.rec, { x: x.buf, w: c.p.get(`${name}.weight`), bias: c.p.get(`${name}.bias`), out: out.buf, N: x.n, Cin: x.c, H: x.h, W: x.w, Cout: cout });
  return out;
}

/** GroupNorm (c.groups, c.eps) with affine `name.weight`/`name.bias`, then SiLU; consumes nothing. */
export async function normSilu(c: VaeCtx, name: string, x: T4): Promise<T4> {
  const out = await c.s.t4(x.n, x.c, x.h, x.w, name);
  need(c, 'gnSilu').encode(c.rec, { x: x.buf, gamma: c.p.get(`${name}.weight`), beta: c.p.get(`${name}.bias`), out: out.buf, N: x.n, C: x.c, HW: x.h * x.w, groups: c.groups, eps: c.eps });
  return out;
}

/**
 * ResnetBlock2D without time embedding, consuming x:
 * conv2(silu(norm2(conv1(silu(norm1(x)))))) + (conv_shortcut(x) when the channels change, else x).
 * Holds at most x + two [cout]-or-[cin] tensors at once.
 */
export async function vaeResnet(c: VaeCtx, name: string, x: T4): Promise<T4> {
  const { p, rec, s } = c;
  const cout = outOf(c, `${name}.conv1`);
  const HW = x.h * x.w;
  const dims = { N: x.n, H: x.h, W: x.w };
  const h1 = await s.t4(x.n, x.c, x.h, x.w, `${name}.norm1`);
  need(c, 'gnSilu').encode(rec, { x: x.buf, gamma: p.get(`${name}.norm1.weight`), beta: p.get(`${name}.norm1.bias`), out: h1.buf, N: x.n, C: x.c, HW, groups: c.groups, eps: c.eps });
  const h2 = await s.t4(x.n, cout, x.h, x.w, `${name}.conv1`);
  need(c, 'conv3').encode(rec, { x: h1.buf, w: p.get(`${name}.conv1.weight`), bias: p.get(`${name}.conv1.bias`), out: h2.buf, ...dims, Cin: x.c, Cout: cout });
  s.free(h1);
  const h3 = await s.t4(x.n, cout, x.h, x.w, `${name}.norm2`);
  need(c, 'gnSilu').encode(rec, { x: h2.buf, gamma: p.get(`${name}.norm2.weight`), beta: p.get(`${name}.norm2.bias`), out: h3.buf, N: x.n, C: cout, HW, groups: c.groups, eps: c.eps });
  s.free(h2);
  let skip = x;
  if (p.has(`${name}.conv_shortcut.weight`)) {
    skip = await convNamed(c, 'conv1', `${name}.conv_shortcut`, x);
    s.free(x);
  }
  const out = await s.t4(x.n, cout, x.h, x.w, `${name}.out`);
  need(c, 'conv3res').encode(rec, { x: h3.buf, w: p.get(`${name}.conv2.weight`), bias: p.get(`${name}.conv2.bias`), residual: skip.buf, out: out.buf, ...dims, Cin: cout, Cout: cout });
  s.free(h3, skip);
  return out;
}

/** Upsample2D with a conv, consuming x: nearest (factor r), then the 3x3 conv `name.conv` (with bias). */
export async function vaeUpsample(c: VaeCtx, name: string, x: T4): Promise<T4> {
  const u = await c.s.t4(x.n, x.c, 2 * x.h, 2 * x.w, `${name}.nearest`);
  need(c, 'up').encode(c.rec, { x: x.buf, out: u.buf, N: x.n, C: x.c, H: x.h, W: x.w, r: 2 });
  c.s.free(x);
  const out = await convNamed(c, 'conv3', `${name}.conv`, u);
  c.s.free(u);
  return out;
}

/** The four Linear layers of the mid-block attention, under whichever naming the checkpoint uses. */
export interface AttentionNames {
  norm: string;
  q: string;
  k: string;
  v: string;
  out: string;
}

/**
 * Resolve the attention's parameter names once, at load. Checkpoints name its Linears either
 * to_q/to_k/to_v/to_out.0 (diffusers today) or query/key/value/proj_attn (older SD 1.x VAEs such
 * as stable-diffusion-v1-5's and sd-vae-ft-mse's); diffusers renames the old ones when it loads
 * them (modeling_utils `_convert_deprecated_attention_blocks`), and so does this. Weights may be
 * [C, C] (Linear) or [C, C, 1, 1] (conv-shaped exports): the bytes are the same, so only the
 * element count is checked.
 */
export function attentionNames(p: Params, prefix: string, C: number): AttentionNames {
  const pick = (now: string, old: string) => {
    if (p.has(`${prefix}.${now}.weight`)) return `${prefix}.${now}`;
    if (p.has(`${prefix}.${old}.weight`)) return `${prefix}.${old}`;
    throw loadError('ModelLoad', `Tensor "${prefix}.${now}.weight" (or the older "${prefix}.${old}.weight") is missing from ${p.source}.`, {
      hint: 'The weights do not match the config: pick the vae/ files of one model.',
    });
  };
  const names = { norm: `${prefix}.group_norm`, q: pick('to_q', 'query'), k: pick('to_k', 'key'), v: pick('to_v', 'value'), out: pick('to_out.0', 'proj_attn') };
  for (const n of [names.q, names.k, names.v, names.out]) {
    const shape = p.shape(`${n}.weight`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (shape[0] !== C || count !== C * C) throw loadError('ModelLoad', `Tensor "${n}.weight" in ${p.source} is [${shape.join(', ')}]; the attention needs [${C}, ${C}].`);
    checkShape(p, `${n}.bias`, [C]);
  }
  checkShape(p, `${names.norm}.weight`, [C]);
  checkShape(p, `${names.norm}.bias`, [C]);
  return names;
}

/** A named ModelLoad error unless tensor `name` exists with exactly `shape`. */
export function checkShape(p: Params, name: string, shape: number[]): void {
  const got = p.shape(name);
  if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
    throw loadError('ModelLoad', `Tensor "${name}" in ${p.source} is [${got.join(', ')}]; the config needs [${shape.join(', ')}].`, {
      hint: 'The weights do not match the config: pick the files of one model.',
    });
  }
}

/**
 * Query rows per score tile for L tokens of width C: the [rows, L] score matrix stays within
 * `budgetBytes` (and the device's binding limit), and rows * C * 4 is a multiple of the storage
 * offset alignment, so every tile's rows of q and of the output bind at an offset.
 */
export function attentionTileRows(L: number, C: number, budgetBytes: number, align: number, maxBinding: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const unit = align / gcd(4 * C, align);
  const budget = Math.min(budgetBytes, maxBinding);
  const rows = Math.max(unit, Math.floor(budget / (4 * L) / unit) * unit);
  if (rows * L * 4 > maxBinding) {
    throw new EngineError('OutOfMemory', `vae attention: ${rows} query rows of ${L} scores (${fmtBytes(rows * L * 4)}) exceed this device's ${fmtBytes(maxBinding)} binding limit.`, {
      hint: 'Decode a smaller image, or use the TAESD decoder.',
    });
  }
  return Math.min(rows, L);
}

/** Default size of one score tile: 32 MiB is 2048 query rows of a 64x64-latent (4096-token) image. */
export const ATTENTION_SCORE_BYTES = 32 * 2 ** 20;

/**
 * The VAE mid block's attention for ONE image, consuming x [1, C, H, W]:
 * x + to_out(softmax(q kᵀ / sqrt(C)) v), q/k/v = Linear(group_norm(x)) over the L = H*W pixels.
 * The head is as wide as the channels (512 in SD's VAE), past the fused attention kernel's
 * head-size limit, so it is two matmuls around a row softmax, tiled over queries so a score tile
 * never exceeds `scoreBytes`. q/k/v are 1x1 convs on NCHW (a Linear over channels); v stays NCHW,
 * which is exactly the [C, L] operand `out = P · v` needs; q and k go to tokens [L, C].
 */
export async function vaeAttention(c: VaeCtx, names: AttentionNames, x: T4, scoreBytes = ATTENTION_SCORE_BYTES): Promise<T4> {
  const { p, rec, s, rt } = c;
  if (x.n !== 1) throw new EngineError('Internal', `vae attention: one image at a time (got N=${x.n})`);
  const C = x.c;
  const L = x.h * x.w;
  const normed = await s.t4(1, C, x.h, x.w, `${names.norm}`);
  need(c, 'gn').encode(rec, { x: x.buf, gamma: p.get(`${names.norm}.weight`), beta: p.get(`${names.norm}.bias`), out: normed.buf, N: 1, C, HW: L, groups: c.groups, eps: c.eps });
  const proj = (n: string) => convNamed(c, 'conv1', n, normed);
  const q = await proj(names.q);
  const k = await proj(names.k);
  const v = await proj(names.v); // [C, L]
  s.free(normed);
  const tokens = async (t: T4, label: string) => {
    const o = await s.alloc(L * C, label);
    need(c, 'toTokens').nchwToTokens(rec, { x: t.buf, out: o, N: 1, C, HW: L });
    s.free(t);
    return o;
  };
  const qT = await tokens(q, `${names.q}.tokens`); // [L, C]
  const kT = await tokens(k, `${names.k}.tokens`); // [L, C]
  const lim = rt.limits;
  const rows = attentionTileRows(L, C, scoreBytes, lim.minStorageBufferOffsetAlignment, lim.maxStorageBufferBindingSize);
  const scores = await s.alloc(rows * L, 'vae.attention.scores'); // [rows, L]
  const probs = await s.alloc(rows * L, 'vae.attention.probs');
  const o = await s.alloc(L * C, 'vae.attention.o'); // [L, C]
  for (let q0 = 0; q0 < L; q0 += rows) {
    const m = Math.min(rows, L - q0);
    const slice = (buf: GPUBuffer) => ({ buffer: buf, offset: q0 * C * 4, size: m * C * 4 });
    need(c, 'matmul').encode(rec, { a: slice(qT), w: kT, out: scores, M: m, N: L, K: C });
    need(c, 'softmax').encode(rec, { x: scores, out: probs, rows: m, cols: L, scale: 1 / Math.sqrt(C) });
    need(c, 'matmul').encode(rec, { a: probs, w: v.buf, out: slice(o), M: m, N: C, K: L });
  }
  s.free(qT, kT, v, scores, probs);
  const oc = await s.t4(1, C, x.h, x.w, `${names.out}.in`);
  need(c, 'toTokens').tokensToNchw(rec, { x: o, out: oc.buf, N: 1, C, HW: L });
  s.free(o);
  const out = await s.t4(1, C, x.h, x.w, `${names.out}`);
  need(c, 'conv1res').encode(rec, { x: oc.buf, w: p.get(`${names.out}.weight`), bias: p.get(`${names.out}.bias`), residual: x.buf, out: out.buf, N: 1, Cin: C, H: x.h, W: x.w, Cout: C });
  s.free(oc, x);
  return out;
}

/**
 * AutoencoderTinyBlock, consuming x: relu(conv.4(relu(conv.2(relu(conv.0(x))))) + skip(x)), skip the
 * identity when the widths match, else a 1x1 conv without bias (`skip.weight`).
 */
export async function tinyBlock(c: VaeCtx, name: string, x: T4): Promise<T4> {
  const { p, rec, s } = c;
  const cout = outOf(c, `${name}.conv.0`);
  const dims = { N: x.n, H: x.h, W: x.w };
  const a = await s.t4(x.n, cout, x.h, x.w, `${name}.conv.0`);
  need(c, 'conv3relu').encode(rec, { x: x.buf, w: p.get(`${name}.conv.0.weight`), bias: p.get(`${name}.conv.0.bias`), out: a.buf, ...dims, Cin: x.c, Cout: cout });
  const b = await s.t4(x.n, cout, x.h, x.w, `${name}.conv.2`);
  need(c, 'conv3relu').encode(rec, { x: a.buf, w: p.get(`${name}.conv.2.weight`), bias: p.get(`${name}.conv.2.bias`), out: b.buf, ...dims, Cin: cout, Cout: cout });
  s.free(a);
  let skip = x;
  if (p.has(`${name}.skip.weight`)) {
    skip = await s.t4(x.n, cout, x.h, x.w, `${name}.skip`);
    need(c, 'conv1noBias').encode(rec, { x: x.buf, w: p.get(`${name}.skip.weight`), out: skip.buf, ...dims, Cin: x.c, Cout: cout });
    s.free(x);
  } else if (x.c !== cout) {
    throw loadError('ModelLoad', `Tensor "${name}.skip.weight" is missing from ${p.source} (the block maps ${x.c} channels to ${cout}).`);
  }
  const out = await s.t4(x.n, cout, x.h, x.w, `${name}.out`);
  need(c, 'conv3res').encode(rec, { x: b.buf, w: p.get(`${name}.conv.4.weight`), bias: p.get(`${name}.conv.4.bias`), residual: skip.buf, out: out.buf, ...dims, Cin: cout, Cout: cout });
  need(c, 'reluInPlace').encode(rec, { a: out.buf, n: x.n * cout * x.h * x.w });
  s.free(b, skip);
  return out;
}

/** What a decode will hold in activation memory, known from the config before anything is allocated. */
export interface DecodePlan {
  /** Most activation bytes held at once (latents and output buffers included). */
  peakBytes: number;
  /** The largest single activation (it must fit one storage binding), and where it is made. */
  largestBytes: number;
  largestAt: string;
}

/**
 * A walk over a decode's allocations, without a GPU: each method mirrors the allocation and free
 * order of the block above it, so a decoder's plan (decoder.ts, taesd.ts) says what its recording
 * will hold; the decoder tests hold the plans to the bytes Scratch really counted. Tensors are
 * their byte counts.
 */
export class MemoryWalk {
  private live = 0;
  private peak = 0;
  private largest = 0;
  private largestAt = '';

  alloc(floats: number, at: string): number {
    const b = scratchBytes(floats);
    this.live += b;
    this.peak = Math.max(this.peak, this.live);
    if (floats * 4 > this.largest) {
      this.largest = floats * 4;
      this.largestAt = at;
    }
    return b;
  }

  free(...tensors: number[]): void {
    for (const b of tensors) this.live -= b;
  }

  plan(): DecodePlan {
    return { peakBytes: this.peak, largestBytes: this.largest, largestAt: this.largestAt };
  }

  /** vaeResnet over hw pixels; frees x. */
  resnet(at: string, x: number, cin: number, cout: number, hw: number): number {
    const h1 = this.alloc(cin * hw, at);
    const h2 = this.alloc(cout * hw, at);
    this.free(h1);
    const h3 = this.alloc(cout * hw, at);
    this.free(h2);
    let skip = x;
    if (cin !== cout) {
      skip = this.alloc(cout * hw, at);
      this.free(x);
    }
    const out = this.alloc(cout * hw, at);
    this.free(h3, skip);
    return out;
  }

  /** vaeUpsample, or TAESD's upsample + bias-less conv, to hwOut pixels; frees x. */
  upsample(at: string, x: number, c: number, hwOut: number): number {
    const u = this.alloc(c * hwOut, at);
    this.free(x);
    const out = this.alloc(c * hwOut, at);
    this.free(u);
    return out;
  }

  /** vaeAttention over L pixels with `rows` query rows per score tile; frees x. */
  attention(at: string, x: number, C: number, L: number, rows: number): number {
    const normed = this.alloc(C * L, at);
    const q = this.alloc(C * L, at);
    const k = this.alloc(C * L, at);
    const v = this.alloc(C * L, at);
    this.free(normed);
    const qT = this.alloc(L * C, at);
    this.free(q);
    const kT = this.alloc(L * C, at);
    this.free(k);
    const scores = this.alloc(rows * L, at);
    const probs = this.alloc(rows * L, at);
    const o = this.alloc(L * C, at);
    this.free(qT, kT, v, scores, probs);
    const oc = this.alloc(C * L, at);
    this.free(o);
    const out = this.alloc(C * L, at);
    this.free(oc, x);
    return out;
  }

  /** tinyBlock with equal widths (identity skip); frees x. */
  tinyBlock(at: string, x: number, c: number, hw: number): number {
    const a = this.alloc(c * hw, at);
    const b = this.alloc(c * hw, at);
    this.free(a);
    const out = this.alloc(c * hw, at);
    this.free(b, x);
    return out;
  }
}

/** An OutOfMemory error, before anything is allocated, when one tensor cannot be bound. */
export function checkPlanFits(plan: DecodePlan, limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>, what: string): void {
  const max = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (plan.largestBytes > max) {
    throw new EngineError('OutOfMemory', `${what} needs a ${fmtBytes(plan.largestBytes)} activation at ${plan.largestAt}; this device binds at most ${fmtBytes(max)} per buffer.`, {
      hint: 'Generate a smaller image, or decode with TAESD (the tiny decoder).',
      detail: `peak activations ${fmtBytes(plan.peakBytes)}`,
    });
  }
}

/**
 * The run every image decoder shares: check the latents' shape and the plan against the device's
 * limits, upload the latents mapped through `pre` (the decoder's scaling), and per image copy its
 * latents into a scratch tensor, let `image` turn them into [1, outChannels, upscale*h, upscale*w]
 * (consuming its input), gather the images, `post` on the whole output, one submit and one readback.
 */
export async function runDecode(
  d: { rt: GpuRuntime; ctx: Omit<VaeCtx, 'rec' | 's' | 'rt'>; label: string; what: string; latentChannels: number; outChannels: number; upscale: number; plan: DecodePlan },
  latents: Float32Array,
  N: number,
  h: number,
  w: number,
  o: { signal?: AbortSignal; pre: (v: number) => number; image: (c: VaeCtx, z: T4) => Promise<T4>; post?: (c: VaeCtx, out: GPUBuffer, n: number) => void },
): Promise<{ pixels: Float32Array; peakBytes: number }> {
  const { rt } = d;
  const lc = d.latentChannels;
  if (latents.length !== N * lc * h * w) throw new EngineError('Internal', `${d.label}: latents hold ${latents.length} values, not [${N}, ${lc}, ${h}, ${w}]`);
  checkPlanFits(d.plan, rt.limits, `Decoding ${h}x${w} latents to ${h * d.upscale}x${w * d.upscale}${d.what}`);
  throwIfAborted(o.signal, 'Decoding the image');
  const s = new Scratch(rt);
  try {
    const rec = rt.recorder({ label: d.label });
    const c: VaeCtx = { ...d.ctx, rt, rec, s };
    const zin = await s.alloc(latents.length, `${d.label}.latents`);
    rt.device.queue.writeBuffer(zin, 0, Float32Array.from(latents, o.pre));
    const img = d.outChannels * h * d.upscale * w * d.upscale;
    const out = await s.alloc(N * img, `${d.label}.image`);
    const plane = lc * h * w * 4;
    for (let n = 0; n < N; n++) {
      const z = await s.t4(1, lc, h, w, `${d.label}.latents.${n}`);
      rec.copy(zin, n * plane, z.buf, 0, plane);
      const y = await o.image(c, z);
      rec.copy(y.buf, 0, out, n * img * 4, img * 4);
      s.free(y);
    }
    o.post?.(c, out, N * img);
    const read = rec.read(out, 0, N * img * 4);
    await rec.submit();
    return { pixels: new Float32Array(await read), peakBytes: s.peakBytes };
  } finally {
    s.release();
  }
}
