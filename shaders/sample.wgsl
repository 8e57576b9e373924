// sample: picks one token id from the prepared logits w: [V] f32 (shaders/sample-prep.wgsl) with
// top-k, top-p, min-p and an inverse-CDF draw for a host-supplied u in [0, 1), or the argmax when
// greedy. The semantics, order of operations and tie rules are defined by src/kernels/ref/sample.ts.
//
// Operands: w [V] f32 (read); cand [V] vec4<u32> scratch; out [..] u32, the id goes to
// out[out_index] (the host reads back just these 4 bytes).
// Dispatch: ONE workgroup of 256 invocations. Every filter keeps a prefix of the order
// (w desc, id asc), so no sort is needed: each cut is a position in that order, found by searching
// over w's order-preserving u32 key (okey), with ties at a cut resolved by counting (tied tokens
// have equal mass, so the first j of a tie group weigh j * e).
//   1. sweep: max key, and the lowest id holding it (greedy stops here)
//   2. top-k: radix select of the k-th largest key, 4 passes of 8 bits with a workgroup
//      histogram (u32 atomics): cut = (key, how many of its ties are kept)
//   3. two sweeps: Z_k (mass of the top-k set), and a deterministic, order-preserving compaction of
//      the top-k and min-p survivors into cand (key, id, e = exp(w - w_max)); its size C is V at worst
//   4. top-p: bisection over keys (32 steps, each a sweep of cand and a workgroup sum) for the
//      largest key whose suffix mass reaches p * Z_k, then the tie count
//   5. pick: Z_n, goal u * Z_n, bisection for the largest key whose suffix mass exceeds the
//      goal, the index j in its tie group, and the j-th smallest id of the group
//      (a bisection over ids when j > 0)
// Sums have a fixed order (strided per invocation, then a tree), so the result is reproducible.
//
// Why one workgroup: it keeps everything in one dispatch and needs no float atomics (WGSL has
// none). Sweeps over V = 152k cost ~0.1 ms each on a real GPU, and with top-k or min-p on, C is
// small; a GPU-first design would spread steps 1-3 over many workgroups and sort the (small)
// candidate set in workgroup memory.
#ifdef SUBGROUPS
enable subgroups;
#endif

const WG: u32 = 256u;
#include "lib/reduce.wgsl"

struct Params {
  vocab: u32,
  top_k: u32,      // 0: off (the host also turns k >= V off)
  greedy: u32,
  out_index: u32,
  top_p: f32,      // >= 1: off
  ln_min_p: f32,
  use_min_p: u32,
  u: f32,          // in [0, 1)
}

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> cand: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> hist: array<atomic<u32>, WG>;
var<workgroup> ured: array<u32, WG>;
var<workgroup> sh_a: u32;
var<workgroup> sh_b: u32;

