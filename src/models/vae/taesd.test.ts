// TAESD (AutoencoderTiny's decoder) on real WebGPU against PyTorch (training/fixtures/diffusion/vae.*):
// a tiny random decoder with the real layout (4 stages, bias-less convs after the upsamplers),
// one AutoencoderTinyBlock with a 1x1 skip conv, the config parser, named load errors, and the
// memory plan held to what a decode really allocated.
import { describe, expect, it } from 'vitest';
import { compareAllClose, describeClose } from '../../kernels/check/allclose';
import { writeSafetensors, type TensorToWrite } from '../../formats/safetensors/write';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { caseOf, file, src, tensor, type VaeFixtureCase as Case } from './testing';
import { Params } from '../unet/params';
import { Scratch, tinyBlock, vaeKernels, type VaeCtx } from './blocks';
import { isTaesdDecoderTensor, readTaesdConfig } from './config';
import { TaesdDecoder, taesdDecodePlan, taesdLayout, taesdUpscale } from './taesd';


/** madebyollin/taesd's config.json. */
const TAESD = {
  _class_name: 'AutoencoderTiny',
  act_fn: 'relu',
  decoder_block_out_channels: [64, 64, 64, 64],
  encoder_block_out_channels: [64, 64, 64, 64],
  force_upcast: false,
  in_channels: 3,
  latent_channels: 4,
  latent_magnitude: 3,
  latent_shift: 0.5,
  num_decoder_blocks: [3, 3, 3, 1],
  num_encoder_blocks: [1, 3, 3, 3],
  out_channels: 3,
  scaling_factor: 1.0,
  upsampling_scaling_factor: 2,
};
const MiB = 2 ** 20;

/** The fixture case's tensors under their diffusers names, for rewriting into a new file. */
async function caseTensors(c: Case): Promise<TensorToWrite[]> {
  const out: TensorToWrite[] = [];
  for (const t of file.tensors.values()) {
    if (t.name.startsWith(c.param_prefix)) out.push({ name: t.name.slice(c.param_prefix.length), shape: t.shape, dtype: 'F32', values: await readTensorF32(src, t) });
  }
  return out;
}

async function paramsFrom(rt: Parameters<typeof Params.load>[0], tensors: TensorToWrite[]): Promise<Params> {
  const s = bufferSource(writeSafetensors(tensors), 'taesd-edit.safetensors');
  return Params.load(rt, await parseSafetensors(s), s, { keep: isTaesdDecoderTensor });
}

describe('AutoencoderTiny config', () => {
  it('reads madebyollin/taesd and the fixture config; an empty config gets diffusers defaults', () => {
    const cfg = readTaesdConfig(TAESD);
    expect(cfg).toMatchObject({ channels: [64, 64, 64, 64], blocks: [3, 3, 3, 1], upscale: 2, scalingFactor: 1, latentChannels: 4, outChannels: 3 });
    expect(readTaesdConfig({})).toEqual(cfg);
    expect(taesdUpscale(cfg)).toBe(8);
    expect(readTaesdConfig(caseOf('taesd').config)).toMatchObject({ channels: [8, 8, 8, 8], blocks: [2, 1, 2, 1] });
  });

  it('walks decoder.layers as DecoderTiny builds them (the original taesd.py indices minus its Clamp)', () => {
    const l = taesdLayout(readTaesdConfig(TAESD));
    const at = (i: number) => `decoder.layers.${i}`;
    expect(l.blocks).toEqual([[2, 3, 4], [7, 8, 9], [12, 13, 14], [17]].map((b) => b.map(at)));
    expect(l.upConvs).toEqual([6, 11, 16].map(at));
    expect(l.convOut).toBe(at(18));
  });

  it('refuses what it cannot run (Unsupported) and malformed fields (ModelLoad), by name', () => {
    const err = (json: unknown) => {
      try {
        readTaesdConfig(json, 'taesd/config.json');
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
      throw new Error('no error');
    };
    expect(err({ ...TAESD, _class_name: 'AutoencoderKL' })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/^taesd\/config\.json: the model class is AutoencoderKL/) });
    expect(err({ ...TAESD, decoder_block_out_channels: [64, 64, 32, 32] })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/change width/) });
    expect(err({ ...TAESD, act_fn: 'silu' })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/act_fn silu/) });
    expect(err({ ...TAESD, upsample_fn: 'bilinear' })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/upsample_fn bilinear/) });
    expect(err({ ...TAESD, shift_factor: 0.1159, scaling_factor: 0.3611 })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/shift_factor/) });
    expect(err({ ...TAESD, num_decoder_blocks: [3, 3, 1] })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/"num_decoder_blocks"/) });
    expect(err({ ...TAESD, latent_channels: 0 })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/"latent_channels"/) });
    expect(err(null)).toMatchObject({ name: 'ModelLoad' });
  });

  it('plans 512x512: 64 MiB largest tensor, 195.1 MiB peak', () => {
    const plan = taesdDecodePlan(readTaesdConfig(TAESD), 1, 64, 64);
    expect(plan.largestBytes).toBe(64 * MiB);
    expect(plan.peakBytes).toBe(192 * MiB + 64 * 64 * 4 * 4 + 3 * 512 * 512 * 4);
  });
});

