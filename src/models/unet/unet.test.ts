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
  });
}
