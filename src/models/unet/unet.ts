// UNet2DConditionModel's forward pass on the GPU, as diffusers runs it: time projection and MLP,
// conv_in, down blocks (resnets, cross-attention transformers, stride-2 downsamplers; every output
// kept as a skip), the mid block (resnet, transformer, resnet), up blocks (each resnet takes the
// channel concatenation of the stream and the latest skip; nearest-2x upsamplers), GroupNorm+SiLU
// and conv_out. One recording and one submit per call.
import { timestepEmbedding } from '../../kernels/diffusion/timestep';
import type { GpuRuntime } from '../../runtime/runtime';
import { Arena, blockKernels, downsample, resnet, timeMlp, transformer, upsample, type BlockCtx, type BlockKernels, type T4 } from './blocks';
import type { UnetConfig } from './config';
import type { Params } from './params';

export class Unet {
  private constructor(
    private readonly rt: GpuRuntime,
    readonly cfg: UnetConfig,
    readonly params: Params,
    private readonly k: BlockKernels,
  ) {}

  static async create(rt: GpuRuntime, cfg: UnetConfig, params: Params): Promise<Unet> {
    const headDims = cfg.blockOut.map((c, i) => c / cfg.heads[i]);
    return new Unet(rt, cfg, params, await blockKernels(rt, headDims, params.matrixType));
  }

  /**
   * eps = unet(sample [N, Cin, H, W], t, encoder_hidden_states [N, S, crossDim]); all f32 on the CPU.
   * The same timestep for every sample of the batch.
   */
  async forward(sample: Float32Array, N: number, H: number, W: number, t: number, ctxHidden: Float32Array, S: number): Promise<Float32Array> {
    const { cfg, rt, params: p, k } = this;
    const arena = new Arena(rt);
    try {
      const rec = rt.recorder({ label: 'unet.forward' });
      const c: BlockCtx = { k, p, rec, arena, groups: cfg.groups, eps: cfg.eps };
      const upload = async (v: Float32Array, label: string) => {
        const b = await arena.alloc(v.length, label);
        rt.device.queue.writeBuffer(b, 0, v);
        return b;
      };
      const x0 = await upload(sample, 'sample');
      const ehs = { buf: await upload(ctxHidden, 'encoder_hidden_states'), S, D: cfg.crossDim };
      // Time: sinusoidal projection on the CPU (float64), the MLP on the GPU, silu(temb) shared by every resnet.
      const c0 = cfg.blockOut[0];
      const tproj = timestepEmbedding(new Array(N).fill(t), c0, { flipSinToCos: cfg.flipSinToCos, downscaleFreqShift: cfg.freqShift });
      const temb = await timeMlp(c, 'time_embedding', await upload(tproj, 'time_proj'), N);
      const tembSilu = await arena.alloc(N * temb.dim, 'temb.silu');
      k.silu.encode(rec, { a: temb.buf, out: tembSilu, n: N * temb.dim });

      let x: T4 = await arena.t4(N, c0, H, W, 'conv_in');
      k.conv3.encode(rec, { x: x0, w: p.get('conv_in.weight'), bias: p.get('conv_in.bias'), out: x.buf, N, Cin: cfg.inChannels, H, W, Cout: c0 });
      const skips: T4[] = [x];
      for (let i = 0; i < cfg.down.length; i++) {
        for (let j = 0; j < cfg.layersPerBlock; j++) {
          x = await resnet(c, `down_blocks.${i}.resnets.${j}`, x, tembSilu, temb.dim);
          if (cfg.down[i] === 'CrossAttnDownBlock2D') x = await transformer(c, `down_blocks.${i}.attentions.${j}`, x, ehs, cfg.heads[i]);
          skips.push(x);
        }
        if (i < cfg.down.length - 1) {
          x = await downsample(c, `down_blocks.${i}.downsamplers.0`, x);
          skips.push(x);
        }
      }
      const last = cfg.heads.length - 1;
      x = await resnet(c, 'mid_block.resnets.0', x, tembSilu, temb.dim);
      x = await transformer(c, 'mid_block.attentions.0', x, ehs, cfg.heads[last]);
      x = await resnet(c, 'mid_block.resnets.1', x, tembSilu, temb.dim);
      for (let i = 0; i < cfg.up.length; i++) {
        // diffusers reverses the per-block head counts for the up path.
        const heads = cfg.heads[last - i];
        for (let j = 0; j <= cfg.layersPerBlock; j++) {
          const skip = skips.pop();
          if (!skip) throw new Error('unet: ran out of skip connections');
          const cat = await arena.t4(N, x.c + skip.c, x.h, x.w, `up_blocks.${i}.cat${j}`);
          const plane = x.h * x.w * 4;
          for (let n = 0; n < N; n++) {
            rec.copy(x.buf, n * x.c * plane, cat.buf, n * cat.c * plane, x.c * plane);
            rec.copy(skip.buf, n * skip.c * plane, cat.buf, (n * cat.c + x.c) * plane, skip.c * plane);
          }
          x = await resnet(c, `up_blocks.${i}.resnets.${j}`, cat, tembSilu, temb.dim);
          if (cfg.up[i] === 'CrossAttnUpBlock2D') x = await transformer(c, `up_blocks.${i}.attentions.${j}`, x, ehs, heads);
        }
        if (i < cfg.up.length - 1) x = await upsample(c, `up_blocks.${i}.upsamplers.0`, x);
      }
      const normed = await arena.t4(N, x.c, x.h, x.w, 'conv_norm_out');
      k.gnSilu.encode(rec, { x: x.buf, gamma: p.get('conv_norm_out.weight'), beta: p.get('conv_norm_out.bias'), out: normed.buf, N, C: x.c, HW: x.h * x.w, groups: cfg.groups, eps: cfg.eps });
      const out = await arena.t4(N, cfg.outChannels, x.h, x.w, 'conv_out');
      k.conv3.encode(rec, { x: normed.buf, w: p.get('conv_out.weight'), bias: p.get('conv_out.bias'), out: out.buf, N, Cin: x.c, H: x.h, W: x.w, Cout: cfg.outChannels });
      const read = rec.read(out.buf, 0, N * cfg.outChannels * x.h * x.w * 4);
      await rec.submit();
      return new Float32Array(await read);
    } finally {
      arena.release();
    }
  }
}
