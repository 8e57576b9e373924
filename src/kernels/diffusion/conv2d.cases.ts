// Kernel cases for conv2d: 3x3 at stride 1 and 2 (symmetric and the VAE's asymmetric padding), 1x1,
// 5x5; heights, widths and channel counts that are not multiples of the 8x8 tile, the 8-channel
// staging chunk or the 4/8 channels per invocation; bias, ReLU/LeakyReLU, residual; reading and
// writing channel slices of concatenated tensors; every weight storage (f32, f16 packed in u32,
// native f16 where the device has it), f16 cases held against the reference on the f16-rounded
// weights so only kernel error counts; and ESRGAN-sized shapes (3 -> 64 channels at 128x128).
// Tolerance: each output is a dot product of K = Cin * k * k terms plus bias and residual, so it is
// judged relative to sum |x w| + |bias| + |residual| (byTermScale) with the f32 dot-product bound
// of the tiled matmul (4 * K * 6e-8; sums of K f32 products carry up to ~K/2 ulps in the worst
// order; measured worst 9.5e-7 on that scale, against 1.4e-4 allowed at K = 576). One wrong tap
// moves an output by ~2/K of it (3.5e-3 at K = 576), a wrong channel or padding row by far more.
import { byTermScale, checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { denseWeights, dotTolerance, weightTypeOf, type StorageCase } from '../matmul.cases';
import { conv2d, conv2dOutputSize, padSides, type ConvActivation, type ConvPadding, type Conv2dVariant } from './conv2d';
import { conv2dRef, type ConvRefShape } from './ref';

interface ConvCase {
  N: number;
  Cin: number;
  H: number;
  W: number;
  Cout: number;
  k: 1 | 3 | 5;
  stride?: 1 | 2;
  pad?: ConvPadding;
  storage?: StorageCase;
  bias?: boolean;
  residual?: boolean;
  act?: ConvActivation;
  alpha?: number;
  /** Read channels [xC0, xC0 + Cin) of an xChannels tensor and write channels [outC0, ...) of an outChannels one. */
  view?: { xChannels: number; xC0: number; outChannels: number; outC0: number };
  /** Tune the variant for the channel counts (default true). */
  hint?: boolean;
}

type Variant = ConvCase & { variant: Conv2dVariant };

function caseName(c: Variant): string {
  const pad = c.pad === undefined ? '' : ` pad=${padSides(c.k, c.pad).join(',')}`;
  const flags = [c.bias && 'bias', c.act && c.act !== 'none' && c.act, c.residual && 'residual', c.view && 'views', c.hint === false && 'untuned']
    .filter(Boolean)
    .join(' ');
  return `${c.variant} ${c.k}x${c.k} s${c.stride ?? 1}${pad} N=${c.N} Cin=${c.Cin} ${c.H}x${c.W} Cout=${c.Cout} ${c.storage ?? 'f32'}${flags ? ` ${flags}` : ''}`;
}

function convCase(c: Variant, seed: number): KernelCase {
  const name = caseName(c);
  const storage = c.storage ?? 'f32';
  const stride = c.stride ?? 1;
  return {
    kernel: 'conv2d',
    name,
    needs: storage === 'f16' ? { f16: true } : undefined,
    run: (rt) => {
      const { N, Cin, H, W, Cout, k } = c;
      const { Ho, Wo } = conv2dOutputSize(k, stride, H, W, c.pad);
      const [padTop, , padLeft] = padSides(k, c.pad);
      const shape: ConvRefShape = { N, Cin, H, W, Cout, k, stride, padTop, padLeft, Ho, Wo };
      const view = c.view ?? { xChannels: Cin, xC0: 0, outChannels: Cout, outC0: 0 };
      const xFull = randn(N * view.xChannels * H * W, seed, { scale: 1.5 });
      const x = sliceChannels(xFull, N, view.xChannels, view.xC0, Cin, H * W);
      const w = denseWeights(randn(Cout * Cin * k * k, seed + 1, { scale: 0.3 }), storage);
      const bias = c.bias ? randn(Cout, seed + 2, { outlierRate: 0 }) : undefined;
      const residual = c.residual ? randn(N * Cout * Ho * Wo, seed + 3) : undefined;
      const catInit = c.view ? randn(N * view.outChannels * Ho * Wo, seed + 4) : undefined;
      const opts = { bias, residual, act: c.act, alpha: c.alpha === undefined ? undefined : Math.fround(c.alpha) };
      const embed = (inner: Float32Array, around = catInit) => (around ? placeChannels(around, inner, N, view.outChannels, view.outC0, Cout, Ho * Wo) : inner);
      // Outside the written slice the scale is 1: those values must come back untouched.
      const ones = catInit ? new Float32Array(catInit.length).fill(1) : undefined;
      const K = Cin * k * k + 2;
      return checkOp(rt, {
        kernel: 'conv2d',
        name,
        inputs: { x: xFull, w: w.data, ...(bias ? { bias } : {}), ...(residual ? { residual } : {}), ...(catInit ? { cat: catInit } : {}) },
        outputs: catInit ? {} : { out: N * Cout * Ho * Wo * 4 },
        compare: catInit ? 'cat' : undefined,
        async prepare(rt) {
          const hint = c.hint ?? true;
          const kern = await conv2d(rt, {
            kernelSize: k,
            stride,
            weights: weightTypeOf(storage),
            forcePacked: storage === 'f16-packed',
            bias: c.bias,
            residual: c.residual,
            activation: c.act,
            variant: c.variant,
            cin: hint ? Cin : undefined,
            cout: hint ? Cout : undefined,
          });
          return {
            variant: kern.label,
            encode: (rec, b) =>
              kern.encode(rec, {
                x: b.x.buffer,
                w: b.w.buffer,
                bias: b.bias?.buffer,
                residual: b.residual?.buffer,
                out: (b.cat ?? b.out).buffer,
                N, Cin, H, W, Cout,
                pad: c.pad,
                alpha: c.alpha,
                ...view,
              }),
          };
        },
        reference: () => embed(conv2dRef(x, w.ref, shape, opts)),
        normalize: byTermScale(embed(conv2dRef(x, w.ref, shape, { ...opts, abs: true }), ones)),
        tolerance: dotTolerance(K),
      });
    },
  };
}

/** Channels [c0, c0 + C) of a [N, total, HW] tensor, as a [N, C, HW] one. */
function sliceChannels(full: Float32Array, N: number, total: number, c0: number, C: number, HW: number): Float32Array {
  const out = new Float32Array(N * C * HW);
  for (let n = 0; n < N; n++) out.set(full.subarray((n * total + c0) * HW, (n * total + c0 + C) * HW), n * C * HW);
  return out;
}

/** A copy of `full` [N, total, HW] with channels [c0, c0 + C) replaced by `part` [N, C, HW]. */
function placeChannels(full: Float32Array, part: Float32Array, N: number, total: number, c0: number, C: number, HW: number): Float32Array {
  const out = Float32Array.from(full);
  for (let n = 0; n < N; n++) out.set(part.subarray(n * C * HW, (n + 1) * C * HW), (n * total + c0) * HW);
  return out;
}

const CASES: ConvCase[] = [
  // 3x3 stride 1 ('same'): the resnet conv.
  { N: 1, Cin: 3, H: 5, W: 7, Cout: 5, k: 3, bias: true },
  { N: 2, Cin: 13, H: 9, W: 11, Cout: 10, k: 3, bias: true, residual: true, storage: 'f16-packed' },
  { N: 1, Cin: 1, H: 1, W: 1, Cout: 1, k: 3 },
  { N: 2, Cin: 20, H: 17, W: 3, Cout: 9, k: 3, bias: true, storage: 'f16' },
  { N: 1, Cin: 11, H: 10, W: 9, Cout: 6, k: 3, bias: true, hint: false },
  // 3x3 stride 2: the downsampler, symmetric padding (UNet) and the VAE encoder's (0, 1, 0, 1).
  { N: 2, Cin: 9, H: 13, W: 10, Cout: 7, k: 3, stride: 2, bias: true },
  { N: 1, Cin: 6, H: 12, W: 9, Cout: 4, k: 3, stride: 2, pad: [0, 1, 0, 1], bias: true, storage: 'f16-packed' },
  { N: 1, Cin: 10, H: 2, W: 3, Cout: 3, k: 3, stride: 2 },
  // 1x1: shortcut and projection convs.
  { N: 2, Cin: 17, H: 6, W: 5, Cout: 12, k: 1, bias: true, residual: true },
  { N: 1, Cin: 4, H: 9, W: 9, Cout: 3, k: 1, storage: 'f16-packed' },
  { N: 1, Cin: 33, H: 3, W: 11, Cout: 20, k: 1, bias: true, storage: 'f16' },
  // ESRGAN-like: 5x5 'same' with ReLU, LeakyReLU(0.2) 3x3, 64 channels, 3 -> 64 at 128x128.
  { N: 1, Cin: 5, H: 10, W: 11, Cout: 6, k: 5, bias: true, act: 'relu' },
  { N: 1, Cin: 3, H: 128, W: 128, Cout: 64, k: 3, bias: true, act: 'leaky_relu', alpha: 0.2 },
  { N: 1, Cin: 64, H: 19, W: 13, Cout: 64, k: 3, bias: true, residual: true, storage: 'f16-packed' },
  { N: 1, Cin: 64, H: 21, W: 17, Cout: 3, k: 3, bias: true },
  // Dense-block concatenation: read a channel slice, write into a channel slice.
  { N: 2, Cin: 5, H: 7, W: 9, Cout: 4, k: 3, bias: true, act: 'relu', view: { xChannels: 9, xC0: 2, outChannels: 11, outC0: 6 } },
  { N: 2, Cin: 6, H: 8, W: 5, Cout: 3, k: 1, bias: true, view: { xChannels: 6, xC0: 0, outChannels: 9, outC0: 0 } },
  // int8 weight blocks (the UNet's 8-bit option): rows of 9 * Cin values straddle the 32-value blocks.
  { N: 2, Cin: 7, H: 6, W: 5, Cout: 5, k: 3, bias: true, residual: true, storage: 'i8' },
  { N: 1, Cin: 9, H: 9, W: 8, Cout: 4, k: 3, stride: 2, bias: true, storage: 'i8' },
  { N: 1, Cin: 35, H: 4, W: 3, Cout: 6, k: 1, bias: true, storage: 'i8' },
];

// Both variants on every substrate, whatever the default there.
export const conv2dCases: KernelCase[] = (['tiled', 'direct'] as const).flatMap((variant) =>
  CASES.map((c, i) => convCase({ ...c, variant }, 9000 + 17 * i)),
);
