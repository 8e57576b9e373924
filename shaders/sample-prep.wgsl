// sample-prep: the sampler's first two dispatches, writing the penalised, tempered logits
// w: [V] f32 that shaders/sample.wgsl selects from (semantics: src/kernels/ref/sample.ts).
//
//   default:  w[i] = logits[i] * inv_temp                       one invocation per token
//   PENALTY:  for each history entry h, tok = history[h] < V:   one invocation per entry
//               w[tok] = (logits[tok] > 0 ? logits[tok] * inv_penalty : logits[tok] * penalty) * inv_temp
// The penalty pass rewrites w[tok] from the untouched logits, so a token repeated in the history
// is penalised once (duplicates write the same value), and logits are never modified: sampling
// again (another u) gives the same w. All steps are f32 multiplies, correctly rounded in WGSL,
// hence bit-equal to the reference. Dispatch: 256 invocations per workgroup, folded to 2-D.

const WG: u32 = 256u;

struct Params {
  vocab: u32,
  n_history: u32,
  inv_temp: f32,
  penalty: f32,
  inv_penalty: f32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
#ifdef PENALTY
@group(0) @binding(1) var<storage, read> history: array<u32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#else
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#endif

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
#ifdef PENALTY
  if (i >= params.n_history) { return; }
  let tok = history[i];
  if (tok >= params.vocab) { return; }
  let l = logits[tok];
  let lp = select(l * params.penalty, l * params.inv_penalty, l > 0.0);
  w[tok] = lp * params.inv_temp;
#else
  if (i >= params.vocab) { return; }
  w[i] = logits[i] * params.inv_temp;
#endif
}
