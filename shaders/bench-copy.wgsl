// bench-copy: dst[i] = src[i], the memory-bandwidth baseline that src/bench/llm.ts holds the
// model's achieved weight bandwidth against (read + write bytes per second of a plain copy).
//
// Operands: src, dst: n vec4<f32> each (16 bytes per element), no overlap.
// Dispatch: one vec4 per invocation, WG_SIZE invocations per workgroup, workgroups folded over
// x and y (kernels/common.ts foldGroups); the linear index is wid.x + wid.y * nwg.x and the
// overshoot past n is guarded.

const WG: u32 = WG_SIZE;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i < params.n) {
    dst[i] = src[i];
  }
}
