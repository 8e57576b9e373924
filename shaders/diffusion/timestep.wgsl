// timestep: sinusoidal timestep embedding, diffusers' get_timestep_embedding.
//
//   half = dim / 2;  freq_j = exp(-ln(max_period) * j / (half - downscale_freq_shift))   j < half
//   arg_j = scale * (t[n] * freq_j)
//   out[n, :] = [sin(arg_0..half-1), cos(arg_0..half-1)]    ([cos, sin] with flip_sin_to_cos)
//   out[n, dim - 1] = 0 when dim is odd (diffusers pads one zero column).
// Operands: t [N] f32 (timesteps, may be fractional); out [N, dim] f32.
// Params: neg_log_period = -ln(max_period), denom = half - downscale_freq_shift (host-checked
// non-zero), flip = 0 or 1.
// The arguments are computed in f32 in the same order as diffusers (which runs in f32 too), so
// both carry the rounding of a ~1000-sized argument (~6e-5 rad per ulp at t = 1000). WGSL's own
// sin/cos promise only 2^-11 absolute error on [-pi, pi] (SwiftShader's are off by ~2e-4), so
// they are evaluated here: a Cody-Waite reduction by pi/2 to |r| <= pi/4 and a quadrant, then
// Taylor polynomials to r^9 / r^10 (truncation < 2e-9 there), within a few f32 ulps.
// Dispatch: one invocation per output element; WG per workgroup, one dimension (N * dim is tiny).

const WG: u32 = WG_SIZE;

struct Params {
  total: u32,
  dim: u32,
  half_dim: u32,
  flip: u32,
  neg_log_period: f32,
  denom: f32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> t: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// 1.5703125 has 8 significant bits, so k * 1.5703125 is exact for |k| < 2^16 and x minus it is
// exact near x; the rest of pi/2 follows as a second constant.
const PIO2_HI: f32 = 1.5703125;
const PIO2_LO: f32 = 4.8382679489661923e-4;

fn sin_poly(r: f32) -> f32 {
  let r2 = r * r;
  return r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
}

fn cos_poly(r: f32) -> f32 {
  let r2 = r * r;
  return 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
}

/** sin(x) (shift 0) or cos(x) (shift 1), from x = k pi/2 + r: quadrant (k + shift) mod 4 picks the polynomial and sign. */
fn sincos(x: f32, shift: u32) -> f32 {
  let k = round(x * 0.6366197723675814);
  let r = (x - k * PIO2_HI) - k * PIO2_LO;
  let q = (u32(i32(k) & 3) + shift) & 3u;
  let v = select(sin_poly(r), cos_poly(r), (q & 1u) == 1u);
  return select(v, -v, q >= 2u);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x * WG + lid;
  if (i >= params.total) { return; }
  let dim = params.dim;
  let half_dim = params.half_dim;
  let n = i / dim;
  let c = i - n * dim;
  if (c >= 2u * half_dim) {
    out[i] = 0.0;
    return;
  }
  let first = c < half_dim;
  let j = select(c - half_dim, c, first);
  let freq = exp(params.neg_log_period * f32(j) / params.denom);
  let a = params.scale * (t[n] * freq);
  // Without flip the first half is sin; flip_sin_to_cos swaps the halves.
  let use_sin = first != (params.flip != 0u);
  out[i] = sincos(a, select(1u, 0u, use_sin));
}
