// The emoji pipeline's host side against the PyTorch fixture's recorded facts (prompt ids,
// timesteps, alpha_bar), and the whole guided DDIM run on the GPU against PyTorch's final image
// (PSNR >= 35 dB, the bar) on lavapipe; SwiftShader checks the first step only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { readUnetConfig } from './config';
import { denoise } from './denoise';
import { embedIds, emojiTokenizer, tokenizePrompt } from './emoji';
import { alphasCumprod, readSchedulerConfig, timesteps } from './scheduler';
import { Params } from './params';
import { Unet } from './unet';

const MODEL = 'public/models/emoji-unet';
const FIX = 'training/fixtures/diffusion';
const spec = JSON.parse(readFileSync(`${FIX}/sampling.json`, 'utf8'));
const config = JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8'));
const sched = readSchedulerConfig(JSON.parse(readFileSync(`${MODEL}/scheduler_config.json`, 'utf8')));
const fsrc = bufferSource(new Uint8Array(readFileSync(`${FIX}/sampling.safetensors`)), 'sampling.safetensors');
const ffile = await parseSafetensors(fsrc);
const fx = (name: string) => readTensorF32(fsrc, ffile.tensors.get(name)!);

function psnr(a: Float32Array, b: Float32Array): number {
  // Images in [-1, 1]: peak-to-peak 2.
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10(4 / (se / a.length));
}

describe('emoji pipeline, host side', () => {
  it('tokenizes the fixture prompt to its ids, and the empty prompt to padding', () => {
    const tok = emojiTokenizer(JSON.parse(readFileSync(`${MODEL}/vocab.json`, 'utf8')), config.emoji_unet.tokenizer);
    expect(tokenizePrompt(tok, spec.prompt)).toEqual(spec.ids);
    expect(tokenizePrompt(tok, '')).toEqual(spec.null_ids);
    expect(tokenizePrompt(tok, 'Smiling  FACE!!')).toEqual(spec.ids);
    expect(tokenizePrompt(tok, 'zzqx')[0]).toBe(1);
  });

  it('schedules the fixture timesteps with its alpha_bar', () => {
    expect(timesteps(sched, spec.num_inference_steps)).toEqual(spec.timesteps);
    const ab = alphasCumprod(sched);
    spec.timesteps.forEach((t: number, i: number) => expect(ab[t]).toBeCloseTo(spec.alpha_bar[i], 12));
  });
});

// The whole run is 20 batch-2 forwards: seconds on lavapipe, minutes on SwiftShader, where
// unet.test.ts checks one forward instead.
for (const sub of nodeSubstrates().filter((x) => x.name === 'lavapipe')) {
  describe(`emoji sampling on ${sub.name}`, () => {
    it(`${spec.num_inference_steps} guided DDIM steps reach PyTorch's image (PSNR >= ${spec.psnr_threshold_db} dB)`, async () => {
      const rt = await sub.runtime();
      const src = bufferSource(new Uint8Array(readFileSync(`${MODEL}/diffusion_pytorch_model.safetensors`)), 'emoji-unet');
      const file = await parseSafetensors(src);
      const params = await Params.load(rt, file, src, { cpuCopy: (n) => n === 'text_embedding.weight' });
      const unet = await Unet.create(rt, readUnetConfig(config), params);
      const table = params.cpu('text_embedding.weight');
      const D = unet.cfg.crossDim;
      const previews: number[] = [];
      const H = unet.cfg.sampleSize;
      const r = await denoise(unet, H, H, embedIds(table, D, spec.null_ids), embedIds(table, D, spec.ids), spec.ids.length, {
        scheduler: sched,
        steps: spec.num_inference_steps,
        guidance: spec.guidance_scale,
        noise: await fx('noise'),
        onStep: (i) => void previews.push(i),
      });
      expect(previews).toEqual(Array.from({ length: spec.num_inference_steps }, (_, i) => i));
      const db = psnr(r.sample, await fx('final'));
      console.log(`[emoji ${sub.name}] PSNR ${db.toFixed(2)} dB vs PyTorch; ms/step ${r.stepMs.map((m) => m.toFixed(0)).join(' ')}`);
      expect(db).toBeGreaterThanOrEqual(spec.psnr_threshold_db);
      params.release();
    }, 600_000);
  });
}
