// Shared core of the attention kernels (included by attention-prefill.wgsl and attention-decode.wgsl):
// one query row against a span of cached keys, with an online softmax.
//
// The including file defines `const WG: u32` (power of two), HEAD_DIM (a #define, so the per-key
// dot product and the per-thread output slice are compile-time loops), declares k_cache and
// v_cache (array<f32>, or array<u32> under KV_F16), includes lib/reduce.wgsl, and has filled q_sh
// with the (unscaled) query row.
//
// Cache layout (both K and V): [n_ctx, n_kv_heads, HEAD_DIM] elements, row-major: position p of kv
// head g starts at element (p * n_kv_heads + g) * HEAD_DIM, so the T new rows of a step are one
// contiguous range (src/kernels/kv-cache.ts writes them: a buffer copy for f32, a packing kernel
// for f16). Default: f32 elements. KV_F16: halves packed two per u32, element e in u32 e / 2 (low
// 16 bits when e is even; the pack2x16float layout). HEAD_DIM is even there, so every key row
// starts on a whole u32: the dot product reads pairs, and each invocation owns output dims in
// pairs (owned_dim) so a V load is one u32 unpacked once. Math is f32. (Decode attention time,
// f16 over f32, kvLen 256-8k: owning single dims, each unpacking a pair to keep one half, 1.0-1.16x
// on SwiftShader; owning pairs, 0.8-1.0x on SwiftShader and 0.55-0.75x on lavapipe.)
//
// Per tile of WG keys: invocation j scores key k0 + j (a HEAD_DIM dot product against q_sh); a
// workgroup max and sum give the tile's max and mass; the running max m_run, mass l_run and the
// accumulator are rescaled by exp(m_old - m_new). Invocation lid owns DPT output dims
// (owned_dim: lid, lid + WG, ...; under KV_F16 the pairs 2 lid, 2 lid + 1, 2 (lid + WG), ...) and
// sums p_j * V[k0 + j][d] over the tile, reading p from p_sh. Keys outside the span are never
// read, so unwritten cache rows (garbage, NaN) cannot leak in.

#ifdef KV_F16
// Invocation lid owns the dim pairs p = lid + i * WG (i < PPT): dims 2p and 2p + 1 in acc slots
// 2i and 2i + 1.
const PPT: u32 = (HEAD_DIM / 2u + WG - 1u) / WG;
const DPT: u32 = 2u * PPT;
fn owned_dim(lid: u32, j: u32) -> u32 { return 2u * (lid + (j >> 1u) * WG) + (j & 1u); }
#else
const DPT: u32 = (HEAD_DIM + WG - 1u) / WG;
fn owned_dim(lid: u32, j: u32) -> u32 { return lid + j * WG; }
#endif

var<workgroup> q_sh: array<f32, HEAD_DIM>;
var<workgroup> p_sh: array<f32, WG>;

var<private> acc: array<f32, DPT>;
var<private> m_run: f32 = -3.0e38;
var<private> l_run: f32 = 0.0;

#ifdef KV_F16
const HALF_DIM: u32 = HEAD_DIM / 2u;

/** q . K over one head whose first element is `kb` (even). */
fn k_dot(kb: u32) -> f32 {
  let pb = kb >> 1u;
  var dot = 0.0;
  for (var i = 0u; i < HALF_DIM; i++) {
    let kk = unpack2x16float(k_cache[pb + i]);
    dot += q_sh[2u * i] * kk.x + q_sh[2u * i + 1u] * kk.y;
  }
  return dot;
}
#else
fn k_dot(kb: u32) -> f32 {
  var dot = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) { dot += q_sh[d] * k_cache[kb + d]; }
  return dot;
}
#endif

/** Attend over keys [k_begin, k_end) of kv head offset `head_off` (= g * HEAD_DIM) in rows of
 *  `row_stride` floats (= n_kv_heads * HEAD_DIM). Call in workgroup-uniform control flow. */
fn attend_span(k_begin: u32, k_end: u32, head_off: u32, row_stride: u32, scale: f32, lid: u32, sg_lane: u32, sg_size: u32) {
  for (var k0 = k_begin; k0 < k_end; k0 += WG) {
    let n = min(WG, k_end - k0);
    var s = -3.0e38;
    if (lid < n) {
      s = k_dot((k0 + lid) * row_stride + head_off) * scale;
    }
    let m_new = max(m_run, wg_max(s, lid, sg_lane, sg_size));
    var p = 0.0;
    if (lid < n) { p = exp(s - m_new); }
    p_sh[lid] = p;
    // wg_sum's barriers also publish p_sh.
    let l_tile = wg_sum(p, lid, sg_lane, sg_size);
    let corr = exp(m_run - m_new);
    l_run = l_run * corr + l_tile;
    m_run = m_new;
#ifdef KV_F16
    for (var i = 0u; i < PPT; i++) {
      let d = 2u * (lid + i * WG);
      if (d < HEAD_DIM) {
        var a = vec2<f32>(acc[2u * i], acc[2u * i + 1u]) * corr;
        var vb = (k0 * row_stride + head_off + d) >> 1u;
        for (var t = 0u; t < n; t++) {
          a += p_sh[t] * unpack2x16float(v_cache[vb]);
          vb += row_stride >> 1u;
        }
        acc[2u * i] = a.x;
        acc[2u * i + 1u] = a.y;
      }
    }
#else
    for (var j = 0u; j < DPT; j++) {
      let d = lid + j * WG;
      if (d < HEAD_DIM) {
        var a = acc[j] * corr;
        var vb = k0 * row_stride + head_off + d;
        for (var t = 0u; t < n; t++) {
          a += p_sh[t] * v_cache[vb];
          vb += row_stride;
        }
        acc[j] = a;
      }
    }
#endif
    // p_sh is rewritten by the next tile.
    workgroupBarrier();
  }
}
