// conv2d (NCHW, zero padding, square kernel):
//
//   out[n, co, oy, ox] = act(bias[co] + sum_{ci, ky, kx} x[n, ci, oy*S + ky - pt, ox*S + kx - pl] * w[co, ci, ky, kx])
//                        (+ res[n, co, oy, ox])
//
// Operands (f32 activations):
//   x    [N, Cin, H, W], read through a view: element (n, ci, y, x) is at
//        n * x_nstride + (x_c0 + ci) * H * W + y * W + x, so a conv can read a channel slice of a
//        concatenated tensor (dense blocks) and a plain tensor is x_nstride = Cin*H*W, x_c0 = 0.
//   W    [Cout, Cin, KSIZE, KSIZE] as PyTorch/diffusers store it, f32, f16 (shader-f16) or f16
//        packed two per u32 (lib/weights.wgsl).
//   bias [Cout] f32 (BIAS).
//   res  [N, Cout, Ho, Wo] f32, contiguous (RESIDUAL): the skip of a resnet block, added last.
//   out  [N, Cout, Ho, Wo] view: (n, co, y, x) at n * o_nstride + (o_c0 + co) * Ho * Wo + y * Wo + x,
//        so a conv can write straight into its channel slice of a concatenation.
// pad_top / pad_left zero rows and columns come before the image; the caller picks Ho and Wo, which
// covers symmetric padding (KSIZE / 2 for 'same') and asymmetric padding such as the SD VAE
// encoder's (0, 1, 0, 1) before its stride-2 downsampling conv.
// act: none, ACT_RELU or ACT_LEAKY (slope `alpha` below zero), applied before the residual.
//
// Variants (defines): KSIZE 1, 3 or 5; STRIDE 1 or 2; COB output channels per invocation (4 or 8).
// Dispatch: (ceil(Wo / 8), ceil(Ho / 8), N * co_blocks), co_blocks = ceil(Cout / COB).
// A workgroup of 8x8 invocations computes an 8x8 tile of output pixels for COB output channels,
// one pixel and COB channels (vec4 accumulators) per invocation, so every input value read feeds
// COB products. Two ways to feed it:
//   TILED   each step stages CI_CHUNK input channels of the tile with its halo ((8 - 1) * STRIDE +
//           KSIZE square) and the matching COB x CI_CHUNK x KSIZE^2 weights in workgroup memory;
//           a staged input value is then used COB * KSIZE^2 times and a staged weight 64 times.
//           Edge tiles stage zeros and skip their stores. For GPUs.
//   direct  (TILED undefined) every invocation reads its taps and weights from storage, skipping
//           taps in the padding: no workgroup memory and no barriers. For CPU-backed adapters
//           (SwiftShader, lavapipe), where caches do the staging, barriers are expensive and
//           compile time grows with workgroup memory (~0.3 s per KiB on SwiftShader).
//
// What a real GPU would prefer beyond TILED: an implicit GEMM (pixels x Cout tiles of 64x64 or
// more, 4x4-8x8 register tiles per invocation, K = Cin * KSIZE^2 walked in f16 workgroup tiles,
// subgroup-matrix products where available), or Winograd F(2x2, 3x3) for the 3x3 convs.
#ifdef W_F16
enable f16;
#endif

#include "lib/weights.wgsl"

const TILE: u32 = 8u;
const KK: u32 = KSIZE * KSIZE;
const TIN: u32 = (TILE - 1u) * STRIDE + KSIZE;
const TIN2: u32 = TIN * TIN;
const CB4: u32 = COB / 4u;
#ifndef TILED
const PX: u32 = 4u;
#endif

struct Params {
  Cin: u32,
  H: u32,
  W: u32,
  Cout: u32,
  Ho: u32,
  Wo: u32,
  co_blocks: u32,
  pad_top: u32,
  pad_left: u32,
  x_nstride: u32,
  x_c0: u32,
  o_nstride: u32,
  o_c0: u32,
  alpha: f32,
}

@group(0) @binding(B_X) var<storage, read> x: array<f32>;
@group(0) @binding(B_W) var<storage, read> W: array<W_ELEM>;
#ifdef BIAS
@group(0) @binding(B_BIAS) var<storage, read> bias: array<f32>;
#endif
#ifdef RESIDUAL
@group(0) @binding(B_RES) var<storage, read> res: array<f32>;
#endif
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

/** Weights of output channels co .. co + 3 at flat tap t = ci * KK + ky * KSIZE + kx (0 past Cout). */
fn w4(co: u32, t: u32) -> vec4<f32> {
  var wv = vec4<f32>();
  for (var j = 0u; j < 4u; j++) {
    if (co + j < params.Cout) {
      wv[j] = load_w((co + j) * params.Cin * KK + t);
    }
  }
  return wv;
}

#ifdef TILED
// xs[cl][ty][tx]: the staged input tile; ws[cl][ky * KSIZE + kx][q]: weights of output channels
// co0 + 4q .. co0 + 4q + 3, so an invocation reads its COB channels as CB4 consecutive vec4s.
var<workgroup> xs: array<f32, CI_CHUNK * TIN2>;
var<workgroup> ws: array<vec4<f32>, CI_CHUNK * KK * CB4>;
#endif

