// embedding (token lookup from a repacked table): out[t, k] = W[ids[t], k]
//
// Operands: ids: [T] u32; W: one row part of a repacked [rows_total, K] table (lib/quant.wgsl, one
// QT_* define); out: [T, K] f32. A table split into parts (a 150k vocabulary rarely fits one
// binding) runs once per part: a token whose id is in [row0, row0 + rows) is written by that
// part; ids past the table are written as zeros by the last part (`last` = 1), never read.
// Each invocation writes one 8-value chunk (w8) of one token's row.
// Dispatch: (ceil(ceil(K / 8) / WG), T).
#ifdef NEEDS_F16
enable f16;
#endif

const WG: u32 = WG_SIZE;

struct Params {
  T: u32,
  K: u32,
  chunks: u32,
  q_stride: u32,
  s_stride: u32,
  row0: u32,
  rows: u32,
  last: u32,
}

@group(0) @binding(B_IDS) var<storage, read> ids: array<u32>;
@group(0) @binding(B_Q) var<storage, read> Q: array<Q_ELEM>;
#ifdef HAS_SCALES
@group(0) @binding(B_S) var<storage, read> S: array<u32>;
#endif
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

#include "lib/quant.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = wid.y;
  let c = wid.x * WG + lid;
  if (t >= params.T || c >= params.chunks) { return; }
  let id = ids[t];
  if (id < params.row0) { return; }
  let row = id - params.row0;
  var w = W8(vec4<f32>(0.0), vec4<f32>(0.0));
  if (row < params.rows) {
    w = w8(row * params.q_stride, row * params.s_stride, c);
  } else if (params.last == 0u) {
    return; // a later part holds this row
  }
  let k = 8u * c;
  let o = t * params.K + k;
  for (var i = 0u; i < 4u; i++) {
    if (k + i < params.K) { out[o + i] = w.lo[i]; }
    if (k + 4u + i < params.K) { out[o + 4u + i] = w.hi[i]; }
  }
}
