// qmatvec (decode-time linear layer on repacked weights): y[row0 + n] = sum_k W[n, k] * x[k]
//                                                          (+ bias[row0 + n]) (+ r[row0 + n])
//
// Operands: x: [K] f32; W: one row range (part) of a repacked [N_total, K] weight, read through
// lib/quant.wgsl (one QT_* define picks the type; Q, S are [N, q_stride] / [N, s_stride] u32);
// y, bias, r: [N_total] f32. A weight split into parts runs once per part, row0 = its first row.
// Every loop steps by chunks of 8 values (w8), so K is a whole number of blocks for quant types;
// dense rows are zero-padded to 8 and x is read with a guard past K.
// Variants (one define):
//   ROWS  one invocation per row, WG rows per workgroup, no barriers: best on CPU-backed
//         adapters. Dispatch: ceil(N / WG) workgroups, folded over x and y.
//   COOP  one workgroup per row; invocations take consecutive chunks (coalesced reads) and
//         reduce with wg_sum (lib/reduce.wgsl; SUBGROUPS uses subgroupAdd). Best on real GPUs.
//         Dispatch: N workgroups, folded over x and y.
// BATCH (with TMAX, either variant): a few tokens at once, for short prefills. x: [T, K],
// y, r: [T, N_total] (row stride ldy = N_total), T <= TMAX a uniform. Each weight chunk is
// dequantized once and applied to all T rows of x, with one f32 accumulator per token (scalar,
// not vec4 as at T = 1: the array is indexed by the runtime t, and on SwiftShader 8 scalars ran
// ~1.5x faster than 8 vec4s at 2048x2048). Same dispatch as without BATCH.
// TILE (rows + BATCH, any TMAX): 8 rows x 8 tokens per invocation; see its section below.
// Epilogue defines: BIAS (qwen2's QKV bias), RESIDUAL (add a residual stream r, out of place:
// r and y must be different buffers). Binding numbers come from the host (B_* defines).
#ifdef NEEDS_F16
enable f16;
#endif
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;

struct Params {
  N: u32,
  K: u32,
  chunks: u32,
  q_stride: u32,
  s_stride: u32,
  row0: u32,
#ifdef BATCH
  T: u32,
  ldy: u32,
#endif
}

#ifdef DENSE
@group(0) @binding(B_X) var<storage, read> x: array<f32>;
#else
@group(0) @binding(B_X) var<storage, read> x: array<vec4<f32>>; // K is whole blocks: vec4 loads
#endif
@group(0) @binding(B_Q) var<storage, read> Q: array<Q_ELEM>;
#ifdef HAS_SCALES
@group(0) @binding(B_S) var<storage, read> S: array<u32>;
#endif
@group(0) @binding(B_Y) var<storage, read_write> y: array<f32>;
#ifdef BIAS
@group(0) @binding(B_BIAS) var<storage, read> bias: array<f32>;
#endif
#ifdef RESIDUAL
@group(0) @binding(B_R) var<storage, read> r: array<f32>;
#endif
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

#include "lib/quant.wgsl"
#ifdef COOP
#include "lib/reduce.wgsl"
#endif

/** x[xo + 8c .. xo + 8c+7], xo = the row's first float; zeros past K (only dense rows can end inside a chunk). */
fn load_x8(xo: u32, c: u32) -> W8 {
#ifdef DENSE
  let k = 8u * c;
  let b = xo + k;
  if (k + 8u > params.K) {
    var v = array<f32, 8>();
    for (var i = 0u; i < 8u; i++) {
      if (k + i < params.K) { v[i] = x[b + i]; }
    }
    return W8(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
  }
  return W8(vec4<f32>(x[b], x[b + 1u], x[b + 2u], x[b + 3u]), vec4<f32>(x[b + 4u], x[b + 5u], x[b + 6u], x[b + 7u]));
#else
  let v = (xo >> 2u) + 2u * c; // K is whole blocks of 32: rows start on a vec4
  return W8(x[v], x[v + 1u]);
#endif
}

/** Output o = t * ldy + i (o = i without BATCH) of weight row i = row0 + n, with the epilogue. */
fn store(o: u32, i: u32, v: f32) {
  var out = v;
#ifdef BIAS
  out += bias[i];
#endif
#ifdef RESIDUAL
  out += r[o];
#endif
  y[o] = out;
}

/** The sum of a T = 1 accumulator (ROWS and COOP alike). */
fn hsum(a: vec4<f32>) -> f32 {
  return (a.x + a.y) + (a.z + a.w);
}

#ifdef ROWS
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x + wid.y * nwg.x) * WG + lid;
  if (n >= params.N) { return; }
  let qb = n * params.q_stride;
  let sb = n * params.s_stride;
  let i = params.row0 + n;