@compute @workgroup_size(8, 8)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid3: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let Cin = params.Cin;
  let n = wid.z / params.co_blocks;
  let co0 = (wid.z % params.co_blocks) * COB;
  let ox = wid.x * TILE + lid3.x;
  let oy = wid.y * TILE + lid3.y;
  let H = i32(params.H);
  let Wd = i32(params.W);
  let HW = params.H * params.W;
  let xb = n * params.x_nstride + params.x_c0 * HW;

#ifdef TILED
  var acc = array<vec4<f32>, CB4>();
  // Top-left input pixel of the tile's receptive field (negative inside the padding).
  let iy0 = i32(wid.y * TILE * STRIDE) - i32(params.pad_top);
  let ix0 = i32(wid.x * TILE * STRIDE) - i32(params.pad_left);
  for (var c0 = 0u; c0 < Cin; c0 += CI_CHUNK) {
    for (var e = lid; e < CI_CHUNK * TIN2; e += 64u) {
      let ci = c0 + e / TIN2;
      let r = e % TIN2;
      let iy = iy0 + i32(r / TIN);
      let ix = ix0 + i32(r % TIN);
      var v = 0.0;
      if (ci < Cin && iy >= 0 && iy < H && ix >= 0 && ix < Wd) {
        v = x[xb + ci * HW + u32(iy) * params.W + u32(ix)];
      }
      xs[e] = v;
    }
    for (var e = lid; e < CI_CHUNK * KK * CB4; e += 64u) {
      let q = e % CB4;
      let t = e / CB4;
      let kk = t % KK;
      let ci = c0 + t / KK;
      var wv = vec4<f32>();
      if (ci < Cin) {
        wv = w4(co0 + 4u * q, ci * KK + kk);
      }
      ws[e] = wv;
    }
    workgroupBarrier();
    for (var cl = 0u; cl < CI_CHUNK; cl++) {
      for (var ky = 0u; ky < KSIZE; ky++) {
        let xrow = cl * TIN2 + (lid3.y * STRIDE + ky) * TIN + lid3.x * STRIDE;
        let wrow = (cl * KK + ky * KSIZE) * CB4;
        for (var kx = 0u; kx < KSIZE; kx++) {
          let xv = vec4<f32>(xs[xrow + kx]);
          for (var q = 0u; q < CB4; q++) {
            acc[q] = fma(xv, ws[wrow + kx * CB4 + q], acc[q]);
          }
        }
      }
    }
    workgroupBarrier();
  }
  if (ox >= params.Wo || oy >= params.Ho) { return; }
#else
  // PX output pixels along x per invocation (ox .. ox + PX - 1): each tap's COB weights feed PX
  // pixels, each input value COB channels.
  let oxp = (wid.x * TILE + lid3.x) * PX;
  if (oxp >= params.Wo || oy >= params.Ho) { return; }
  var accp = array<array<vec4<f32>, CB4>, PX>();
  let py = i32(oy * STRIDE) - i32(params.pad_top);
  let px0 = i32(oxp * STRIDE) - i32(params.pad_left);
  for (var ci = 0u; ci < Cin; ci++) {
    let xc = xb + ci * HW;
    for (var ky = 0u; ky < KSIZE; ky++) {
      let iy = py + i32(ky);
      if (iy < 0 || iy >= H) { continue; }
      let xr = xc + u32(iy) * params.W;
      for (var kx = 0u; kx < KSIZE; kx++) {
        let t = ci * KK + ky * KSIZE + kx;
        var wq = array<vec4<f32>, CB4>();
        for (var q = 0u; q < CB4; q++) { wq[q] = w4(co0 + 4u * q, t); }
        for (var p = 0u; p < PX; p++) {
          let ix = px0 + i32(p * STRIDE + kx);
          var xv = vec4<f32>();
          if (ix >= 0 && ix < Wd) { xv = vec4<f32>(x[xr + u32(ix)]); }
          for (var q = 0u; q < CB4; q++) {
            accp[p][q] = fma(xv, wq[q], accp[p][q]);
          }
        }
      }
    }
  }
#endif

  let HWo = params.Ho * params.Wo;
#ifdef TILED
  store(n, co0, oy * params.Wo + ox, HWo, acc);
#else
  for (var p = 0u; p < PX; p++) {
    if (oxp + p < params.Wo) { store(n, co0, oy * params.Wo + oxp + p, HWo, accp[p]); }
  }
#endif
}

fn store(n: u32, co0: u32, pix: u32, HWo: u32, acc: array<vec4<f32>, CB4>) {
  for (var q = 0u; q < CB4; q++) {
    for (var j = 0u; j < 4u; j++) {
      let co = co0 + 4u * q + j;
      if (co >= params.Cout) { return; }
      var v = acc[q][j];
#ifdef BIAS
      v += bias[co];
#endif
#ifdef ACT_RELU
      v = max(v, 0.0);
#endif
#ifdef ACT_LEAKY
      v = select(v * params.alpha, v, v >= 0.0);
#endif
#ifdef RESIDUAL
      v += res[(n * params.Cout + co) * HWo + pix];
#endif
      out[n * params.o_nstride + (params.o_c0 + co) * HWo + pix] = v;
    }
  }
}
