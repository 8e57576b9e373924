// geglu: the gated feed-forward activation of diffusers' GEGLU.
//
//   out[r, f] = x[r, f] * gelu(x[r, F + f])        (hidden_states, gate = proj(x).chunk(2, dim=-1))
//
// Operands: x [rows, 2F] f32 (the projection's output, rows = N * L tokens); out [rows, F] f32.
// gelu is the exact (erf) GELU of torch.nn.functional.gelu's default: lib/activations.wgsl, whose
// erf is Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7 over the whole real line).
// Dispatch: one invocation per output element; WG per workgroup, workgroups folded over x and y:
// i = (wid.x + wid.y * nwg.x) * WG + local index.

#include "lib/activations.wgsl"

const WG: u32 = WG_SIZE;

struct Params {
  total: u32,
  F: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.total) { return; }
  let F = params.F;
  let r = i / F;
  let f = i - r * F;
  let h = x[2u * F * r + f];
  let g = x[2u * F * r + F + f];
  out[i] = h * gelu(g);
}
