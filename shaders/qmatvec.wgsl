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

/** x[8c .. 8c+7]; zeros past K (only dense rows can end inside a chunk). */
fn load_x8(c: u32) -> W8 {
#ifdef DENSE
  let k = 8u * c;
  if (k + 8u > params.K) {
    var v = array<f32, 8>();
    for (var i = 0u; i < 8u; i++) {
      if (k + i < params.K) { v[i] = x[k + i]; }
    }
    return W8(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
  }
  return W8(vec4<f32>(x[k], x[k + 1u], x[k + 2u], x[k + 3u]), vec4<f32>(x[k + 4u], x[k + 5u], x[k + 6u], x[k + 7u]));
#else
  return W8(x[2u * c], x[2u * c + 1u]);
#endif
}

fn store(n: u32, v: f32) {
  let i = params.row0 + n;
  var out = v;
#ifdef BIAS
  out += bias[i];
#endif
#ifdef RESIDUAL
  out += r[i];
#endif
  y[i] = out;
}

#ifdef ROWS
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x + wid.y * nwg.x) * WG + lid;
  if (n >= params.N) { return; }
  let qb = n * params.q_stride;
  let sb = n * params.s_stride;
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < params.chunks; c++) {
    let w = w8(qb, sb, c);
    let xv = load_x8(c);
    acc = fma(w.lo, xv.lo, acc);
    acc = fma(w.hi, xv.hi, acc);
  }
  store(n, (acc.x + acc.y) + (acc.z + acc.w));
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
  var acc = vec4<f32>(0.0);
  for (var c = lid; c < params.chunks; c += WG) {
    let w = w8(qb, sb, c);
    let xv = load_x8(c);
    acc = fma(w.lo, xv.lo, acc);
    acc = fma(w.hi, xv.hi, acc);
  }
  let total = wg_sum((acc.x + acc.y) + (acc.z + acc.w), lid, sg_lane, sg_size);
  if (lid == 0u) { store(n, total); }
}
#endif
