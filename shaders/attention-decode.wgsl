// attention-decode: one new query token (T = 1) against a long KV cache, split over the keys
// (flash-decoding), in two dispatches recorded back to back:
//
//   default entry (partials): workgroup (c, h) = (wid.x, wid.y) runs the online softmax of
//     attention-core.wgsl over keys [c * chunk, min((c + 1) * chunk, kv_len)) of head h and writes
//     partials[h, c, :] = (acc[0 .. HEAD_DIM), m, l): the unnormalised weighted V sum, the chunk's
//     max score and its mass sum exp(s - m).
//   COMBINE: workgroup h merges the n_chunks partials:
//     M = max_c m_c,  out[h, :] = sum_c exp(m_c - M) acc_c / sum_c exp(m_c - M) l_c.
//
// Operands: q, out: [n_heads, HEAD_DIM] f32; k_cache, v_cache: [n_ctx, n_kv_heads, HEAD_DIM] f32
// (KV_F16: packed half pairs in u32) holding positions 0 .. kv_len - 1 (see attention-core.wgsl;
// COMBINE never reads the cache, so it ignores KV_F16); partials: [n_heads, n_chunks,
// HEAD_DIM + 2] f32. GQA as in attention-prefill.wgsl. Every chunk is non-empty
// (n_chunks = ceil(kv_len / chunk)), so every partial has a finite max.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
const PSTRIDE: u32 = HEAD_DIM + 2u;
#include "lib/reduce.wgsl"

struct Params {
  n_heads: u32,
  n_kv_heads: u32,
  kv_len: u32,
  chunk: u32,
  n_chunks: u32,
  scale: f32,
}

#ifdef COMBINE
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
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
  let h = wid.x;
  if (h >= params.n_heads) { return; }
  let base = h * params.n_chunks * PSTRIDE;
  var m = -3.0e38;
  for (var c = lid; c < params.n_chunks; c += WG) { m = max(m, partials[base + c * PSTRIDE + HEAD_DIM]); }
  let big_m = wg_max(m, lid, sg_lane, sg_size);
  // Every invocation needs the denominator; recomputing it per invocation costs n_chunks
  // exps and saves a reduction.
  var denom = 0.0;
  for (var c = 0u; c < params.n_chunks; c++) {
    let pb = base + c * PSTRIDE + HEAD_DIM;
    denom += exp(partials[pb] - big_m) * partials[pb + 1u];
  }
  let inv = 1.0 / denom;
  for (var d = lid; d < HEAD_DIM; d += WG) {
    var a = 0.0;
    for (var c = 0u; c < params.n_chunks; c++) {
      let pb = base + c * PSTRIDE;
      a += exp(partials[pb + HEAD_DIM] - big_m) * partials[pb + d];
    }
    out[h * HEAD_DIM + d] = a * inv;
  }
}
#else
@group(0) @binding(0) var<storage, read> q: array<f32>;
#ifdef KV_F16
@group(0) @binding(1) var<storage, read> k_cache: array<u32>;
@group(0) @binding(2) var<storage, read> v_cache: array<u32>;
#else
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

#include "attention-core.wgsl"

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
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
  let c = wid.x;
  let h = wid.y;
  if (c >= params.n_chunks || h >= params.n_heads) { return; }
  let g = h / (params.n_heads / params.n_kv_heads);
  for (var d = lid; d < HEAD_DIM; d += WG) { q_sh[d] = q[h * HEAD_DIM + d]; }
  for (var j = 0u; j < DPT; j++) { acc[j] = 0.0; }
  workgroupBarrier();

  let k_begin = c * params.chunk;
  let k_end = min(k_begin + params.chunk, params.kv_len);
  attend_span(k_begin, k_end, g * HEAD_DIM, params.n_kv_heads * HEAD_DIM, params.scale, lid, sg_lane, sg_size);

  let pb = (h * params.n_chunks + c) * PSTRIDE;
  for (var j = 0u; j < DPT; j++) {
    let d = owned_dim(lid, j);
    if (d < HEAD_DIM) { partials[pb + d] = acc[j]; }
  }
  if (lid == 0u) {
    partials[pb + HEAD_DIM] = m_run;
    partials[pb + HEAD_DIM + 1u] = l_run;
  }
}
#endif
