// TAESD (diffusers AutoencoderTiny's DecoderTiny, madebyollin/taesd) on the GPU: the fast decoder,
// also used for per-step previews. As diffusers runs it:
//   x = tanh((latents / scaling_factor) / 3) * 3                 (scaling_factor is 1.0 for TAESD)
//   decoder.layers: [0] conv 3x3 + bias, [1] ReLU, then per stage: AutoencoderTinyBlocks, and on all
//   but the last stage nearest upsampling (upsampling_scaling_factor) + conv 3x3 WITHOUT bias; the
//   last stage ends with conv 3x3 + bias to out_channels
//   image = x * 2 - 1                                             ([0, 1] -> [-1, 1], no clamp)
// The clamp and the scaling run on the CPU (the latents arrive from the host); ReLU [1] is fused
// into conv [0]; the final mapping is one in-place pass. One recording and one submit per decode,
// images one after another inside it.
//
// Memory for the real TAESD (64 channels, blocks [3, 3, 3, 1]) at 512x512 (64x64 latents, one
// image), from taesdDecodePlan: the largest tensor is 64 MiB ([64, 512, 512]) and the peak is
// 192 MiB of activations plus the 64 KiB latents and the 3 MiB image (195.1 MiB), in the last
// stage's block (its input and two conv outputs).
import { loadError } from '../../formats/errors';
import type { GpuRuntime } from '../../runtime/runtime';
import type { Params } from '../unet/params';
import { checkShape, convNamed, MemoryWalk, need, runDecode, tinyBlock, vaeKernels, type DecodePlan, type T4, type VaeCtx, type VaeKernels } from './blocks';
import type { TaesdConfig } from './config';

/** Output pixels per latent pixel along each side (8 for TAESD). */
export function taesdUpscale(cfg: TaesdConfig): number {
  return cfg.upscale ** (cfg.blocks.length - 1);
}

/** decoder.layers indices, walked as DecoderTiny builds its nn.Sequential. */
export interface TaesdLayout {
  blocks: string[][];
  /** The bias-less conv after each upsampler (all stages but the last). */
  upConvs: string[];
  convOut: string;
}

export function taesdLayout(cfg: TaesdConfig): TaesdLayout {
  let idx = 2; // 0: conv, 1: ReLU
  const blocks: string[][] = [];
  const upConvs: string[] = [];
  let convOut = '';
  cfg.blocks.forEach((n, i) => {
    blocks.push(Array.from({ length: n }, () => `decoder.layers.${idx++}`));
    if (i < cfg.blocks.length - 1) {
      upConvs.push(`decoder.layers.${idx + 1}`); // idx is the nn.Upsample
      idx += 2;
    } else {
      convOut = `decoder.layers.${idx}`;
    }
  });
  return { blocks, upConvs, convOut };
}

/** What decoding N latents of h x w holds. */
export function taesdDecodePlan(cfg: TaesdConfig, N: number, h: number, w: number): DecodePlan {
  const m = new MemoryWalk();
  const s = taesdUpscale(cfg);
  const lc = cfg.latentChannels;
  const C = cfg.channels[0];
  const layout = taesdLayout(cfg);
  m.alloc(N * lc * h * w, 'latents');
  m.alloc(N * cfg.outChannels * h * s * w * s, 'image');
  let hw = h * w;
  const z = m.alloc(lc * hw, 'latents');
  let x = m.alloc(C * hw, 'decoder.layers.0');
  m.free(z);
  layout.blocks.forEach((names, i) => {
    for (const name of names) x = m.tinyBlock(name, x, C, hw);
    if (i < layout.upConvs.length) {
      hw *= cfg.upscale * cfg.upscale;
      x = m.upsample(layout.upConvs[i], x, C, hw);
    }
  });
  const img = m.alloc(cfg.outChannels * hw, layout.convOut);
  m.free(x, img);
  return m.plan();
}

function checkWeights(p: Params, cfg: TaesdConfig, layout: TaesdLayout): void {
  const C = cfg.channels[0];
  const conv = (name: string, cout: number, cin: number, bias: boolean) => {
    checkShape(p, `${name}.weight`, [cout, cin, 3, 3]);
    if (bias) checkShape(p, `${name}.bias`, [cout]);
    else if (p.has(`${name}.bias`)) throw loadError('ModelLoad', `${p.source} has "${name}.bias", but DecoderTiny's convs after an upsampler have none.`, { hint: 'Pick the files of one AutoencoderTiny model.' });
  };
  conv('decoder.layers.0', C, cfg.latentChannels, true);
  for (const name of layout.blocks.flat()) {
    for (const j of [0, 2, 4]) conv(`${name}.conv.${j}`, C, C, true);
    // DecoderTiny builds every block with in == out channels, so its skip is the identity.
    if (p.has(`${name}.skip.weight`)) throw loadError('ModelLoad', `${p.source} has "${name}.skip.weight", but that block keeps its ${C} channels.`);
  }
  for (const name of layout.upConvs) conv(name, C, C, false);
  conv(layout.convOut, cfg.outChannels, C, true);
}

