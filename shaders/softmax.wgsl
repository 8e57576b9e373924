// softmax over rows: out[r, c] = exp(s*x[r,c] - m) / sum_c exp(s*x[r,c] - m), m = max_c s*x[r,c].
//
// Operands: x, out: [rows, cols] row-major f32; s = params.scale (1 for a plain softmax, 1/sqrt(d)
// for attention scores). Numerically stable for any row length: three strided sweeps over the row
// (max, sum of exponentials, normalise). Masked entries hold -inf (or anything <= -1e30); a row
// that is entirely masked yields zeros, not NaN. The running max starts at -3e38, a finite value,
// because WGSL cannot spell -inf as a constant.
// Dispatch: one workgroup per row; row = wid.x + wid.y * nwg.x.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
#include "lib/reduce.wgsl"

struct Params {
  rows: u32,
  cols: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

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
  var m = -3.0e38;
  for (var c = lid; c < params.cols; c += WG) {
    m = max(m, params.scale * x[base + c]);
  }
  let row_max = wg_max(m, lid, sg_lane, sg_size);
  if (row_max <= -1.0e30) {
    for (var c = lid; c < params.cols; c += WG) { out[base + c] = 0.0; }
    return;
  }
  var s = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    s += exp(params.scale * x[base + c] - row_max);
  }
  let inv = 1.0 / wg_sum(s, lid, sg_lane, sg_size);
  for (var c = lid; c < params.cols; c += WG) {
    out[base + c] = exp(params.scale * x[base + c] - row_max) * inv;
  }
}
