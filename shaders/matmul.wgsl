// matmul (linear layer): out[m, n] = sum_k a[m, k] * w[n, k]      i.e. out = a · wᵀ
//
// Operands: a: [M, K] row-major f32; w: [N, K] row-major (a weight matrix as GGUF stores it:
// one row per output feature), f32, f16 or f16 packed in u32 (lib/weights.wgsl); out: [M, N] f32.
// Tiling: a workgroup of 16x16 invocations computes a 64x64 block of out; each invocation owns a
// 4x4 register tile at rows ty + 16*i, cols tx + 16*j (strided, so neighbouring invocations read
// neighbouring shared-memory words). K advances in steps of 16 through shared-memory tiles of a and
// w stored k-major. Edges (M, N or K not multiples of the tile) load zeros and skip stores.
// Dispatch: (ceil(N / 64), ceil(M / 64)).
#ifdef W_F16
enable f16;
#endif

#include "lib/weights.wgsl"

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<W_ELEM>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> As: array<f32, 1024>; // [BK][BM]
var<workgroup> Ws: array<f32, 1024>; // [BK][BN]

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
  var acc = array<f32, 16>();
  for (var k0 = 0u; k0 < K; k0 += BK) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      let r = e / BK;
      let kk = e % BK;
      let gk = k0 + kk;
      var av = 0.0;
      if (m0 + r < M && gk < K) { av = a[(m0 + r) * K + gk]; }
      As[kk * BM + r] = av;
      var wv = 0.0;
      if (n0 + r < N && gk < K) { wv = load_w((n0 + r) * K + gk); }
      Ws[kk * BN + r] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av = array<f32, 4>();
      var wv = array<f32, 4>();
      for (var i = 0u; i < 4u; i++) {
        av[i] = As[kk * BM + ty + 16u * i];
        wv[i] = Ws[kk * BN + tx + 16u * i];
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
      if (n < N) { out[m * N + n] = acc[i * 4u + j]; }
    }
  }
}
