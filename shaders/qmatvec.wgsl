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
