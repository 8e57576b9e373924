// qmatmul (prefill linear layer on repacked weights):
//   out[m, n_off + n] = sum_k a[m, k] * W[n, k]  (+ bias[n_off + n]) (+ r[m, n_off + n])
//
// Operands: a: [M, K] row-major f32; W: one row part of a repacked [N_total, K] weight, read with
// w8 (lib/quant.wgsl; one QT_* define); out, r: [M, ldo] f32 with ldo = N_total; bias: [N_total].
// A weight split into parts runs once per part, n_off = the part's first row.
// Tiling: a workgroup of 16x16 invocations computes a 64x64 block of out; each invocation owns a
// 4x4 register tile at rows ty + 16i, cols tx + 16j. K advances 32 at a time: every invocation
// loads 8 values of a and dequantizes one 8-value chunk of W (row tid/4, chunk tid%4) into
// workgroup memory, both stored k-major. 32 divides every block size (32, 256), and chunks never
// straddle a sub-block, so each chunk is one scale. Edges of M and N load zeros and skip stores;
// dense rows end with zero padding and a's loads are guarded past K.
// W_TILE_F16 (needs shader-f16) keeps the dequantized tile in f16: half the workgroup memory and
// shared-memory traffic; products and sums stay f32. Without it the tile is f32.
// Dispatch: (ceil(N / 64), ceil(M / 64)).
#ifdef NEEDS_F16
enable f16;
#endif

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 32u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  chunks: u32,
  q_stride: u32,
  s_stride: u32,
  n_off: u32,
  ldo: u32,
}

@group(0) @binding(B_A) var<storage, read> a: array<f32>;
@group(0) @binding(B_Q) var<storage, read> Q: array<Q_ELEM>;
#ifdef HAS_SCALES
@group(0) @binding(B_S) var<storage, read> S: array<u32>;
#endif
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
#ifdef BIAS
@group(0) @binding(B_BIAS) var<storage, read> bias: array<f32>;
#endif
#ifdef RESIDUAL
@group(0) @binding(B_R) var<storage, read> r: array<f32>;
#endif
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

#include "lib/quant.wgsl"

#ifdef W_TILE_F16
alias WT = f16;
#else
alias WT = f32;
#endif

var<workgroup> As: array<f32, 2048>; // [BK][BM]
var<workgroup> Ws: array<WT, 2048>;  // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * 16u + tx;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  // This invocation's W chunk: row wr of the tile, chunk wc of the 4 in each K step.
  let wr = tid >> 2u;
  let wc = tid & 3u;
  let wn = n0 + wr;
  let qb = wn * params.q_stride;
  let sb = wn * params.s_stride;
  var acc = array<f32, 16>();
  for (var k0 = 0u; k0 < K; k0 += BK) {
    for (var i = 0u; i < 8u; i++) {
      let e = tid + i * 256u;
      let row = e >> 5u;
      let kk = e & 31u;
      let gk = k0 + kk;
      var av = 0.0;
      if (m0 + row < M && gk < K) { av = a[(m0 + row) * K + gk]; }
      As[kk * BM + row] = av;
    }
    let c = (k0 >> 3u) + wc;
    var w = W8(vec4<f32>(0.0), vec4<f32>(0.0));
    if (wn < N && c < params.chunks) { w = w8(qb, sb, c); }
    let kw = wc * 8u;
    for (var i = 0u; i < 4u; i++) {
      Ws[(kw + i) * BN + wr] = WT(w.lo[i]);
      Ws[(kw + 4u + i) * BN + wr] = WT(w.hi[i]);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av = vec4<f32>(0.0);
      var wv = vec4<f32>(0.0);
      for (var i = 0u; i < 4u; i++) {
        av[i] = As[kk * BM + ty + 16u * i];
        wv[i] = f32(Ws[kk * BN + tx + 16u * i]);
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(av[i], wv[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty + 16u * i;
    if (m >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx + 16u * j;
      if (n >= N) { continue; }
      let col = params.n_off + n;
      let o = m * params.ldo + col;
      var v = acc[i * 4u + j];
#ifdef BIAS
      v += bias[col];
#endif
#ifdef RESIDUAL
      v += r[o];
#endif
      out[o] = v;
    }
  }
}