for (const sub of nodeSubstrates()) {
  describe(`TAESD vs PyTorch on ${sub.name}`, () => {
    for (const matrixType of ['f32', 'f16'] as const) {
      it(`taesd, ${matrixType} weight matrices: 2x4x4x5 latents (tanh clamp saturating) -> 2x3x32x40 in [-1, 1]`, async () => {
        const rt = await sub.runtime();
        const c = caseOf('taesd');
        const params = await Params.load(rt, file, src, { prefix: c.param_prefix, keep: (n) => isTaesdDecoderTensor(n.slice(c.param_prefix.length)), matrixType });
        const dec = await TaesdDecoder.create(rt, readTaesdConfig(c.config), params);
        const [N, , h, w] = c.shapes.latents;
        const t0 = performance.now();
        const img = await dec.decode(await tensor(c.inputs.latents), N, h, w);
        const ms = performance.now() - t0;
        params.release();
        // f16: held to the same decode with the weight matrices rounded to f16 (PyTorch float64).
        const want = await tensor(matrixType === 'f32' ? c.outputs.image : c.outputs.image_f16_weights);
        const r = compareAllClose(img, want, { atol: c.atol, rtol: c.rtol });
        console.log(`[taesd ${sub.name}] ${matrixType} weights${matrixType === 'f16' ? (rt.caps.f16 ? ' (native)' : ' (packed)') : ''}: ${describeClose(r)} (${ms.toFixed(0)} ms)`);
        expect(r.pass, describeClose(r)).toBe(true);
        expect(dec.lastPeakBytes).toBe(dec.plan(N, h, w).peakBytes);
      });
    }

    it('AutoencoderTinyBlock with a 1x1 bias-less skip conv (8 -> 12 channels)', async () => {
      const rt = await sub.runtime();
      const c = caseOf('tiny_block_skip');
      const p = await Params.load(rt, file, src, { prefix: c.param_prefix });
      expect(p.has('block.skip.bias')).toBe(false);
      const s = new Scratch(rt);
      const rec = rt.recorder({ label: 'tiny-block' });
      const ctx: VaeCtx = { rt, k: await vaeKernels(rt, 'taesd', 3), p, rec, s, groups: 1, eps: 0 };
      const [n, ch, h, w] = c.shapes.x;
      const x = await s.t4(n, ch, h, w, 'x');
      rt.device.queue.writeBuffer(x.buf, 0, await tensor(c.inputs.x));
      const y = await tinyBlock(ctx, 'block', x);
      expect([y.n, y.c, y.h, y.w]).toEqual(c.shapes.y);
      const read = rec.read(y.buf, 0, c.shapes.y.reduce((a, b) => a * b, 1) * 4);
      await rec.submit();
      const got = new Float32Array(await read);
      s.release();
      p.release();
      const r = compareAllClose(got, await tensor(c.outputs.y), { atol: c.atol, rtol: c.rtol });
      expect(r.pass, describeClose(r)).toBe(true);
    });

    it('a missing tensor, or a bias where DecoderTiny has none, is a named ModelLoad error at load', async () => {
      const rt = await sub.runtime();
      const c = caseOf('taesd');
      const cfg = readTaesdConfig(c.config);
      const all = await caseTensors(c);
      let p = await paramsFrom(rt, all.filter((t) => t.name !== 'decoder.layers.9.conv.2.bias'));
      await expect(TaesdDecoder.create(rt, cfg, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/decoder\.layers\.9\.conv\.2\.bias/) });
      p.release();
      p = await paramsFrom(rt, [...all, { name: 'decoder.layers.5.bias', shape: [8], dtype: 'F32', values: new Float32Array(8) }]);
      await expect(TaesdDecoder.create(rt, cfg, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/decoder\.layers\.5\.bias.*none/) });
      p.release();
      // Another layout (the real 3/3/3/1 blocks) over these weights: the first absent block is named.
      p = await paramsFrom(rt, all);
      await expect(TaesdDecoder.create(rt, { ...cfg, blocks: [3, 3, 3, 1] }, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/decoder\.layers\.4\.conv\.0\.weight/) });
      p.release();
    });
  });
}
