// 2-D convolution on NCHW activations with PyTorch-layout weights [Cout, Cin, k, k], zero padding,
// optional bias, activation (ReLU / LeakyReLU) and residual add. Shader: shaders/diffusion/conv2d.wgsl.
// The UNet's and VAE's 3x3 (stride 1 and 2) and 1x1 convs, and the 3x3/5x5 convs of ESRGAN-like
// upscalers; input and output can be channel slices of bigger tensors (dense-block concatenation).
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';
import { bindingSlots } from '../quant/format';
import { weightBytes, weightDefines, weightStorage, type DenseWeightType, type WeightStorage } from '../weights';

export type ConvActivation = 'none' | 'relu' | 'leaky_relu';
/** tiled: input and weight tiles staged in workgroup memory (GPUs). direct: every invocation reads
 *  storage itself, no workgroup memory or barriers (CPU-backed adapters; also compiles in a
 *  fraction of the time there). */
export type Conv2dVariant = 'tiled' | 'direct';
/** Zero padding as [top, bottom, left, right], or one number for all four sides. */
export type ConvPadding = number | readonly [number, number, number, number];

const TILE = 8;
/** Output pixels along x per invocation in the direct variant. */
const DIRECT_PX = 4;

export interface Conv2dOptions {
  kernelSize: 1 | 3 | 5;
  stride?: 1 | 2;
  /** Weight dtype as stored: f32, or f16 (native with shader-f16, else packed u32 pairs). */
  weights: DenseWeightType;
  forcePacked?: boolean;
  bias?: boolean;
  residual?: boolean;
  activation?: ConvActivation;
  /** Default: direct on software adapters, tiled elsewhere. */
  variant?: Conv2dVariant;
  /** Channel counts the variant is tuned for (staging chunk and channels per invocation); any
   *  shape still runs, less efficiently when Cin < 8 or Cout <= 4 were not said. */
  cin?: number;
  cout?: number;
}

export interface Conv2dArgs {
  x: Binding;
  w: Binding;
  out: Binding;
  bias?: Binding;
  /** [N, Cout, Ho, Wo], added after bias and activation. */
  residual?: Binding;
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  /** Default kernelSize / 2 on every side ('same' at stride 1). */
  pad?: ConvPadding;
  /** LeakyReLU slope below zero (default 0.01, as torch.nn.LeakyReLU; ESRGAN uses 0.2). */
  alpha?: number;
  /** x is channels [xC0, xC0 + Cin) of a [N, xChannels, H, W] tensor (default: all of it). */
  xChannels?: number;
  xC0?: number;
  /** out is channels [outC0, outC0 + Cout) of a [N, outChannels, Ho, Wo] tensor. */
  outChannels?: number;
  outC0?: number;
}

export interface Conv2dKernel {
  readonly label: string;
  readonly storage: WeightStorage;
  encode(rec: Recorder, args: Conv2dArgs): void;
}

export function padSides(k: number, pad: ConvPadding | undefined): [number, number, number, number] {
  if (pad === undefined) return [k >> 1, k >> 1, k >> 1, k >> 1];
  return typeof pad === 'number' ? [pad, pad, pad, pad] : [pad[0], pad[1], pad[2], pad[3]];
}

/** Output height and width: floor((size + padding - k) / stride) + 1, as torch.nn.Conv2d. */
export function conv2dOutputSize(k: number, stride: number, H: number, W: number, pad?: ConvPadding): { Ho: number; Wo: number } {
  const [t, b, l, r] = padSides(k, pad);
  return { Ho: Math.floor((H + t + b - k) / stride) + 1, Wo: Math.floor((W + l + r - k) / stride) + 1 };
}

/** Input channels staged per step: all of a small Cin, else 8, halved until the tiles fit. */
function chunkFor(rt: GpuRuntime, k: number, stride: number, cob: number, cin: number | undefined): number {
  const tin = (TILE - 1) * stride + k;
  let chunk = Math.min(cin ?? 8, 8);
  const bytes = (c: number) => (c * tin * tin + c * k * k * cob) * 4;
  while (chunk > 1 && bytes(chunk) > rt.limits.maxComputeWorkgroupStorageSize) chunk >>= 1;
  return chunk;
}

