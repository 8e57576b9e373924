// AutoencoderKL's decode on the GPU, as diffusers runs it for an SD pipeline:
//   latents / scaling_factor -> post_quant_conv (1x1) -> decoder.conv_in (3x3)
//   -> mid_block: resnet, single-head self-attention over all pixels, resnet
//   -> up_blocks over reversed(block_out_channels): layers_per_block + 1 resnets each, then
//      nearest 2x + 3x3 conv on all but the last -> GroupNorm + SiLU -> conv_out
// Every norm uses eps 1e-6 and norm_num_groups; no resnet takes a time embedding. One recording
// and one submit per decode; images are decoded one after another inside it, so the peak is one
// image's, and every block frees what it no longer needs (blocks.ts).
//
// Memory for SD 1.x/2.x (block_out_channels [128, 256, 512, 512], 2 layers per block) at 512x512
// (64x64 latents, one image), from vaeDecodePlan: the largest tensor is 256 MiB ([256, 512, 512]:
// up_blocks.2's upsampler output and up_blocks.3's first input) and the peak is 640 MiB of
// activations plus the 64 KiB latents and the 3 MiB image (643.1 MiB), reached in
// up_blocks.3.resnets.0 (its 256-channel input, norm1 of it, and conv1's 128-channel output); each
// further image in the batch adds 3 MiB, not another peak. A device whose binding limit is below 256 MiB
// (Mesa lavapipe: 128 MiB) gets an OutOfMemory error before anything is allocated.
import { loadError } from '../../formats/errors';
import type { GpuRuntime } from '../../runtime/runtime';
import type { Params } from '../unet/params';
import {
  attentionNames,
  attentionTileRows,
  ATTENTION_SCORE_BYTES,
  checkShape,
  convNamed,
  MemoryWalk,
  normSilu,
  runDecode,
  vaeAttention,
  vaeKernels,
  vaeResnet,
  vaeUpsample,
  type AttentionNames,
  type DecodePlan,
  type T4,
  type VaeKernels,
} from './blocks';
import type { VaeConfig } from './config';

const EPS = 1e-6;

/** Output pixels per latent pixel along each side (8 for SD's four blocks). */
export function vaeUpscale(cfg: VaeConfig): number {
  return 2 ** (cfg.blockOut.length - 1);
}

/** What decoding N latents of h x w holds; `attnRows` is the score tile (attentionTileRows). */
export function vaeDecodePlan(cfg: VaeConfig, N: number, h: number, w: number, attnRows: number): DecodePlan {
  const m = new MemoryWalk();
  const s = vaeUpscale(cfg);
  const lc = cfg.latentChannels;
  m.alloc(N * lc * h * w, 'latents');
  m.alloc(N * cfg.outChannels * h * s * w * s, 'image');
  let hw = h * w;
  let x = m.alloc(lc * hw, 'latents');
  if (cfg.postQuantConv) {
    const y = m.alloc(lc * hw, 'post_quant_conv');
    m.free(x);
    x = y;
  }
  const rev = [...cfg.blockOut].reverse();
  let c = rev[0];
  const y = m.alloc(c * hw, 'decoder.conv_in');
  m.free(x);
  x = m.resnet('decoder.mid_block.resnets.0', y, c, c, hw);
  if (cfg.midAttention) x = m.attention('decoder.mid_block.attentions.0', x, c, hw, Math.min(attnRows, hw));
  x = m.resnet('decoder.mid_block.resnets.1', x, c, c, hw);
  rev.forEach((ch, i) => {
    for (let j = 0; j <= cfg.layersPerBlock; j++) {
      x = m.resnet(`decoder.up_blocks.${i}.resnets.${j}`, x, c, ch, hw);
      c = ch;
    }
    if (i < rev.length - 1) {
      hw *= 4;
      x = m.upsample(`decoder.up_blocks.${i}.upsamplers.0`, x, c, hw);
    }
  });
  const normed = m.alloc(c * hw, 'decoder.conv_norm_out');
  m.free(x);
  const img = m.alloc(cfg.outChannels * hw, 'decoder.conv_out');
  m.free(normed, img);
  return m.plan();
}

/** Every tensor the decoder reads, with the shape the config implies: a named ModelLoad error at load, not mid-decode. */
function checkWeights(p: Params, cfg: VaeConfig): AttentionNames | null {
  const conv = (name: string, cout: number, cin: number, k: number) => {
    checkShape(p, `${name}.weight`, [cout, cin, k, k]);
    checkShape(p, `${name}.bias`, [cout]);
  };
  const norm = (name: string, c: number) => {
    checkShape(p, `${name}.weight`, [c]);
    checkShape(p, `${name}.bias`, [c]);
  };
  const resnet = (name: string, cin: number, cout: number) => {
    norm(`${name}.norm1`, cin);
    conv(`${name}.conv1`, cout, cin, 3);
    norm(`${name}.norm2`, cout);
    conv(`${name}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.conv_shortcut`, cout, cin, 1);
    else if (p.has(`${name}.conv_shortcut.weight`)) throw loadError('ModelLoad', `${p.source} has "${name}.conv_shortcut.weight", but that resnet keeps its ${cin} channels.`);
  };
  const lc = cfg.latentChannels;
  const rev = [...cfg.blockOut].reverse();
  if (cfg.postQuantConv) conv('post_quant_conv', lc, lc, 1);
  conv('decoder.conv_in', rev[0], lc, 3);
  resnet('decoder.mid_block.resnets.0', rev[0], rev[0]);
  resnet('decoder.mid_block.resnets.1', rev[0], rev[0]);
  let prev = rev[0];
  rev.forEach((ch, i) => {
    for (let j = 0; j <= cfg.layersPerBlock; j++) resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : ch, ch);
    if (i < rev.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
    prev = ch;
  });
  norm('decoder.conv_norm_out', cfg.blockOut[0]);
  conv('decoder.conv_out', cfg.outChannels, cfg.blockOut[0], 3);
  return cfg.midAttention ? attentionNames(p, 'decoder.mid_block.attentions.0', rev[0]) : null;
}

