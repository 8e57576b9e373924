// transpose: a batch of matrix transposes, the layout change between conv and transformer blocks.
//
//   out[b, j, i] = x[b, i, j]  (+ res[b, j, i] with RESIDUAL)        x [B, R, C], out [B, C, R]
//
// NCHW -> tokens [N, H*W, C]: B = N, R = C, C = H*W.   Tokens -> NCHW: B = N, R = H*W, C = C.
// RESIDUAL fuses the add that ends diffusers' Transformer2DModel (proj_out, back to NCHW, + input).
// Operands: f32; res has out's shape and layout.
// Dispatch: (ceil(C / 16), ceil(R / 16), B); a 16x16 workgroup moves one 16x16 tile through
// workgroup memory (padded to 17 columns so the transposed reads hit distinct banks), so both
// the global reads and the global writes are along rows.

const T: u32 = 16u;

struct Params {
  R: u32,
  C: u32,
}

@group(0) @binding(B_X) var<storage, read> x: array<f32>;
#ifdef RESIDUAL
@group(0) @binding(B_RES) var<storage, read> res: array<f32>;
#endif
@group(0) @binding(B_OUT) var<storage, read_write> out: array<f32>;
@group(0) @binding(B_PARAMS) var<uniform> params: Params;

var<workgroup> tile: array<f32, T * (T + 1u)>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let R = params.R;
  let C = params.C;
  let b = wid.z;
  let i0 = wid.y * T;
  let j0 = wid.x * T;
  let ri = i0 + lid.y;
  let rj = j0 + lid.x;
  if (ri < R && rj < C) {
    tile[lid.y * (T + 1u) + lid.x] = x[(b * R + ri) * C + rj];
  }
  workgroupBarrier();
  let wj = j0 + lid.y;
  let wi = i0 + lid.x;
  if (wj < C && wi < R) {
    let o = (b * C + wj) * R + wi;
    var v = tile[lid.x * (T + 1u) + lid.y];
#ifdef RESIDUAL
    v += res[o];
#endif
    out[o] = v;
  }
}
