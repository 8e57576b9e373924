// Workgroup-wide reductions of one f32 per invocation (sum and max), shared by the row kernels.
// The including file defines `const WG: u32` (a power of two) and passes, for every call, the
// invocation's local index and, in SUBGROUPS variants, its subgroup lane and the subgroup size.
//
// Without subgroups: a shared-memory tree, log2(WG) barriers.
// With SUBGROUPS: each subgroup reduces in registers (subgroupAdd/subgroupMax), lane 0 writes one
// partial per subgroup (subgroup index taken as local_index / subgroup_size: subgroups are laid out
// contiguously for 1-D workgroups on the drivers we test), then invocation 0 combines the partials.
// The result comes back through workgroupUniformLoad, so callers may branch on it (uniformity
// analysis treats it as workgroup-uniform). Every call must be made in workgroup-uniform control
// flow. Back-to-back calls are safe: each writes red_buf only after a barrier that follows every
// read of the previous call.

var<workgroup> red_buf: array<f32, WG>;
var<workgroup> red_out: f32;

#ifdef SUBGROUPS
fn wg_sum(v: f32, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  let s = subgroupAdd(v);
  if (sg_lane == 0u) { red_buf[lid / sg_size] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    let nsg = (WG + sg_size - 1u) / sg_size;
    var total = 0.0;
    for (var i = 0u; i < nsg; i++) { total += red_buf[i]; }
    red_out = total;
  }
  return workgroupUniformLoad(&red_out);
}

fn wg_max(v: f32, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  let s = subgroupMax(v);
  if (sg_lane == 0u) { red_buf[lid / sg_size] = s; }
  workgroupBarrier();
  if (lid == 0u) {
    let nsg = (WG + sg_size - 1u) / sg_size;
    var m = red_buf[0];
    for (var i = 1u; i < nsg; i++) { m = max(m, red_buf[i]); }
    red_out = m;
  }
  return workgroupUniformLoad(&red_out);
}
#else
fn wg_sum(v: f32, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  red_buf[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red_buf[lid] = red_buf[lid] + red_buf[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { red_out = red_buf[0]; }
  return workgroupUniformLoad(&red_out);
}

fn wg_max(v: f32, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  red_buf[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red_buf[lid] = max(red_buf[lid], red_buf[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { red_out = red_buf[0]; }
  return workgroupUniformLoad(&red_out);
}
#endif
