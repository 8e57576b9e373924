// The AutoencoderKL decoder on real WebGPU against PyTorch (training/fixtures/diffusion/vae.*):
// tiny random decoders with odd sizes, each decoded image within the fixture's stated tolerance
// (|y - ref| <= atol + rtol |ref|); its config parsing, named load errors, and the memory plan
// held to what a decode really allocated.
import { describe, expect, it } from 'vitest';
import { compareAllClose, describeClose } from '../../kernels/check/allclose';
import { writeSafetensors } from '../../formats/safetensors/write';
import type { DenseWeightType } from '../../kernels/weights';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { caseOf, file, spec, src, tensor, type VaeFixtureCase as Case } from './testing';
import { GpuRuntime } from '../../runtime/runtime';
import { Params } from '../unet/params';
import { attentionTileRows, checkPlanFits } from './blocks';
import { isVaeDecoderTensor, readVaeConfig } from './config';
import { VaeDecoder, vaeDecodePlan, vaeUpscale } from './decoder';

const klCases = spec.cases.filter((c) => c.class === 'AutoencoderKL');

/** diffusers' vae/config.json of stable-diffusion-v1-5 (SD 2.x's differs only in sample_size). */
const SD15 = {
  _class_name: 'AutoencoderKL',
  act_fn: 'silu',
  block_out_channels: [128, 256, 512, 512],
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
  in_channels: 3,
  latent_channels: 4,
  layers_per_block: 2,
  norm_num_groups: 32,
  out_channels: 3,
  sample_size: 512,
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
};
const MiB = 2 ** 20;

describe('AutoencoderKL config', () => {
  it('reads the fixtures configs and a real SD 1.5 config (old configs lack scaling_factor: diffusers default 0.18215)', () => {
    const kl = readVaeConfig(caseOf('kl').config);
    expect(kl).toMatchObject({ blockOut: [8, 12, 16], layersPerBlock: 1, groups: 4, latentChannels: 4, scalingFactor: 0.18215, postQuantConv: true, midAttention: true });
    expect(readVaeConfig(caseOf('kl_plain').config)).toMatchObject({ postQuantConv: false, midAttention: false, scalingFactor: 0.5 });
    const sd = readVaeConfig(SD15);
    expect(sd).toMatchObject({ blockOut: [128, 256, 512, 512], layersPerBlock: 2, groups: 32, scalingFactor: 0.18215 });
    expect(vaeUpscale(sd)).toBe(8);
  });

  it('refuses what it cannot run (Unsupported) and malformed fields (ModelLoad), by name', () => {
    const err = (json: unknown) => {
      try {
        readVaeConfig(json, 'x/vae/config.json');
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
      throw new Error('no error');
    };
    expect(err({ ...SD15, _class_name: 'AutoencoderTiny' })).toEqual({ name: 'Unsupported', message: expect.stringMatching(/x\/vae\/config\.json: the model class is AutoencoderTiny/) });
    expect(err({ ...SD15, up_block_types: ['AttnUpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'] })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/AttnUpDecoderBlock2D/) });
    expect(err({ ...SD15, act_fn: 'gelu' })).toMatchObject({ name: 'Unsupported' });
    expect(err({ ...SD15, shift_factor: 0.0609, scaling_factor: 1.5305 })).toMatchObject({ name: 'Unsupported', message: expect.stringMatching(/shift_factor/) });
    expect(err({ ...SD15, norm_num_groups: 48 })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/norm_num_groups 48 does not divide/) });
    expect(err({ ...SD15, block_out_channels: 'wide' })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/"block_out_channels"/) });
    expect(err({ ...SD15, layers_per_block: -2 })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/"layers_per_block"/) });
    expect(err({ ...SD15, scaling_factor: 'small' })).toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/"scaling_factor"/) });
    expect(err([1, 2])).toMatchObject({ name: 'ModelLoad' });
  });

  it('plans 512x512 with SD 1.5: 256 MiB largest tensor, 643.1 MiB peak; refuses a 128 MiB binding limit', () => {
    const cfg = readVaeConfig(SD15);
    const rows = attentionTileRows(64 * 64, 512, 32 * MiB, 256, 2 ** 31);
    expect(rows).toBe(2048);
    const plan = vaeDecodePlan(cfg, 1, 64, 64, rows);
    expect(plan.largestBytes).toBe(256 * MiB);
    expect(plan.largestAt).toBe('decoder.up_blocks.2.upsamplers.0');
    // 640 MiB of activations in up_blocks.3.resnets.0, plus the latents (64 KiB) and the image (3 MiB).
    expect(plan.peakBytes).toBe(640 * MiB + 64 * 64 * 4 * 4 + 3 * 512 * 512 * 4);
    expect(() => checkPlanFits(plan, { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 2 ** 30 }, 'Decoding')).toThrow(
      expect.objectContaining({ name: 'OutOfMemory', message: expect.stringMatching(/256\.0 MiB activation at decoder\.up_blocks\.2\.upsamplers\.0.*128\.0 MiB/) }),
    );
    expect(() => checkPlanFits(plan, { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 }, 'Decoding')).not.toThrow();
  });

  it('tiles attention queries so offsets stay aligned and scores stay in budget', () => {
    // C = 16: a row is 64 bytes, so tiles step by 4 rows to keep 256-byte offsets.
    expect(attentionTileRows(20, 16, 320, 256, 2 ** 30)).toBe(4);
    expect(attentionTileRows(20, 16, 1, 256, 2 ** 30)).toBe(4);
    expect(attentionTileRows(20, 16, 2 ** 20, 256, 2 ** 30)).toBe(20);
    // C = 9: 36-byte rows need 64-row steps; 21 tokens fit in one tile.
    expect(attentionTileRows(21, 9, 320, 256, 2 ** 30)).toBe(21);
    expect(() => attentionTileRows(4096, 512, 2 ** 20, 256, 1024)).toThrow(expect.objectContaining({ name: 'OutOfMemory' }));
  });
});

