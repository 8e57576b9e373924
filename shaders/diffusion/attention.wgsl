// attention (diffusion): multi-head attention, self or cross; causal self-attention with CAUSAL.
//
//   out[n, i, h, :] = sum_j softmax_j(scale * q[n, i, h, :] . k[n, j, h, :]) v[n, j, h, :]
//
// CAUSAL (the CLIP text encoder): query i sees keys j <= i only (the host requires Lk = Lq). Key
// tiles wholly past a row are not visited: in the direct variant each invocation stops at its own
// row; in TILED every invocation walks the tiles up to the workgroup's last row (barriers need a
// uniform loop) and scores only the keys of its own row.
//
// Operands (f32, token rows, head h in columns h*HEAD_DIM .. h*HEAD_DIM + HEAD_DIM - 1):
//   q    [N, Lq, *]  row i of batch n at (n * Lq + i) * q_stride
//   k, v [N, Lk, *]  row j at (n * Lk + j) * kv_stride   (self: Lk = Lq; cross: Lk = text tokens)
//   out  [N, Lq, *]  row i at (n * Lq + i) * o_stride
// With H heads laid out [N, L, H * HEAD_DIM] the strides are H * HEAD_DIM; larger strides read
// heads out of a fused projection. scale is usually 1 / sqrt(HEAD_DIM). Any HEAD_DIM up to 160
// (not only multiples of 4: the last vec4 of a row is zero-padded on load).
//
// Dispatch: (ceil(Lq / BQ), H, N); workgroup of BQ invocations, one query row each.
// Keys are walked in tiles of BK; each invocation scores its query against a tile and folds it
// into its running (max m, sum l, accumulator acc) with the online softmax:
//   m' = max(m, max_j s_j);  l' = l * e^(m - m') + sum_j e^(s_j - m');  acc' = acc * e^(m - m') + sum_j e^(s_j - m') v_j
// and writes acc / l at the end, so any Lk fits. The query row (pre-scaled) and the accumulator
// live in registers: 2 * ceil(HEAD_DIM / 4) vec4.
//   TILED   the workgroup stages each tile's K and V rows (as vec4) in workgroup memory,
//           2 * BK * ceil(HEAD_DIM / 4) vec4, shared by the BQ query rows. For GPUs.
//   direct  (TILED undefined) every invocation reads K and V from storage: no workgroup memory,
//           no barriers. For CPU-backed adapters, where caches do the sharing and SwiftShader's
//           compile time grows with workgroup memory (~8 s for the 20 KiB of TILED at HEAD_DIM 160).
//
// What a real GPU would prefer beyond TILED: 64-128 query rows per workgroup with the head
// dimension split over a few invocations (or subgroup-matrix QK^T and PV products), f16 K/V
// tiles, and larger key tiles; 80 vec4 registers per invocation at HEAD_DIM 160 would spill there.

const D4: u32 = (HEAD_DIM + 3u) / 4u;