export class TaesdDecoder {
  /** Output pixels per latent pixel along each side. */
  readonly upscale: number;
  /** Activation bytes the last decode held at its peak (what taesdDecodePlan predicts). */
  lastPeakBytes = 0;
  private readonly layout: TaesdLayout;

  private constructor(
    private readonly rt: GpuRuntime,
    readonly cfg: TaesdConfig,
    readonly params: Params,
    private readonly k: Partial<VaeKernels>,
  ) {
    this.upscale = taesdUpscale(cfg);
    this.layout = taesdLayout(cfg);
  }

  /**
   * Check every decoder tensor against the config and compile the kernels for `params.matrixType`
   * (load with `keep: isTaesdDecoderTensor`; madebyollin/taesd ships its diffusers weights as
   * `decoder.layers.*` in diffusion_pytorch_model.safetensors).
   */
  static async create(rt: GpuRuntime, cfg: TaesdConfig, params: Params): Promise<TaesdDecoder> {
    checkWeights(params, cfg, taesdLayout(cfg));
    return new TaesdDecoder(rt, cfg, params, await vaeKernels(rt, 'taesd', cfg.outChannels, params.matrixType));
  }

  plan(N: number, h: number, w: number): DecodePlan {
    return taesdDecodePlan(this.cfg, N, h, w);
  }

  /**
   * SD latents (what the UNet produced, as a pipeline hands them to `vae.decode` after dividing by
   * this config's scaling_factor, which is 1.0 for TAESD) [N, latent_channels, h, w] -> images
   * [N, out_channels, upscale*h, upscale*w], about [-1, 1] and unclamped.
   */
  async decode(latents: Float32Array, N: number, h: number, w: number, opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    const { cfg, rt, params: p, k, layout } = this;
    const C = cfg.channels[0];
    const r = await runDecode(
      { rt, ctx: { k, p, groups: 1, eps: 0 }, label: 'taesd.decode', what: ' with TAESD', latentChannels: cfg.latentChannels, outChannels: cfg.outChannels, upscale: this.upscale, plan: this.plan(N, h, w) },
      latents,
      N,
      h,
      w,
      {
        signal: opts.signal,
        // tanh(x / 3) * 3 on the way in (the decoder's clamp), x * 2 - 1 on the way out.
        pre: (v) => Math.tanh(v / cfg.scalingFactor / 3) * 3,
        image: async (c, z) => {
          let x: T4 = await c.s.t4(1, C, z.h, z.w, 'decoder.layers.0');
          need(c, 'conv3relu').encode(c.rec, { x: z.buf, w: p.get('decoder.layers.0.weight'), bias: p.get('decoder.layers.0.bias'), out: x.buf, N: 1, Cin: z.c, H: z.h, W: z.w, Cout: C });
          c.s.free(z);
          for (let i = 0; i < layout.blocks.length; i++) {
            for (const name of layout.blocks[i]) x = await tinyBlock(c, name, x);
            if (i < layout.upConvs.length) x = await this.upsample(c, layout.upConvs[i], x);
          }
          const y = await convNamed(c, 'convOut', layout.convOut, x);
          c.s.free(x);
          return y;
        },
        post: (c, out, n) => need(c, 'scaleInPlace').encode(c.rec, { a: out, n, alpha: 2, beta: -1 }),
      },
    );
    this.lastPeakBytes = r.peakBytes;
    return r.pixels;
  }

  /** nn.Upsample(upscale, nearest), then the stage's bias-less 3x3 conv; consumes x. */
  private async upsample(c: VaeCtx, conv: string, x: T4): Promise<T4> {
    const r = this.cfg.upscale;
    const u = await c.s.t4(1, x.c, x.h * r, x.w * r, `${conv}.nearest`);
    need(c, 'up').encode(c.rec, { x: x.buf, out: u.buf, N: 1, C: x.c, H: x.h, W: x.w, r });
    c.s.free(x);
    const out = await c.s.t4(1, x.c, u.h, u.w, conv);
    need(c, 'conv3noBias').encode(c.rec, { x: u.buf, w: c.p.get(`${conv}.weight`), out: out.buf, N: 1, Cin: x.c, H: u.h, W: u.w, Cout: x.c });
    c.s.free(u);
    return out;
  }
}
