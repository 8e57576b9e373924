// pointwise: the elementwise ops of the diffusion and super-resolution graphs (f32, flat).
//
// Unary, out[i] = f(a[i]):
//   OP_RELU        max(a, 0)
//   OP_LEAKY_RELU  a >= 0 ? a : alpha * a                  (ESRGAN: alpha = 0.2)
//   OP_SCALE       alpha * a + beta                        (also a shift; the VAE latent scaling)
//   OP_CLAMP       clamp(a, alpha, beta)                   (alpha <= beta; image output to [0, 1])
//   OP_SILU        a * sigmoid(a)
//   OP_QUICK_GELU  a * sigmoid(1.702 a)                    (CLIP ViT-L/14's MLP: SD 1.x's text encoder)
//   OP_GELU        0.5 a (1 + erf(a / sqrt(2)))            (OpenCLIP ViT-H's MLP: SD 2.x's; erf as in
//                                                           lib/activations.wgsl, |error| <= 1.5e-7)
// Binary, same length:
//   OP_AXPBY       alpha * a + beta * b                    (add: 1, 1; RRDB residual: 1, 0.2;
//                                                           guidance: uncond + g (cond - uncond) = (1 - g), g)
// Broadcast:
//   OP_ADD_BCAST   a + b[(i / inner) % b_len] (+ r[i] with RESIDUAL)
//                  a bias over rows (inner 1, b_len = columns), a per-channel vector over NCHW
//                  (inner = H * W, b_len = C), or a per-(n, c) one such as a resnet's projected
//                  time embedding (inner = H * W, b_len = N * C).
// IN_PLACE: the result overwrites a (no out binding). Binding slots come from the host (B_*).
// Dispatch: one invocation per element; WG per workgroup, workgroups folded over x and y.

#include "lib/activations.wgsl"

const WG: u32 = WG_SIZE;

struct Params {
  n: u32,
  inner: u32,
  b_len: u32,
  alpha: f32,
  beta: f32,
}

#ifdef IN_PLACE
@group(0) @binding(B_A) var<storage, read_write> a: array<f32>;
#else
@group(0) @binding(B_A) var<storage, read> a: array<f32>;
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
#endif
#ifdef HAS_B
@group(0) @binding(B_B) var<storage, read> b: array<f32>;
#endif
#ifdef RESIDUAL
@group(0) @binding(B_R) var<storage, read> r: array<f32>;
#endif
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

fn apply(i: u32) -> f32 {
  let v = a[i];
#ifdef OP_RELU
  return max(v, 0.0);
#endif
#ifdef OP_LEAKY_RELU
  return select(params.alpha * v, v, v >= 0.0);
#endif
#ifdef OP_SCALE
  return fma(params.alpha, v, params.beta);
#endif
#ifdef OP_CLAMP
  return clamp(v, params.alpha, params.beta);
#endif
#ifdef OP_SILU
  return silu(v);
#endif
#ifdef OP_QUICK_GELU
  return v / (1.0 + exp(-1.702 * v));
#endif
#ifdef OP_GELU
  return gelu(v);
#endif
#ifdef OP_AXPBY
  return params.alpha * v + params.beta * b[i];
#endif
#ifdef OP_ADD_BCAST
  var y = v + b[(i / params.inner) % params.b_len];
#ifdef RESIDUAL
  y += r[i];
#endif
  return y;
#endif
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.n) { return; }
#ifdef IN_PLACE
  a[i] = apply(i);
#else
  out[i] = apply(i);
#endif
}
