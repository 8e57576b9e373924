// rmsnorm: out[r, c] = x[r, c] * inverseSqrt(mean_c(x[r, :]^2) + eps) * w[c]
//
// Operands: x, out: [rows, cols] row-major f32; w: [cols] f32.
// Dispatch: one workgroup per row; row = wid.x + wid.y * nwg.x (2-D when rows > 65535).
// Each of the WG invocations strides over the row's columns; one workgroup reduction
// (lib/reduce.wgsl, subgroup variant with SUBGROUPS) gives the sum of squares.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
#include "lib/reduce.wgsl"

struct Params {
  rows: u32,
  cols: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var ss = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let v = x[base + c];
    ss += v * v;
  }
  let total = wg_sum(ss, lid, sg_lane, sg_size);
  let scale = inverseSqrt(total / f32(params.cols) + params.eps);
  for (var c = lid; c < params.cols; c += WG) {
    out[base + c] = x[base + c] * scale * w[c];
  }
}
