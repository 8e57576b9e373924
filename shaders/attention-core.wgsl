// Shared core of the attention kernels (included by attention-prefill.wgsl and attention-decode.wgsl):
// one query row against a span of cached keys, with an online softmax.
//
// The including file defines `const WG: u32` (power of two), HEAD_DIM (a #define, so the per-key
// dot product and the per-thread output slice are compile-time loops), declares k_cache and
// v_cache, includes lib/reduce.wgsl, and has filled q_sh with the (unscaled) query row.
//
// Cache layout (both K and V): [n_ctx, n_kv_heads, HEAD_DIM] f32, row-major: position p of kv
// head g starts at (p * n_kv_heads + g) * HEAD_DIM, so the T new rows of a step are one
// contiguous range (src/kernels/kv-cache.ts writes them with one buffer copy).
//
// Per tile of WG keys: invocation j scores key k0 + j (a HEAD_DIM dot product against q_sh); a
// workgroup max and sum give the tile's max and mass; the running max m_run, mass l_run and the
// accumulator are rescaled by exp(m_old - m_new). Invocation lid owns output dims lid, lid + WG, ...
// (DPT of them) and sums p_j * V[k0 + j][d] over the tile, reading p from p_sh. Keys outside the
// span are never read, so unwritten cache rows (garbage, NaN) cannot leak in.

const DPT: u32 = (HEAD_DIM + WG - 1u) / WG;

var<workgroup> q_sh: array<f32, HEAD_DIM>;
var<workgroup> p_sh: array<f32, WG>;

var<private> acc: array<f32, DPT>;
var<private> m_run: f32 = -3.0e38;
var<private> l_run: f32 = 0.0;

/** Attend over keys [k_begin, k_end) of kv head offset `head_off` (= g * HEAD_DIM) in rows of
 *  `row_stride` floats (= n_kv_heads * HEAD_DIM). Call in workgroup-uniform control flow. */
fn attend_span(k_begin: u32, k_end: u32, head_off: u32, row_stride: u32, scale: f32, lid: u32, sg_lane: u32, sg_size: u32) {
  for (var k0 = k_begin; k0 < k_end; k0 += WG) {
    let n = min(WG, k_end - k0);
    var s = -3.0e38;
    if (lid < n) {
      let kb = (k0 + lid) * row_stride + head_off;
      var dot = 0.0;
      for (var d = 0u; d < HEAD_DIM; d++) { dot += q_sh[d] * k_cache[kb + d]; }
      s = dot * scale;
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
    // p_sh is rewritten by the next tile.
    workgroupBarrier();
  }
}
