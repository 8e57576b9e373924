// matvec (decode-time linear layer): y[n] = sum_k w[n, k] * x[k]
//
// Operands: x: [K] f32; w: [N, K] row-major, f32, f16 or f16 packed in u32 (lib/weights.wgsl);
// y: [N] f32.
// Variants (one define):
//   ROWS  one invocation per output row, WG rows per workgroup; no barriers at all. Fastest on
//         CPU-backed adapters (SwiftShader, lavapipe), where barriers are expensive.
//         Dispatch: ceil(N / WG) workgroups, folded over x and y.
//   COOP  one workgroup per row: WG invocations stride over k and reduce (lib/reduce.wgsl, with
//         SUBGROUPS when available). Real GPUs prefer this: coalesced reads of each row.
//         Dispatch: N workgroups, folded over x and y.
#ifdef W_F16
enable f16;
#endif
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = WG_SIZE;
#include "lib/weights.wgsl"
#ifdef COOP
#include "lib/reduce.wgsl"
#endif

struct Params {
  N: u32,
  K: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<W_ELEM>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

#ifdef ROWS
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x + wid.y * nwg.x) * WG + lid;
  if (n >= params.N) { return; }
  let K = params.K;
  let base = n * K;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  var k = 0u;
  for (; k + 4u <= K; k += 4u) {
    a0 = fma(load_w(base + k), x[k], a0);
    a1 = fma(load_w(base + k + 1u), x[k + 1u], a1);
    a2 = fma(load_w(base + k + 2u), x[k + 2u], a2);
    a3 = fma(load_w(base + k + 3u), x[k + 3u], a3);
  }
  for (; k < K; k++) {
    a0 = fma(load_w(base + k), x[k], a0);
  }
  y[n] = (a0 + a1) + (a2 + a3);
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
  let K = params.K;
  let base = n * K;
  var acc = 0.0;
  for (var k = lid; k < K; k += WG) {
    acc = fma(load_w(base + k), x[k], acc);
  }
  let total = wg_sum(acc, lid, sg_lane, sg_size);
  if (lid == 0u) { y[n] = total; }
}
#endif
