// rope: rotary position embedding, in place on x: [T, n_heads, head_dim] f32 (q or k).
//
// Token t sits at position pos = pos0 + t (pos0 a uniform, so one pipeline serves prefill and
// decode). Pair i (0 <= i < rot_dim/2) is rotated by theta = pos * inv_freq[i]:
//   NORMAL (llama.cpp "norm", llama):  (x[2i], x[2i+1])
//   NEOX   (llama.cpp "neox", qwen2):  (x[i],  x[i + rot_dim/2])
//   x0' = x0 cos(theta) - x1 sin(theta),  x1' = x0 sin(theta) + x1 cos(theta)
// Dimensions at and past rot_dim are not touched.
//
// table: [rot_dim/2] vec4, built once on the host (src/kernels/rope.ts ropeTable) in float64 from
// base, rot_dim, the linear freq_scale and the per-pair frequency factors (llama3 rope_freqs):
// g = inv_freq / (2 pi), turns per position, split as g_hi + g_mid + g_lo where g_hi and g_mid hold
// 12 significant bits each. Why: at pos ~ 32k, theta ~ 3e4 rad and one f32 ulp of theta (or of an
// inv_freq computed with pow on the GPU) is already ~4e-3 rad. Splitting pos into 12-bit halves
// (pos_hi + pos_lo, pos < 2^24) makes the four products pos_{hi,lo} * g_{hi,mid} exact in f32, so
// their fractional turns are exact too; only the sum of five terms in [0, 1) rounds, which leaves
// ~1e-6 turns of error at any position.
// sin/cos are our own polynomials after a quadrant reduction in turns (sincos_turns): WGSL only
// promises 2^-11 absolute error for the builtins, and SwiftShader's are that coarse (outputs were
// off by 7e-3 on |x| ~ 10 with the builtins).
//
// Dispatch: one invocation per (row = t * n_heads + head, pair); WG = 64 invocations per workgroup,
// linear id = (wid.x + wid.y * nwg.x) * WG + lid, folded to 2-D for large counts.

const WG: u32 = 64u;

struct Params {
  rows: u32,      // T * n_heads
  head_dim: u32,
  half_rot: u32,  // rot_dim / 2
  n_heads: u32,
  pos0: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;

// (sin, cos) of 2 pi f for f in [0, 1): quarter turn q = round(4f), remainder z in [-pi/4, pi/4]
// (4f - q is exact), Taylor polynomials to z^9 / z^10 (truncation error < 2e-9 there).
fn sincos_turns(f: f32) -> vec2<f32> {
  let r = 4.0 * f;
  let q = floor(r + 0.5);
  let z = (r - q) * 1.5707963267948966;
  let z2 = z * z;
  let s = z * (1.0 + z2 * (-1.0 / 6.0 + z2 * (1.0 / 120.0 + z2 * (-1.0 / 5040.0 + z2 * (1.0 / 362880.0)))));
  let c = 1.0 + z2 * (-0.5 + z2 * (1.0 / 24.0 + z2 * (-1.0 / 720.0 + z2 * (1.0 / 40320.0 + z2 * (-1.0 / 3628800.0)))));
  switch (u32(q) & 3u) {
    case 0u: { return vec2<f32>(s, c); }
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    default: { return vec2<f32>(-c, s); }
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let idx = (wid.x + wid.y * nwg.x) * WG + lid;
  if (idx >= params.rows * params.half_rot) { return; }
  let pair = idx % params.half_rot;
  let row = idx / params.half_rot;
  let pos = params.pos0 + row / params.n_heads;

  let g = table[pair];
  let p_hi = f32(pos & 0xfff000u);
  let p_lo = f32(pos & 0xfffu);
  let turns = fract(p_hi * g.x) + fract(p_hi * g.y) + fract(p_lo * g.x) + fract(p_lo * g.y) + f32(pos) * g.z;
  let sc = sincos_turns(fract(turns));
  let s = sc.x;
  let c = sc.y;

  let base = row * params.head_dim;
#ifdef NEOX
  let i0 = base + pair;
  let i1 = i0 + params.half_rot;
#else
  let i0 = base + 2u * pair;
  let i1 = i0 + 1u;
#endif
  let x0 = x[i0];
  let x1 = x[i1];
  x[i0] = x0 * c - x1 * s;
  x[i1] = x0 * s + x1 * c;
}
