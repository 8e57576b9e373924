// norm: group norm (NCHW) and layer norm (token rows), with an optional fused SiLU.
//
//   y = (x - mean_g) * inverseSqrt(var_g + eps) [* gamma[c] + beta[c]] [then silu(y)]
//
// A "group" is a contiguous run of group_len elements; the affine index of element e of group
// (n, g) is c = g * cpg + e / inner. Both norms are this one kernel:
//   group norm  x [N, C, H, W], G groups:  group_len = (C / G) * H * W, inner = H * W, cpg = C / G
//   layer norm  x [rows, C] (tokens [N, L, C]): G = 1, group_len = C, inner = 1, cpg = C
// Operands: x, out: f32, same layout; gamma, beta: [C] f32 (AFFINE). Variance is the biased one
// (divide by group_len), as torch.nn.GroupNorm and LayerNorm use.
// Two passes over the group (mean, then the squared deviations from it) rather than sum and sum
// of squares in one: activations late in a UNet have means far from zero, where E[x^2] - E[x]^2
// cancels catastrophically in f32. A third pass writes the output.
// Dispatch: one workgroup per group, id = wid.x + wid.y * nwg.x over groups_total = N * G (group
// norm) or rows (layer norm); WG invocations stride over the group; lib/reduce.wgsl sums
// (subgroup variant with SUBGROUPS).
// On a real GPU a group norm with 32 groups of 10k-40k elements wants more than N * 32
// workgroups: split each group across workgroups (partial sums, then a tiny finalize) and read
// it once with Welford/Chan merging. Here one workgroup per group is both simplest and fastest.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
#include "lib/reduce.wgsl"
#include "lib/activations.wgsl"

struct Params {
  groups_total: u32,
  G: u32,
  group_len: u32,
  inner: u32,
  cpg: u32,
  eps: f32,
}

@group(0) @binding(B_X) var<storage, read> x: array<f32>;
#ifdef AFFINE
@group(0) @binding(B_GAMMA) var<storage, read> gamma: array<f32>;
@group(0) @binding(B_BETA) var<storage, read> beta: array<f32>;
#endif
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

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
  let gid = wid.x + wid.y * nwg.x;
  if (gid >= params.groups_total) { return; }
  let len = params.group_len;
  let base = gid * len;

  var s = 0.0;
  for (var e = lid; e < len; e += WG) {
    s += x[base + e];
  }
  let mean = wg_sum(s, lid, sg_lane, sg_size) / f32(len);

  var ss = 0.0;
  for (var e = lid; e < len; e += WG) {
    let d = x[base + e] - mean;
    ss = fma(d, d, ss);
  }
  let rstd = inverseSqrt(wg_sum(ss, lid, sg_lane, sg_size) / f32(len) + params.eps);

#ifdef AFFINE
  let c0 = (gid % params.G) * params.cpg;
#endif
  for (var e = lid; e < len; e += WG) {
    var y = (x[base + e] - mean) * rstd;
#ifdef AFFINE
    let c = c0 + e / params.inner;
    y = fma(y, gamma[c], beta[c]);
#endif
#ifdef SILU
    y = silu(y);
#endif
    out[base + e] = y;
  }
}
