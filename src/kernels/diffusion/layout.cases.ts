// Kernel cases for the index-remapping kernels: nearest upsampling (factor 2 as diffusers'
// Upsample2D, 3 and 4 as ESRGAN-style heads), pixel shuffle in both channel orders (PyTorch's CRD
// and TensorFlow's DCR), and the NCHW <-> token transposes with odd sizes around the 16x16 tile
// and the fused residual add.
// Tolerance: zero. These kernels move f32 values; the residual add is one f32 sum of two f32
// values, which the float64 reference computes exactly and rounds once, as the GPU does.
import { checkOp, type KernelCase } from '../check/cases';
import { randn } from '../check/data';
import { pixelShuffle, upsampleNearest, type PixelShuffleMode } from './resample';
import { transpose } from './transpose';
import { pixelShuffleRef, transposeRef, upsampleNearestRef } from './ref';

const EXACT = { atol: 0, rtol: 0 };

function upsampleCase(N: number, C: number, H: number, W: number, r: number, seed: number): KernelCase {
  const name = `nearest x${r} N=${N} C=${C} ${H}x${W}`;
  return {
    kernel: 'upsample',
    name,
    run: (rt) => {
      const x = randn(N * C * H * W, seed);
      return checkOp(rt, {
        kernel: 'upsample',
        name,
        inputs: { x },
        outputs: { out: N * C * H * W * r * r * 4 },
        async prepare(rt) {
          const k = await upsampleNearest(rt);
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, out: b.out.buffer, N, C, H, W, r }) };
        },
        reference: () => upsampleNearestRef(x, N * C, H, W, r),
        tolerance: EXACT,
      });
    },
  };
}

function shuffleCase(N: number, C: number, H: number, W: number, r: number, mode: PixelShuffleMode, seed: number): KernelCase {
  const name = `pixel shuffle ${mode} x${r} N=${N} C=${C} ${H}x${W}`;
  return {
    kernel: 'pixel-shuffle',
    name,
    run: (rt) => {
      const x = randn(N * C * r * r * H * W, seed);
      return checkOp(rt, {
        kernel: 'pixel-shuffle',
        name,
        inputs: { x },
        outputs: { out: x.length * 4 },
        async prepare(rt) {
          const k = await pixelShuffle(rt, { mode });
          return { variant: k.label, encode: (rec, b) => k.encode(rec, { x: b.x.buffer, out: b.out.buffer, N, C, H, W, r }) };
        },
        reference: () => pixelShuffleRef(x, N, C, H, W, r, mode),
        tolerance: EXACT,
      });
    },
  };
}

function transposeCase(dir: 'nchw->tokens' | 'tokens->nchw', N: number, C: number, HW: number, residual: boolean, seed: number): KernelCase {
  const name = `${dir} N=${N} C=${C} HW=${HW}${residual ? ' residual' : ''}`;
  return {
    kernel: 'transpose',
    name,
    run: (rt) => {
      const x = randn(N * C * HW, seed);
      const res = residual ? randn(N * C * HW, seed + 1) : undefined;
      const [R, Cc] = dir === 'nchw->tokens' ? [C, HW] : [HW, C];
      return checkOp(rt, {
        kernel: 'transpose',
        name,
        inputs: res ? { x, res } : { x },
        outputs: { out: x.length * 4 },
        async prepare(rt) {
          const k = await transpose(rt, { residual });
          return {
            variant: k.label,
            encode: (rec, b) => {
              const args = { x: b.x.buffer, out: b.out.buffer, residual: b.res?.buffer, N, C, HW };
              if (dir === 'nchw->tokens') k.nchwToTokens(rec, args);
              else k.tokensToNchw(rec, args);
            },
          };
        },
        reference: () => transposeRef(x, N, R, Cc, res),
        tolerance: EXACT,
      });
    },
  };
}

export const upsampleCases: KernelCase[] = [
  upsampleCase(1, 1, 1, 1, 2, 5100),
  upsampleCase(2, 5, 7, 3, 2, 5101),
  upsampleCase(1, 3, 9, 11, 3, 5102),
  upsampleCase(1, 12, 16, 5, 4, 5103),
];

export const pixelShuffleCases: KernelCase[] = [
  shuffleCase(1, 3, 5, 7, 2, 'CRD', 5200),
  shuffleCase(2, 2, 3, 4, 3, 'CRD', 5201),
  shuffleCase(1, 3, 5, 7, 2, 'DCR', 5202),
  shuffleCase(2, 5, 4, 3, 4, 'DCR', 5203),
];

export const transposeCases: KernelCase[] = [
  transposeCase('nchw->tokens', 1, 1, 1, false, 5300),
  transposeCase('nchw->tokens', 2, 5, 33, false, 5301),
  transposeCase('nchw->tokens', 1, 40, 7 * 9, true, 5302),
  transposeCase('tokens->nchw', 2, 17, 16, false, 5303),
  transposeCase('tokens->nchw', 2, 40, 11 * 13, true, 5304),
];
