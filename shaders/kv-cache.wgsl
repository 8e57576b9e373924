// kv-cache: write the T new K and V rows of a step into f16 caches (f32 in, packed halves out).
//
// Operands: k, v: [T, n_kv_heads, head_dim] f32 (k already rotated), contiguous.
// k_cache, v_cache: [n_ctx, n_kv_heads, head_dim / 2] u32, each u32 holding two halves of
// [n_ctx, n_kv_heads, head_dim]: element 2i in the low 16 bits, 2i + 1 in the high 16 bits (the
// layout pack2x16float writes and unpack2x16float reads; head_dim is even, so a pair never straddles
// two heads or two positions). The T new rows are one contiguous range of the cache starting at
// u32 index dst = pos0 * n_kv_heads * head_dim / 2, so the kernel is a flat map over pairs.
//
// Rounding: pack2x16float converts each value to the nearest half (WGSL allows either neighbour
// when a value lies between two halves; the drivers we test round to nearest even). Its result is
// indeterminate for values beyond the finite f16 range, so values are first clamped to +-65504:
// a huge K or V saturates instead of turning into garbage bits.
//
// Dispatch: one invocation per pair index i in [0, n_pairs), n_pairs = T * n_kv_heads * head_dim / 2;
// it writes pair i of both K and V (one dispatch per layer and step). WG = 64 invocations,
// linear id = (wid.x + wid.y * nwg.x) * WG + lid, folded to 2-D for large counts.

const WG: u32 = 64u;
const F16_MAX: f32 = 65504.0;

struct Params {
  n_pairs: u32,
  dst: u32,
}

@group(0) @binding(0) var<storage, read> k: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

fn pack_pair(a: f32, b: f32) -> u32 {
  let x = vec2<f32>(a, b);
  return pack2x16float(clamp(x, vec2<f32>(-F16_MAX), vec2<f32>(F16_MAX)));
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.n_pairs) { return; }
  let s = 2u * i;
  k_cache[params.dst + i] = pack_pair(k[s], k[s + 1u]);
  v_cache[params.dst + i] = pack_pair(v[s], v[s + 1u]);
}
