// elementwise: out[i] = op(a[i], b[i % b_len]) for binary ops; out[i] = op(a[i]) for unary ops.
//
// Operands: flat f32 arrays of n elements; b has b_len elements and broadcasts when b_len < n
// (a bias or per-channel scale repeated every row). With IN_PLACE the result overwrites a.
// Ops (one define): OP_ADD, OP_MUL, OP_SILU_MUL (silu(a) * b, the gated FFN), OP_SILU, OP_GELU,
// OP_GELU_TANH. Binary ops also define BINARY.
// Dispatch: grid-stride; WG threads per workgroup, workgroups folded over x and y (2-D when the
// count passes 65535), every invocation walks i = global_index, += total threads.

#include "lib/activations.wgsl"

const WG: u32 = WG_SIZE;

struct Params {
  n: u32,
  b_len: u32,
}

#ifdef IN_PLACE
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
#else
@group(0) @binding(0) var<storage, read> a: array<f32>;
#endif
#ifdef BINARY
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
#ifndef IN_PLACE
#ifdef BINARY
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#else
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#endif
#else
#ifdef BINARY
@group(0) @binding(2) var<uniform> params: Params;
#else
@group(0) @binding(1) var<uniform> params: Params;
#endif
#endif

fn apply(i: u32) -> f32 {
  let x = a[i];
#ifdef OP_ADD
  return x + b[i % params.b_len];
#endif
#ifdef OP_MUL
  return x * b[i % params.b_len];
#endif
#ifdef OP_SILU_MUL
  return silu(x) * b[i % params.b_len];
#endif
#ifdef OP_SILU
  return silu(x);
#endif
#ifdef OP_GELU
  return gelu(x);
#endif
#ifdef OP_GELU_TANH
  return gelu_tanh(x);
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * nwg.y * WG;
  for (var i = gid.x + gid.y * nwg.x * WG; i < params.n; i += stride) {
#ifdef IN_PLACE
    a[i] = apply(i);
#else
    out[i] = apply(i);
#endif
  }
}