#ifdef BATCH
  var acc = array<f32, TMAX>();
  for (var c = 0u; c < params.chunks; c++) {
    let w = w8(qb, sb, c);
    for (var t = 0u; t < params.T; t++) {
      let xv = load_x8(t * params.K, c);
      acc[t] += dot(w.lo, xv.lo) + dot(w.hi, xv.hi);
    }
  }
  for (var t = 0u; t < params.T; t++) { store(t * params.ldy + i, i, acc[t]); }
#else
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < params.chunks; c++) {
    let w = w8(qb, sb, c);
    let xv = load_x8(0u, c);
    acc = fma(w.lo, xv.lo, acc);
    acc = fma(w.hi, xv.hi, acc);
  }
  store(i, i, hsum(acc));
#endif
}
#endif

#ifdef TILE
// TILE (ROWS + BATCH): one invocation per 8 consecutive rows, tokens walked in tiles of 8: 64
// accumulators (a vec4 per token for rows 0-3, b for rows 4-7) in named registers, not an array
// indexed by a runtime t. Within a tile each chunk of the 8 rows is dequantized once and each token's
// x chunk loaded once for all 8 rows. On a CPU-backed adapter every load is a per-lane gather, so
// loads, not arithmetic, set the speed: this reads x 8x less often than ROWS + BATCH (weights are
// re-read once per 8 tokens). Measured at 64 tokens on SwiftShader (Node, GPU timestamps): ~4x
// faster than ROWS + BATCH at TMAX = 8 dispatched 8 times. Rows past N and tokens past T read
// clamped indices and are not stored. Dispatch: ceil(ceil(N / 8) / WG) workgroups, folded.
fn dot8(w: W8, v: W8) -> f32 {
  return dot(w.lo, v.lo) + dot(w.hi, v.hi);
}

fn dot8x4(w0: W8, w1: W8, w2: W8, w3: W8, v: W8) -> vec4<f32> {
  return vec4<f32>(dot8(w0, v), dot8(w1, v), dot8(w2, v), dot8(w3, v));
}

