// Spatial resampling of NCHW tensors by index remapping: nearest upsampling by an integer factor
// (diffusers' Upsample2D, Keras UpSampling2D) and depth to space (pixel shuffle) in PyTorch's (CRD)
// or TensorFlow's (DCR) channel order. Shader: shaders/diffusion/resample.wgsl.
import type { GpuRuntime } from '../../runtime/runtime';
import type { Recorder } from '../../runtime/recorder';
import { foldGroups, guard, guardBytes, guardDim, guardIndex, packUniforms, type Binding } from '../common';

const WG = 256;

/**
 * Depth-to-space channel order, named as ONNX DepthToSpace names them. For output channel c and
 * offset (i, j) inside the r x r block, the input channel is
 *   CRD: c * r * r + i * r + j   torch.nn.functional.pixel_shuffle (the default here)
 *   DCR: (i * r + j) * C + c     tf.nn.depth_to_space (defined on NHWC), ONNX's default
 */
export type PixelShuffleMode = 'CRD' | 'DCR';

export interface ResampleArgs {
  /** Nearest: [N, C, H, W]. Pixel shuffle: [N, C * r * r, H, W]. */
  x: Binding;
  /** [N, C, H * r, W * r] */
  out: Binding;
  N: number;
  /** Output channels. */
  C: number;
  H: number;
  W: number;
  /** Scale factor (default 2). */
  r?: number;
}

export interface ResampleKernel {
  readonly label: string;
  encode(rec: Recorder, args: ResampleArgs): void;
}

async function resample(rt: GpuRuntime, label: string, defines: Record<string, boolean>, inChannels: (C: number, r: number) => number): Promise<ResampleKernel> {
  const pipeline = await rt.pipelines.get({ shader: 'diffusion/resample', label, defines: { WG_SIZE: WG, ...defines } });
  return {
    label,
    encode(rec, { x, out, N, C, H, W, r = 2 }) {
      for (const [name, v] of Object.entries({ N, C, H, W, r })) guardDim(label, name, v);
      guard(r <= 16, label, `scale factor must be at most 16 (got ${r})`);
      const total = N * C * H * r * W * r;
      guardIndex(label, 'out', total);
      guardBytes(label, 'x', x, N * inChannels(C, r) * H * W * 4);
      guardBytes(label, 'out', out, total * 4);
      rec.dispatch({ pipeline, label, bindings: [x, out], workgroups: foldGroups(Math.ceil(total / WG)), uniforms: packUniforms([total, C, H, W, r]) });
    },
  };
}

/** out[n, c, y, x] = x[n, c, y / r, x / r] */
export function upsampleNearest(rt: GpuRuntime): Promise<ResampleKernel> {
  return resample(rt, 'upsample.nearest', { NEAREST: true }, (C) => C);
}

/** [N, C*r*r, H, W] -> [N, C, rH, rW]; PyTorch's pixel_shuffle unless mode is 'DCR'. */
export function pixelShuffle(rt: GpuRuntime, opts: { mode?: PixelShuffleMode } = {}): Promise<ResampleKernel> {
  const mode = opts.mode ?? 'CRD';
  return resample(rt, `pixel-shuffle.${mode.toLowerCase()}`, { PIXEL_SHUFFLE: true, DCR: mode === 'DCR' }, (C, r) => C * r * r);
}