// Order-preserving u32 key of an f32 (+0 and -0 share one key, as they compare equal).
fn okey(f: f32) -> u32 {
  let b = select(bitcast<u32>(f), 0u, f == 0.0);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn key_value(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

fn wg_umax(v: u32, lid: u32) -> u32 {
  ured[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { ured[lid] = max(ured[lid], ured[lid + s]); }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&ured[0]);
}

fn wg_umin(v: u32, lid: u32) -> u32 {
  ured[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { ured[lid] = min(ured[lid], ured[lid + s]); }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&ured[0]);
}

// The current cut: candidates with key > cut_key all count; of those with key == cut_key, only
// cut_take do, weighing tie_mass together.
struct Cut {
  key: u32,
  take: u32,
  tie_mass: f32,
}

// Mass of the kept candidates with key >= t (t >= cut.key).
fn mass_ge(t: u32, n: u32, cut: Cut, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  var s = 0.0;
  for (var i = lid; i < n; i += WG) {
    let c = cand[i];
    if (c.x >= t && c.x != cut.key) { s += bitcast<f32>(c.z); }
  }
  let total = wg_sum(s, lid, sg_lane, sg_size);
  return select(total, total + cut.tie_mass, t <= cut.key);
}

// How many candidates have key t and id <= max_id (counts < 2^24 are exact in f32).
fn count_eq(t: u32, max_id: u32, n: u32, lid: u32, sg_lane: u32, sg_size: u32) -> f32 {
  var s = 0.0;
  for (var i = lid; i < n; i += WG) {
    let c = cand[i];
    if (c.x == t && c.y <= max_id) { s += 1.0; }
  }
  return wg_sum(s, lid, sg_lane, sg_size);
}

// Largest key t in [lo, hi] with mass_ge(t) >= goal (or > goal when strict); mass_ge(lo)
// must satisfy it.
fn search_key(lo_in: u32, hi_in: u32, goal: f32, strict: bool, n: u32, cut: Cut, lid: u32, sg_lane: u32, sg_size: u32) -> u32 {
  var lo = lo_in;
  var hi = hi_in;
  while (lo < hi) {
    let mid = lo + (hi - lo + 1u) / 2u;
    let m = mass_ge(mid, n, cut, lid, sg_lane, sg_size);
    if (m > goal || (!strict && m == goal)) { lo = mid; } else { hi = mid - 1u; }
  }
  return lo;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) lid: u32,
#ifdef SUBGROUPS
  @builtin(subgroup_invocation_id) sg_lane: u32,
  @builtin(subgroup_size) sg_size: u32,
#endif
) {
#ifndef SUBGROUPS
  let sg_lane = 0u;
  let sg_size = 1u;
#endif
  let V = params.vocab;

  // 1. max and argmax (the first index seen wins within an invocation, ids ascend).
  var best_key = 0u;
  var best_id = 0xffffffffu;
  for (var i = lid; i < V; i += WG) {
    let k = okey(w[i]);
    if (best_id == 0xffffffffu || k > best_key) {
      best_key = k;
      best_id = i;
    }
  }
  let kmax = wg_umax(best_key, lid);
  let arg = wg_umin(select(0xffffffffu, best_id, best_key == kmax), lid);
  if (params.greedy != 0u) {
    if (lid == 0u) { out[params.out_index] = arg; }
    return;
  }
  let w_max = key_value(kmax);

  // 2. top-k: the k-th largest key, digit by digit from the top.
  var cut = Cut(0u, 0xffffffffu, 0.0);
  if (params.top_k != 0u) {
    var prefix = 0u;
    var mask = 0u;
    var remaining = params.top_k;
    for (var digit = 0u; digit < 4u; digit++) {
      let shift = 24u - 8u * digit;
      atomicStore(&hist[lid], 0u);
      workgroupBarrier();
      for (var i = lid; i < V; i += WG) {
        let k = okey(w[i]);
        if ((k & mask) == prefix) { atomicAdd(&hist[(k >> shift) & 0xffu], 1u); }
      }
      workgroupBarrier();
      if (lid == 0u) {
        var seen = 0u;
        var sel = 0u;
        for (var b = WG; b > 0u; b--) {
          let c = atomicLoad(&hist[b - 1u]);
          if (seen + c >= remaining) {
            sel = b - 1u;
            break;
          }
          seen += c;
        }
        sh_a = sel;
        sh_b = remaining - seen;
      }
      prefix = prefix | (workgroupUniformLoad(&sh_a) << shift);
      remaining = workgroupUniformLoad(&sh_b);
      mask = mask | (0xffu << shift);
    }
    cut.key = prefix;
    cut.take = remaining;
  }

  // 3. Z_k over the top-k set, and the compaction of top-k and min-p survivors.
  let use_min_p = params.use_min_p != 0u;
  var z_above = 0.0;
  var ties = 0.0;
  var ties_kept = 0.0;
  var mine = 0u;
  for (var i = lid; i < V; i += WG) {
    let wi = w[i];
    let k = okey(wi);
    if (k >= cut.key) {
      let keep = !use_min_p || (wi - w_max) >= params.ln_min_p;
      if (k == cut.key) {
        ties += 1.0;
        if (keep) { ties_kept += 1.0; }
      } else {
        z_above += exp(wi - w_max);
      }
      if (keep) { mine++; }
    }
  }
  // Exclusive scan of the per-invocation counts: invocation lid writes from ured[lid] on.
  ured[lid] = mine;
  workgroupBarrier();
  if (lid == 0u) {
    var run = 0u;
    for (var j = 0u; j < WG; j++) {
      let c = ured[j];
      ured[j] = run;
      run += c;
    }
    sh_a = run;
  }
  workgroupBarrier();
  var slot = ured[lid];
  let n = workgroupUniformLoad(&sh_a);
  for (var i = lid; i < V; i += WG) {
    let wi = w[i];
    let k = okey(wi);
    if (k >= cut.key && (!use_min_p || (wi - w_max) >= params.ln_min_p)) {
      cand[slot] = vec4<u32>(k, i, bitcast<u32>(exp(wi - w_max)), 0u);
      slot++;
    }
  }
  let e_cut = exp(key_value(cut.key) - w_max);
  let ties_all = wg_sum(ties, lid, sg_lane, sg_size);
  let ties_in = wg_sum(ties_kept, lid, sg_lane, sg_size);
  let take_k = min(ties_all, f32(cut.take));
  let z_k = wg_sum(z_above, lid, sg_lane, sg_size) + select(0.0, take_k * e_cut, take_k > 0.0);
  let take_in = min(ties_in, f32(cut.take));
  cut.tie_mass = select(0.0, take_in * e_cut, take_in > 0.0);
  storageBarrier();
  workgroupBarrier();

  // 4. top-p over the top-k mass (only the part of it that min-p kept can matter).
  if (params.top_p < 1.0) {
    let target_p = params.top_p * z_k;
    if (mass_ge(cut.key, n, cut, lid, sg_lane, sg_size) >= target_p) {
      let t = search_key(cut.key, kmax, target_p, false, n, cut, lid, sg_lane, sg_size);
      let above = mass_ge(t + 1u, n, cut, lid, sg_lane, sg_size);
      let e_t = exp(key_value(t) - w_max);
      var avail = count_eq(t, 0xffffffffu, n, lid, sg_lane, sg_size);
      if (t == cut.key) { avail = min(avail, f32(cut.take)); }
      let need = clamp(ceil((target_p - above) / e_t), 1.0, max(avail, 1.0));
      cut = Cut(t, u32(need), need * e_t);
    }
  }

  // 5. the pick.
  let z_n = mass_ge(cut.key, n, cut, lid, sg_lane, sg_size);
  let goal = params.u * z_n;
  let t = search_key(cut.key, kmax, goal, true, n, cut, lid, sg_lane, sg_size);
  let above = mass_ge(t + 1u, n, cut, lid, sg_lane, sg_size);
  let e_t = exp(key_value(t) - w_max);
  var avail = count_eq(t, 0xffffffffu, n, lid, sg_lane, sg_size);
  if (t == cut.key) { avail = min(avail, f32(cut.take)); }
  let j = clamp(floor((goal - above) / e_t), 0.0, max(avail - 1.0, 0.0));
  // The j-th smallest id among the tie group of t: the smallest id x with count(id <= x) > j.
  var lo = 0u;
  var hi = V - 1u;
  if (j == 0.0) {
    var m = 0xffffffffu;
    for (var i = lid; i < n; i += WG) {
      let c = cand[i];
      if (c.x == t) { m = min(m, c.y); }
    }
    lo = wg_umin(m, lid);
  } else {
    while (lo < hi) {
      let mid = lo + (hi - lo) / 2u;
      if (count_eq(t, mid, n, lid, sg_lane, sg_size) > j) { hi = mid; } else { lo = mid + 1u; }
    }
  }
  if (lid == 0u) { out[params.out_index] = lo; }
}
