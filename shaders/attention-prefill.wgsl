// attention-prefill: causal multi-head attention of T new query rows against the KV cache.
//
//   out[t, h, :] = sum_{p <= pos0 + t} softmax_p(scale * q[t, h, :] . K[p, g, :]) V[p, g, :]
//   g = h / (n_heads / n_kv_heads)   (GQA: consecutive query heads share a kv head)
//
// Operands: q, out: [T, n_heads, HEAD_DIM] f32; k_cache, v_cache: [n_ctx, n_kv_heads, HEAD_DIM]
// f32 (KV_F16: packed half pairs in u32, see attention-core.wgsl) holding positions
// 0 .. pos0 + T - 1 (the new rows already written). scale = 1/sqrt(HEAD_DIM)
// unless the model says otherwise.
// Dispatch: one workgroup of WG invocations per (query row, head): row = t * n_heads + h =
// wid.x + wid.y * nwg.x. Keys are swept in tiles of WG with the online softmax of
// attention-core.wgsl, so any context length fits in a few hundred bytes of workgroup memory.
//
// Why one query row per workgroup: on CPU adapters (SwiftShader, lavapipe) shared-memory tiles buy
// nothing and every barrier is expensive, so reusing K/V tiles across query rows does not pay.
// Real GPUs would prefer flash-attention tiling: a block of 16-64 query rows per workgroup with
// K/V tiles staged in workgroup memory (f16), the QK^T and PV products on subgroup matrices.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
#include "lib/reduce.wgsl"

struct Params {
  T: u32,
  n_heads: u32,
  n_kv_heads: u32,
  pos0: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
#ifdef KV_F16
@group(0) @binding(1) var<storage, read> k_cache: array<u32>;
@group(0) @binding(2) var<storage, read> v_cache: array<u32>;
#else
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

#include "attention-core.wgsl"

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
  if (row >= params.T * params.n_heads) { return; }
  let t = row / params.n_heads;
  let h = row % params.n_heads;
  let g = h / (params.n_heads / params.n_kv_heads);
  let qb = row * HEAD_DIM;
  for (var d = lid; d < HEAD_DIM; d += WG) { q_sh[d] = q[qb + d]; }
  for (var j = 0u; j < DPT; j++) { acc[j] = 0.0; }
  workgroupBarrier();

  attend_span(0u, params.pos0 + t + 1u, g * HEAD_DIM, params.n_kv_heads * HEAD_DIM, params.scale, lid, sg_lane, sg_size);

  let inv = 1.0 / l_run;
  for (var j = 0u; j < DPT; j++) {
    let d = owned_dim(lid, j);
    if (d < HEAD_DIM) { out[qb + d] = acc[j] * inv; }
  }
}