async function loadCase(rt: GpuRuntime, c: Case, drop?: string, matrixType: DenseWeightType = 'f32'): Promise<Params> {
  const keep = (n: string) => isVaeDecoderTensor(n.slice(c.param_prefix.length)) && n !== `${c.param_prefix}${drop}`;
  return Params.load(rt, file, src, { prefix: c.param_prefix, keep, matrixType });
}

async function decodeCase(rt: GpuRuntime, c: Case, opts: { scoreBytes?: number; matrixType?: DenseWeightType } = {}) {
  const params = await loadCase(rt, c, undefined, opts.matrixType);
  expect(params.has('encoder.conv_in.weight'), 'the encoder stays on disk').toBe(false);
  const dec = await VaeDecoder.create(rt, readVaeConfig(c.config, `${c.name}/config.json`), params, opts);
  const [N, , h, w] = c.shapes.latents;
  const t0 = performance.now();
  const img = await dec.decode(await tensor(c.inputs.latents), N, h, w);
  const ms = performance.now() - t0;
  params.release();
  return { dec, img, ms, N, h, w };
}

for (const sub of nodeSubstrates()) {
  describe(`AutoencoderKL decoder vs PyTorch on ${sub.name}`, () => {
    for (const c of klCases) {
      it(`${c.name}: ${c.shapes.latents.join('x')} latents -> ${c.shapes.image.join('x')}`, async () => {
        const rt = await sub.runtime();
        const { dec, img, ms, N, h, w } = await decodeCase(rt, c);
        const r = compareAllClose(img, await tensor(c.outputs.image), { atol: c.atol, rtol: c.rtol });
        console.log(`[vae ${sub.name}] ${c.name}: ${describeClose(r)} (${ms.toFixed(0)} ms)`);
        expect(r.pass, `${c.name}: ${describeClose(r)}`).toBe(true);
        expect(dec.upscale * h).toBe(c.shapes.image[2]);
        // The plan is what the recording held, byte for byte.
        expect(dec.lastPeakBytes).toBe(dec.plan(N, h, w).peakBytes);
      });
    }

    it('kl with the attention tiled over queries (score tiles of a few rows) matches too', async () => {
      const rt = await sub.runtime();
      const c = caseOf('kl');
      const { dec, img, N, h, w } = await decodeCase(rt, c, { scoreBytes: 320 });
      expect(dec.attentionRows(h, w)).toBeLessThan(h * w);
      const r = compareAllClose(img, await tensor(c.outputs.image), { atol: c.atol, rtol: c.rtol });
      console.log(`[vae ${sub.name}] kl, ${dec.attentionRows(h, w)}-row score tiles: ${describeClose(r)}`);
      expect(r.pass, describeClose(r)).toBe(true);
      expect(dec.lastPeakBytes).toBe(dec.plan(N, h, w).peakBytes);
    });

    it('kl with f16 weight matrices (Params matrixType f16) matches the decode with f16-rounded weights', async () => {
      const rt = await sub.runtime();
      const c = caseOf('kl');
      const { img } = await decodeCase(rt, c, { matrixType: 'f16' });
      const r = compareAllClose(img, await tensor(c.outputs.image_f16_weights), { atol: c.atol, rtol: c.rtol });
      const off = compareAllClose(img, await tensor(c.outputs.image), { atol: c.atol, rtol: c.rtol });
      console.log(`[vae ${sub.name}] kl, f16 weights (${rt.caps.f16 ? 'native' : 'packed'}): ${describeClose(r)}; vs the f32-weight image: max abs err ${off.maxAbsErr.toExponential(2)}`);
      expect(r.pass, describeClose(r)).toBe(true);
      // The rounding is visible at this tolerance, so the f16 path was really taken.
      expect(off.pass).toBe(false);
    });

    it('with pool reuse off (the aliasing debug switch) frees wait for the submit and the image is the same', async () => {
      // With reuse on, a buffer freed before its last reader was recorded would be handed to a
      // later tensor and the cases above would fail; with reuse off nothing is recycled, and a free
      // that destroyed a buffer the pending submit still uses would fail this one.
      const shared = await sub.runtime();
      const rt = new GpuRuntime({ device: shared.device, caps: shared.caps, report: shared.report }, { reuse: false });
      const c = caseOf('kl');
      const { dec, img, N, h, w } = await decodeCase(rt, c);
      const r = compareAllClose(img, await tensor(c.outputs.image), { atol: c.atol, rtol: c.rtol });
      expect(r.pass, describeClose(r)).toBe(true);
      expect(dec.lastPeakBytes).toBe(dec.plan(N, h, w).peakBytes);
      expect(rt.pool.stats().live.activations).toBe(0);
    });

    it('a missing or misshapen tensor is a named ModelLoad error at load', async () => {
      const rt = await sub.runtime();
      const c = caseOf('kl');
      const cfg = readVaeConfig(c.config);
      let p = await loadCase(rt, c, 'decoder.mid_block.attentions.0.to_k.weight');
      await expect(VaeDecoder.create(rt, cfg, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/attentions\.0\.to_k\.weight.*or the older.*key\.weight/) });
      p.release();
      p = await loadCase(rt, c, 'decoder.up_blocks.1.resnets.0.conv_shortcut.bias');
      await expect(VaeDecoder.create(rt, cfg, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/up_blocks\.1\.resnets\.0\.conv_shortcut\.bias/) });
      // The weights of another config: the first tensor that disagrees is named with both shapes.
      await expect(VaeDecoder.create(rt, { ...cfg, blockOut: [8, 12, 24] }, p)).rejects.toMatchObject({ name: 'ModelLoad', message: expect.stringMatching(/decoder\.conv_in\.weight.*\[16, 4, 3, 3\].*\[24, 4, 3, 3\]/) });
      p.release();
    });

    it('old attention names with conv-shaped [C, C, 1, 1] weights decode the same', async () => {
      const rt = await sub.runtime();
      const c = caseOf('kl_old_names');
      const tensors = [];
      for (const t of file.tensors.values()) {
        if (!t.name.startsWith(c.param_prefix)) continue;
        const name = t.name.slice(c.param_prefix.length);
        const conv = /attentions\.0\.(query|key|value|proj_attn)\.weight$/.test(name);
        tensors.push({ name, shape: conv ? [...t.shape, 1, 1] : t.shape, dtype: 'F32' as const, values: await readTensorF32(src, t) });
      }
      expect(tensors.filter((t) => t.shape.length === 4 && t.name.includes('attentions')).length).toBe(4);
      const bytes = writeSafetensors(tensors);
      const s2 = bufferSource(bytes, 'conv-shaped.safetensors');
      const params = await Params.load(rt, await parseSafetensors(s2), s2, { keep: isVaeDecoderTensor });
      const dec = await VaeDecoder.create(rt, readVaeConfig(c.config), params);
      const [N, , h, w] = c.shapes.latents;
      const img = await dec.decode(await tensor(c.inputs.latents), N, h, w);
      params.release();
      const r = compareAllClose(img, await tensor(c.outputs.image), { atol: c.atol, rtol: c.rtol });
      expect(r.pass, describeClose(r)).toBe(true);
    });
  });
}
