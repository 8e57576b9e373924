// resample: pure index remaps that change the spatial size of an NCHW tensor (f32).
//
// NEAREST        nearest upsampling by an integer factor r (diffusers Upsample2D, r = 2;
//                F.interpolate(mode='nearest') and Keras UpSampling2D agree for integer factors):
//                  out[n, c, oy, ox] = x[n, c, oy / r, ox / r]          x [N, C, H, W], out [N, C, rH, rW]
// PIXEL_SHUFFLE  depth to space by r, x [N, C*r*r, H, W] -> out [N, C, rH, rW]:
//                  out[n, c, oy, ox] = x[n, ch, oy / r, ox / r], with i = oy % r, j = ox % r and
//                  CRD (PyTorch pixel_shuffle, ONNX DepthToSpace mode CRD):  ch = c * r * r + i * r + j
//                  DCR (TensorFlow depth_to_space, ONNX's default mode DCR): ch = (i * r + j) * C + c
//                TensorFlow's op is defined on NHWC, where the input depth index is (i * r + j) * C + c;
//                DCR is that same ordering read from an NCHW tensor, so a converted TF model (weights
//                transposed to NCHW, channel order unchanged) uses DCR and a PyTorch model uses CRD.
//                Either can be turned into the other for free by permuting the preceding conv's
//                output channels at load time.
// Dispatch: one invocation per output element; WG per workgroup, workgroups folded over x and y.
// A gather like this is bound by memory on any GPU; nothing to tile.

const WG: u32 = WG_SIZE;

struct Params {
  total: u32,
  C: u32,
  H: u32,
  W: u32,
  r: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= params.total) { return; }
  let r = params.r;
  let Wo = params.W * r;
  let Ho = params.H * r;
  let ox = i % Wo;
  let t = i / Wo;
  let oy = t % Ho;
  let nc = t / Ho;
  let sp = (oy / r) * params.W + ox / r;
  let HW = params.H * params.W;
#ifdef NEAREST
  out[i] = x[nc * HW + sp];
#endif
#ifdef PIXEL_SHUFFLE
  let C = params.C;
  let n = nc / C;
  let c = nc - n * C;
  let ij = (oy % r) * r + ox % r;
#ifdef DCR
  let ch = ij * C + c;
#else
  let ch = c * r * r + ij;
#endif
  out[i] = x[(n * C * r * r + ch) * HW + sp];
#endif
}