struct Params {
  Lq: u32,
  Lk: u32,
  q_stride: u32,
  kv_stride: u32,
  o_stride: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// Columns c .. c + 3 of a row starting at `base`, zero past HEAD_DIM (folds away when 4 divides it).
fn load_q4(base: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>();
  for (var j = 0u; j < 4u; j++) {
    if (c + j < HEAD_DIM) { r[j] = q[base + c + j]; }
  }
  return r;
}

fn load_k4(base: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>();
  for (var j = 0u; j < 4u; j++) {
    if (c + j < HEAD_DIM) { r[j] = k[base + c + j]; }
  }
  return r;
}

fn load_v4(base: u32, c: u32) -> vec4<f32> {
  var r = vec4<f32>();
  for (var j = 0u; j < 4u; j++) {
    if (c + j < HEAD_DIM) { r[j] = v[base + c + j]; }
  }
  return r;
}

// Columns 4c .. 4c + 3 of key / value row k0 + j (kvb: the head's first column in batch n).
#ifdef TILED
var<workgroup> ks: array<vec4<f32>, BK * D4>;
var<workgroup> vs: array<vec4<f32>, BK * D4>;

fn key4(kvb: u32, k0: u32, j: u32, c: u32) -> vec4<f32> {
  return ks[j * D4 + c];
}
fn value4(kvb: u32, k0: u32, j: u32, c: u32) -> vec4<f32> {
  return vs[j * D4 + c];
}
#else
fn key4(kvb: u32, k0: u32, j: u32, c: u32) -> vec4<f32> {
  return load_k4(kvb + (k0 + j) * params.kv_stride, 4u * c);
}
fn value4(kvb: u32, k0: u32, j: u32, c: u32) -> vec4<f32> {
  return load_v4(kvb + (k0 + j) * params.kv_stride, 4u * c);
}
#endif

@compute @workgroup_size(BQ)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let Lq = params.Lq;
  let Lk = params.Lk;
  let h = wid.y;
  let n = wid.z;
  let row = wid.x * BQ + lid;
  let valid = row < Lq;
#ifndef TILED
  if (!valid) { return; }
#endif
  // TILED: rows past Lq still take part in loading tiles and in the barriers; they read a real row.
  let qb = (n * Lq + min(row, Lq - 1u)) * params.q_stride + h * HEAD_DIM;
  var qr = array<vec4<f32>, D4>();
  for (var c = 0u; c < D4; c++) {
    qr[c] = load_q4(qb, 4u * c) * params.scale;
  }
  var acc = array<vec4<f32>, D4>();
  var m = -3.0e38;
  var l = 0.0;
  let kvb = n * Lk * params.kv_stride + h * HEAD_DIM;
#ifdef CAUSAL
  // Keys this row sees, and the keys the loop visits (uniform over the workgroup when TILED).
  let row_end = min(Lk, min(row, Lq - 1u) + 1u);
#ifdef TILED
  let loop_end = min(Lk, min(wid.x * BQ + BQ, Lq));
#else
  let loop_end = row_end;
#endif
#else
  let row_end = Lk;
  let loop_end = Lk;
#endif

  for (var k0 = 0u; k0 < loop_end; k0 += BK) {
#ifdef TILED
    for (var e = lid; e < BK * D4; e += BQ) {
      let key = k0 + e / D4;
      let c = 4u * (e % D4);
      var kv = vec4<f32>();
      var vv = vec4<f32>();
      if (key < Lk) {
        kv = load_k4(kvb + key * params.kv_stride, c);
        vv = load_v4(kvb + key * params.kv_stride, c);
      }
      ks[e] = kv;
      vs[e] = vv;
    }
    workgroupBarrier();
#endif
    // No key of this tile is visible to a causal row that ends before it.
    let nk = select(0u, min(BK, row_end - k0), row_end > k0);
    var s = array<f32, BK>();
    var tile_max = -3.0e38;
    for (var j = 0u; j < nk; j++) {
      var d = vec4<f32>();
      for (var c = 0u; c < D4; c++) {
        d = fma(qr[c], key4(kvb, k0, j, c), d);
      }
      let sj = (d.x + d.y) + (d.z + d.w);
      s[j] = sj;
      tile_max = max(tile_max, sj);
    }
    let m_new = max(m, tile_max);
    let corr = exp(m - m_new);
    l *= corr;
    for (var c = 0u; c < D4; c++) {
      acc[c] *= corr;
    }
    for (var j = 0u; j < nk; j++) {
      let p = exp(s[j] - m_new);
      l += p;
      for (var c = 0u; c < D4; c++) {
        acc[c] = fma(vec4<f32>(p), value4(kvb, k0, j, c), acc[c]);
      }
    }
    m = m_new;
#ifdef TILED
    workgroupBarrier();
#endif
  }

  if (!valid) { return; }
  let ob = (n * Lq + row) * params.o_stride + h * HEAD_DIM;
  let inv = 1.0 / l;
  for (var c = 0u; c < D4; c++) {
    let r = acc[c] * inv;
    for (var j = 0u; j < 4u; j++) {
      if (4u * c + j < HEAD_DIM) { out[ob + 4u * c + j] = r[j]; }
    }
  }
}
