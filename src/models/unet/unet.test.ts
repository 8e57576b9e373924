// The shipped emoji UNet's forward pass on real WebGPU against PyTorch (float64 from the same f32
// weights): one guided batch (prompt and empty prompt) at t = 499, within the fixture's stated
// tolerance (atol 1e-4, rtol 1e-3; PyTorch's own f32 run is off by ~1.6e-6 of a ~3 max).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareAllClose, describeClose } from '../../kernels/check/allclose';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { readUnetConfig } from './config';
import { Params } from './params';
import { Unet } from './unet';

const MODEL = 'public/models/emoji-unet';
const FIX = 'training/fixtures/diffusion';
const spec = JSON.parse(readFileSync(`${FIX}/sampling.json`, 'utf8'));
const fsrc = bufferSource(new Uint8Array(readFileSync(`${FIX}/sampling.safetensors`)), 'sampling.safetensors');
const ffile = await parseSafetensors(fsrc);
const fx = (name: string) => readTensorF32(fsrc, ffile.tensors.get(name)!);

describe('emoji UNet config', () => {
  it('reads the shipped config and refuses what it cannot run, by name', () => {
    const json = JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8'));
    const cfg = readUnetConfig(json);
    expect(cfg).toMatchObject({ blockOut: [32, 64, 64], heads: [2, 2, 2], groups: 8, crossDim: 64, layersPerBlock: 1 });
    expect(() => readUnetConfig({ ...json, down_block_types: ['DownBlock2D', 'DownBlock2D', 'SimpleCrossAttnDownBlock2D'] }, 'x/config.json')).toThrow(
      /x\/config\.json: down block type SimpleCrossAttnDownBlock2D/,
    );
    expect(() => readUnetConfig({ ...json, _class_name: 'UNet2DModel' })).toThrow(/model class is UNet2DModel/);
    expect(() => readUnetConfig({ ...json, time_cond_proj_dim: 256 })).toThrow(/time_cond_proj_dim/);
    expect(() => readUnetConfig({ ...json, only_cross_attention: [false, true, false] })).toThrow(/only_cross_attention/);
    expect(() => readUnetConfig({ ...json, addition_embed_type: 'text_time' })).toThrow(/SDXL/);
  });

  it("reads an SD 2.x / SD-Turbo config: linear projections, per-block head counts", () => {
    const sd2 = {
      _class_name: 'UNet2DConditionModel',
      act_fn: 'silu',
      attention_head_dim: [5, 10, 20, 20],
      block_out_channels: [320, 640, 1280, 1280],
      center_input_sample: false,
      cross_attention_dim: 1024,
      down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
      downsample_padding: 1,
      dual_cross_attention: false,
      flip_sin_to_cos: true,
      freq_shift: 0,
      in_channels: 4,
      layers_per_block: 2,
      mid_block_scale_factor: 1,
      norm_eps: 1e-5,
      norm_num_groups: 32,
      num_class_embeds: null,
      only_cross_attention: false,
      out_channels: 4,
      sample_size: 96,
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
      upcast_attention: true,
      use_linear_projection: true,
    };
    const cfg = readUnetConfig(sd2);
    expect(cfg).toMatchObject({ heads: [5, 10, 20, 20], crossDim: 1024, linearProjection: true, layersPerBlock: 2, groups: 32 });
    expect(cfg.blockOut.map((c, i) => c / cfg.heads[i])).toEqual([64, 64, 64, 64]);
  });
});

for (const sub of nodeSubstrates()) {
  describe(`emoji UNet forward on ${sub.name}`, () => {
    it('eps for a guided batch at t = 499 matches PyTorch', async () => {
      const rt = await sub.runtime();
      const src = bufferSource(new Uint8Array(readFileSync(`${MODEL}/diffusion_pytorch_model.safetensors`)), 'emoji-unet');
      const file = await parseSafetensors(src);
      const params = await Params.load(rt, file, src, { keep: (n) => !n.startsWith('text_embedding') });
      const unet = await Unet.create(rt, readUnetConfig(JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8'))), params);
      const sample = await fx('forward/sample');
      const batch = new Float32Array(2 * sample.length);
      batch.set(sample, 0);
      batch.set(sample, sample.length);
      const t0 = performance.now();
      const eps = await unet.forward(batch, 2, 32, 32, spec.forward.t, await fx('forward/encoder_hidden_states'), 16);
      console.log(`[unet ${sub.name}] forward (batch 2, 32x32): ${(performance.now() - t0).toFixed(0)} ms`);
      // The model's output: eps, or v for a v-prediction model (sampling.json says which).
      const outName = ffile.tensors.has('forward/v') ? 'forward/v' : 'forward/eps';
      const r = compareAllClose(eps, await fx(outName), { atol: spec.forward.atol, rtol: spec.forward.rtol });
      expect(r.pass, describeClose(r)).toBe(true);
      params.release();
    }, 120_000);

    // Smaller weight storage: the share of f32's weight bytes it may take, and a tolerance a few times
    // the error measured on lavapipe (f16 keeps 11 significant bits: 5.5e-4; int8 blocks ~8: 1.6e-2),
    // on outputs up to ~3.
    const STORED = [
      { type: 'f16', what: 'half the weight memory', share: 0.55, atol: 3e-3, rtol: 1e-2 },
      { type: 'i8', what: 'under 30% of the f32 weight memory', share: 0.3, atol: 5e-2, rtol: 5e-2 },
    ] as const;
    for (const st of STORED) {
      it(`with ${st.type} weight matrices: ${st.what}, eps within its rounding of PyTorch`, async () => {
        const rt = await sub.runtime();
        const src = bufferSource(new Uint8Array(readFileSync(`${MODEL}/diffusion_pytorch_model.safetensors`)), 'emoji-unet');
        const file = await parseSafetensors(src);
        const keep = (n: string) => !n.startsWith('text_embedding');
        const p32 = await Params.load(rt, file, src, { keep });
        const bytes32 = p32.bytes;
        p32.release();
        const params = await Params.load(rt, file, src, { keep, matrixType: st.type });
        expect(params.bytes).toBeLessThan(st.share * bytes32);
        const unet = await Unet.create(rt, readUnetConfig(JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8'))), params);
        const sample = await fx('forward/sample');
        const batch = new Float32Array(2 * sample.length);
        batch.set(sample, 0);
        batch.set(sample, sample.length);
        const eps = await unet.forward(batch, 2, 32, 32, spec.forward.t, await fx('forward/encoder_hidden_states'), 16);
        const outName = ffile.tensors.has('forward/v') ? 'forward/v' : 'forward/eps';
        const r = compareAllClose(eps, await fx(outName), { atol: st.atol, rtol: st.rtol });
        console.log(`[unet ${sub.name}] ${st.type} weights: ${describeClose(r)}; weights ${(params.bytes / 1e6).toFixed(2)} MB vs ${(bytes32 / 1e6).toFixed(2)} MB f32`);
        expect(r.pass, describeClose(r)).toBe(true);
        params.release();
      }, 120_000);
    }
  });
}