export async function conv2d(rt: GpuRuntime, opts: Conv2dOptions): Promise<Conv2dKernel> {
  const k = opts.kernelSize;
  const stride = opts.stride ?? 1;
  const op = 'conv2d';
  guard([1, 3, 5].includes(k), op, `kernelSize must be 1, 3 or 5 (got ${k})`);
  guard(stride === 1 || stride === 2, op, `stride must be 1 or 2 (got ${stride})`);
  if (opts.cin !== undefined) guardDim(op, 'cin', opts.cin);
  if (opts.cout !== undefined) guardDim(op, 'cout', opts.cout);
  const storage = weightStorage(rt, opts.weights, opts.forcePacked);
  const act = opts.activation ?? 'none';
  const cob = opts.cout !== undefined && opts.cout <= 4 ? 4 : 8;
  const variant = opts.variant ?? (rt.report.adapter.isSoftware ? 'direct' : 'tiled');
  guard(variant === 'tiled' || variant === 'direct', op, `variant must be tiled or direct (got ${variant})`);
  const chunk = variant === 'tiled' ? chunkFor(rt, k, stride, cob, opts.cin) : 0;
  const label =
    `conv2d.k${k}s${stride}-${variant === 'tiled' ? `tiled-ci${chunk}` : 'direct'}-cob${cob}-${storage}` +
    `${opts.bias ? '-bias' : ''}${act !== 'none' ? `-${act}` : ''}${opts.residual ? '-res' : ''}`;
  const slots = ['x', 'w', ...(opts.bias ? ['bias'] : []), ...(opts.residual ? ['res'] : []), 'out'];
  const pipeline = await rt.pipelines.get({
    shader: 'diffusion/conv2d',
    label,
    defines: {
      ...weightDefines(storage, rt),
      ...bindingSlots(slots),
      KSIZE: `${k}u`,
      STRIDE: `${stride}u`,
      COB: `${cob}u`,
      TILED: variant === 'tiled',
      ...(variant === 'tiled' ? { CI_CHUNK: `${chunk}u` } : {}),
      BIAS: opts.bias ?? false,
      RESIDUAL: opts.residual ?? false,
      ACT_RELU: act === 'relu',
      ACT_LEAKY: act === 'leaky_relu',
    },
  });
  const maxGroups = rt.limits.maxComputeWorkgroupsPerDimension;
  return {
    label,
    storage,
    encode(rec, a) {
      const { N, Cin, H, W, Cout } = a;
      for (const [name, v] of Object.entries({ N, Cin, H, W, Cout })) guardDim(label, name, v);
      const [pt, pb, pl, pr] = padSides(k, a.pad);
      for (const p of [pt, pb, pl, pr]) guard(Number.isInteger(p) && p >= 0 && p < k, label, `padding must be whole numbers in [0, ${k - 1}] (got ${[pt, pb, pl, pr].join(', ')})`);
      const { Ho, Wo } = conv2dOutputSize(k, stride, H, W, a.pad);
      guard(Ho > 0 && Wo > 0, label, `a ${H}x${W} input with padding ${[pt, pb, pl, pr].join(', ')} has no ${k}x${k} window`);
      const xChannels = a.xChannels ?? Cin;
      const xC0 = a.xC0 ?? 0;
      const outChannels = a.outChannels ?? Cout;
      const outC0 = a.outC0 ?? 0;
      for (const [name, v] of Object.entries({ xC0, outC0 })) guard(Number.isInteger(v) && v >= 0, label, `${name} must be a whole number >= 0 (got ${v})`);
      guard(xC0 + Cin <= xChannels, label, `input channels ${xC0}..${xC0 + Cin - 1} lie outside a ${xChannels}-channel tensor`);
      guard(outC0 + Cout <= outChannels, label, `output channels ${outC0}..${outC0 + Cout - 1} lie outside a ${outChannels}-channel tensor`);
      guardIndex(label, 'x', N * xChannels * H * W);
      guardIndex(label, 'out', N * outChannels * Ho * Wo);
      guardIndex(label, 'w', Cout * Cin * k * k);
      guardBytes(label, 'x', a.x, ((N - 1) * xChannels + xC0 + Cin) * H * W * 4);
      guardBytes(label, 'out', a.out, ((N - 1) * outChannels + outC0 + Cout) * Ho * Wo * 4);
      guardBytes(label, 'w', a.w, weightBytes(storage, Cout * Cin * k * k));
      guard(!opts.bias || a.bias !== undefined, label, 'compiled with a bias but none was passed');
      guard(!opts.residual || a.residual !== undefined, label, 'compiled with a residual but none was passed');
      if (a.bias) guardBytes(label, 'bias', a.bias, Cout * 4);
      if (a.residual) guardBytes(label, 'residual', a.residual, N * Cout * Ho * Wo * 4);
      const alpha = a.alpha ?? 0.01;
      guard(Number.isFinite(alpha), label, `alpha must be finite (got ${alpha})`);
      const coBlocks = Math.ceil(Cout / cob);
      const workgroups = [Math.ceil(Wo / (TILE * (variant === 'direct' ? DIRECT_PX : 1))), Math.ceil(Ho / TILE), N * coBlocks] as const;
      guard(workgroups.every((g) => g <= maxGroups), label, `a ${Ho}x${Wo}x${Cout} output (N=${N}) needs workgroups (${workgroups.join(', ')}), past this device's ${maxGroups}; split it`);
      rec.dispatch({
        pipeline,
        label,
        bindings: [a.x, a.w, ...(opts.bias ? [a.bias!] : []), ...(opts.residual ? [a.residual!] : []), a.out],
        workgroups,
        uniforms: packUniforms([
          Cin, H, W, Cout, Ho, Wo, coBlocks, pt, pl,
          xChannels * H * W, xC0, outChannels * Ho * Wo, outC0, { f32: alpha },
        ]),
      });
    },
  };
}