export interface VaeDecoderOptions {
  /** Bytes of one attention score tile (default 32 MiB); tests make it small to exercise tiling. */
  scoreBytes?: number;
}

export class VaeDecoder {
  /** Output pixels per latent pixel along each side. */
  readonly upscale: number;
  /** Activation bytes the last decode held at its peak (what vaeDecodePlan predicts). */
  lastPeakBytes = 0;

  private constructor(
    private readonly rt: GpuRuntime,
    readonly cfg: VaeConfig,
    readonly params: Params,
    private readonly k: Partial<VaeKernels>,
    private readonly attn: AttentionNames | null,
    private readonly scoreBytes: number,
  ) {
    this.upscale = vaeUpscale(cfg);
  }

  /**
   * Check every decoder tensor against the config and compile the kernels. `params` holds the
   * `vae/diffusion_pytorch_model.safetensors` tensors by diffusers name (load them with
   * `keep: isVaeDecoderTensor` to leave the encoder on disk; `matrixType: 'f16'` halves the
   * weights, and the conv kernels are compiled to read them that way).
   */
  static async create(rt: GpuRuntime, cfg: VaeConfig, params: Params, opts: VaeDecoderOptions = {}): Promise<VaeDecoder> {
    const attn = checkWeights(params, cfg);
    const k = await vaeKernels(rt, 'kl', cfg.outChannels, params.matrixType);
    return new VaeDecoder(rt, cfg, params, k, attn, opts.scoreBytes ?? ATTENTION_SCORE_BYTES);
  }

  /** Query rows per attention score tile on this device for h x w latents. */
  attentionRows(h: number, w: number): number {
    const { minStorageBufferOffsetAlignment: align, maxStorageBufferBindingSize: max } = this.rt.limits;
    return attentionTileRows(h * w, this.cfg.blockOut[this.cfg.blockOut.length - 1], this.scoreBytes, align, max);
  }

  plan(N: number, h: number, w: number): DecodePlan {
    return vaeDecodePlan(this.cfg, N, h, w, this.attentionRows(h, w));
  }

  /**
   * SD latents (what the UNet produced, NOT yet divided by scaling_factor) [N, latent_channels, h, w]
   * -> images [N, out_channels, upscale*h, upscale*w], about [-1, 1] and unclamped (map with
   * (x + 1) / 2 and clamp to [0, 1] for pixels, as diffusers' image processor does).
   */
  async decode(latents: Float32Array, N: number, h: number, w: number, opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    const { cfg, rt, params: p, k } = this;
    const r = await runDecode(
      { rt, ctx: { k, p, groups: cfg.groups, eps: EPS }, label: 'vae.decode', what: '', latentChannels: cfg.latentChannels, outChannels: cfg.outChannels, upscale: this.upscale, plan: this.plan(N, h, w) },
      latents,
      N,
      h,
      w,
      {
        signal: opts.signal,
        pre: (v) => v / cfg.scalingFactor,
        image: async (c, z) => {
          let x = z;
          const step = async (y: Promise<T4>) => {
            const next = await y;
            c.s.free(x);
            x = next;
          };
          if (cfg.postQuantConv) await step(convNamed(c, 'conv1', 'post_quant_conv', x));
          await step(convNamed(c, 'conv3', 'decoder.conv_in', x));
          x = await vaeResnet(c, 'decoder.mid_block.resnets.0', x);
          if (this.attn) x = await vaeAttention(c, this.attn, x, this.scoreBytes);
          x = await vaeResnet(c, 'decoder.mid_block.resnets.1', x);
          for (let i = 0; i < cfg.blockOut.length; i++) {
            for (let j = 0; j <= cfg.layersPerBlock; j++) x = await vaeResnet(c, `decoder.up_blocks.${i}.resnets.${j}`, x);
            if (i < cfg.blockOut.length - 1) x = await vaeUpsample(c, `decoder.up_blocks.${i}.upsamplers.0`, x);
          }
          const normed = await normSilu(c, 'decoder.conv_norm_out', x);
          c.s.free(x);
          const y = await convNamed(c, 'convOut', 'decoder.conv_out', normed);
          c.s.free(normed);
          return y;
        },
      },
    );
    this.lastPeakBytes = r.peakBytes;
    return r.pixels;
  }
}