/** Token t's outputs for rows n0 .. n0 + 3 (those below N). */
fn store4(t: u32, n0: u32, a: vec4<f32>) {
  if (t >= params.T) { return; }
  for (var r = 0u; r < 4u; r++) {
    let n = n0 + r;
    if (n < params.N) {
      let i = params.row0 + n;
      store(t * params.ldy + i, i, a[r]);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n0 = ((wid.x + wid.y * nwg.x) * WG + lid) * 8u;
  if (n0 >= params.N) { return; }
  let nl = params.N - 1u;
  let qb0 = n0 * params.q_stride;
  let sb0 = n0 * params.s_stride;
  let qb1 = min(n0 + 1u, nl) * params.q_stride;
  let sb1 = min(n0 + 1u, nl) * params.s_stride;
  let qb2 = min(n0 + 2u, nl) * params.q_stride;
  let sb2 = min(n0 + 2u, nl) * params.s_stride;
  let qb3 = min(n0 + 3u, nl) * params.q_stride;
  let sb3 = min(n0 + 3u, nl) * params.s_stride;
  let qb4 = min(n0 + 4u, nl) * params.q_stride;
  let sb4 = min(n0 + 4u, nl) * params.s_stride;
  let qb5 = min(n0 + 5u, nl) * params.q_stride;
  let sb5 = min(n0 + 5u, nl) * params.s_stride;
  let qb6 = min(n0 + 6u, nl) * params.q_stride;
  let sb6 = min(n0 + 6u, nl) * params.s_stride;
  let qb7 = min(n0 + 7u, nl) * params.q_stride;
  let sb7 = min(n0 + 7u, nl) * params.s_stride;
  let tl = params.T - 1u;
  for (var t0 = 0u; t0 < params.T; t0 += 8u) {
    let x0 = t0 * params.K;
    let x1 = min(t0 + 1u, tl) * params.K;
    let x2 = min(t0 + 2u, tl) * params.K;
    let x3 = min(t0 + 3u, tl) * params.K;
    let x4 = min(t0 + 4u, tl) * params.K;
    let x5 = min(t0 + 5u, tl) * params.K;
    let x6 = min(t0 + 6u, tl) * params.K;
    let x7 = min(t0 + 7u, tl) * params.K;
    var a0 = vec4<f32>(0.0);
    var b0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var b1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var b2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    var b3 = vec4<f32>(0.0);
    var a4 = vec4<f32>(0.0);
    var b4 = vec4<f32>(0.0);
    var a5 = vec4<f32>(0.0);
    var b5 = vec4<f32>(0.0);
    var a6 = vec4<f32>(0.0);
    var b6 = vec4<f32>(0.0);
    var a7 = vec4<f32>(0.0);
    var b7 = vec4<f32>(0.0);
    for (var c = 0u; c < params.chunks; c++) {
      let w0 = w8(qb0, sb0, c);
      let w1 = w8(qb1, sb1, c);
      let w2 = w8(qb2, sb2, c);
      let w3 = w8(qb3, sb3, c);
      let w4 = w8(qb4, sb4, c);
      let w5 = w8(qb5, sb5, c);
      let w6 = w8(qb6, sb6, c);
      let w7 = w8(qb7, sb7, c);
      let v0 = load_x8(x0, c);
      a0 += dot8x4(w0, w1, w2, w3, v0);
      b0 += dot8x4(w4, w5, w6, w7, v0);
      let v1 = load_x8(x1, c);
      a1 += dot8x4(w0, w1, w2, w3, v1);
      b1 += dot8x4(w4, w5, w6, w7, v1);
      let v2 = load_x8(x2, c);
      a2 += dot8x4(w0, w1, w2, w3, v2);
      b2 += dot8x4(w4, w5, w6, w7, v2);
      let v3 = load_x8(x3, c);
      a3 += dot8x4(w0, w1, w2, w3, v3);
      b3 += dot8x4(w4, w5, w6, w7, v3);
      let v4 = load_x8(x4, c);
      a4 += dot8x4(w0, w1, w2, w3, v4);
      b4 += dot8x4(w4, w5, w6, w7, v4);
      let v5 = load_x8(x5, c);
      a5 += dot8x4(w0, w1, w2, w3, v5);
      b5 += dot8x4(w4, w5, w6, w7, v5);
      let v6 = load_x8(x6, c);
      a6 += dot8x4(w0, w1, w2, w3, v6);
      b6 += dot8x4(w4, w5, w6, w7, v6);
      let v7 = load_x8(x7, c);
      a7 += dot8x4(w0, w1, w2, w3, v7);
      b7 += dot8x4(w4, w5, w6, w7, v7);
    }
    store4(t0, n0, a0);
    store4(t0, n0 + 4u, b0);
    store4(t0 + 1u, n0, a1);
    store4(t0 + 1u, n0 + 4u, b1);
    store4(t0 + 2u, n0, a2);
    store4(t0 + 2u, n0 + 4u, b2);
    store4(t0 + 3u, n0, a3);
    store4(t0 + 3u, n0 + 4u, b3);
    store4(t0 + 4u, n0, a4);
    store4(t0 + 4u, n0 + 4u, b4);
    store4(t0 + 5u, n0, a5);
    store4(t0 + 5u, n0 + 4u, b5);
    store4(t0 + 6u, n0, a6);
    store4(t0 + 6u, n0 + 4u, b6);
    store4(t0 + 7u, n0, a7);
    store4(t0 + 7u, n0 + 4u, b7);
  }
}
#endif

#ifdef COOP
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
#ifdef SUBGROUPS
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
#endif
) {
#ifndef SUBGROUPS
  let sg_lane = 0u;
  let sg_size = 1u;
#endif
  let n = wid.x + wid.y * nwg.x;
  if (n >= params.N) { return; }
  let qb = n * params.q_stride;
  let sb = n * params.s_stride;
  let i = params.row0 + n;
#ifdef BATCH
  var acc = array<f32, TMAX>();
  for (var c = lid; c < params.chunks; c += WG) {
    let w = w8(qb, sb, c);
    for (var t = 0u; t < params.T; t++) {
      let xv = load_x8(t * params.K, c);
      acc[t] += dot(w.lo, xv.lo) + dot(w.hi, xv.hi);
    }
  }
  // params.T is uniform, so every wg_sum is reached in workgroup-uniform control flow.
  for (var t = 0u; t < params.T; t++) {
    let total = wg_sum(acc[t], lid, sg_lane, sg_size);
    if (lid == 0u) { store(t * params.ldy + i, i, total); }
  }
#else
  var acc = vec4<f32>(0.0);
  for (var c = lid; c < params.chunks; c += WG) {
    let w = w8(qb, sb, c);
    let xv = load_x8(0u, c);
    acc = fma(w.lo, xv.lo, acc);
    acc = fma(w.hi, xv.hi, acc);
  }
  let total = wg_sum(hsum(acc), lid, sg_lane, sg_size);
  if (lid == 0u) { store(i, i, total); }
#endif
}
#endif
