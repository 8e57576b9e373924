// The SD pipeline (CLIP text encoder, UNet with Euler, VAE decoder, TAESD) on real WebGPU against the
// float64 PyTorch run of the tiny random SD 2.x-shaped repo (training/diffusion/tiny_sd.py), read
// through RepoFiles as the hub loader reads it; and the refusals a person gets for a bad repo or size.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readTensorF32 } from '../../formats/safetensors/parse';
import { bufferSource } from '../../formats/source';
import { nodeSubstrates } from '../../test/node-gpu';
import { generateSd, loadSd } from './pipeline';
import { checkImageSize, type RepoFiles } from './repo';

const FIX = 'training/fixtures/diffusion';
const spec = JSON.parse(readFileSync(`${FIX}/sd-tiny.json`, 'utf8')) as {
  repo: string;
  taesd: string;
  runs: { key: string; prompt: string; negative_prompt: string; seed: number; steps: number; guidance: number; width: number; height: number; sampler: 'euler'; timesteps: number[] }[];
};
const rsrc = bufferSource(new Uint8Array(readFileSync(`${FIX}/sd-tiny.safetensors`)), 'sd-tiny.safetensors');
const rfile = await parseSafetensors(rsrc);
const ref = (name: string) => readTensorF32(rsrc, rfile.tensors.get(name)!);

/** A repository folder on disk, as RepoFiles; `patch` swaps what some paths hold (bad-input tests). */
function folderFiles(dir: string, patch: Record<string, unknown> = {}): RepoFiles {
  const has = (p: string) => (p in patch ? patch[p] !== null : existsSync(`${dir}/${p}`));
  return {
    label: dir.split('/').pop()!,
    async json(p) {
      if (p in patch) return patch[p];
      return JSON.parse(readFileSync(`${dir}/${p}`, 'utf8'));
    },
    async text(p) {
      return readFileSync(`${dir}/${p}`, 'utf8');
    },
    async source(p) {
      if (!has(p)) return null;
      const v = patch[p];
      return bufferSource(v instanceof Uint8Array ? v : new Uint8Array(readFileSync(`${dir}/${p}`)), p);
    },
  };
}

/** PSNR over the reference's own value range (random nets do not stay in [-1, 1]). */
function psnr(got: Float32Array, want: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  let se = 0;
  for (let i = 0; i < want.length; i++) {
    lo = Math.min(lo, want[i]);
    hi = Math.max(hi, want[i]);
    se += (got[i] - want[i]) ** 2;
  }
  return 10 * Math.log10((hi - lo) ** 2 / (se / want.length));
}

describe('image size limits', () => {
  const base = { unetChannels: [320, 640, 1280, 1280], vaeChannels: [128, 256, 512, 512], decoder: 'vae' as const };
  it('wants multiples of 64 for an SD UNet, and says why', () => {
    expect(checkImageSize({ ...base, width: 500, height: 512, maxBinding: 2 ** 30 })).toMatch(/Width 500 must be a positive multiple of 64/);
    expect(checkImageSize({ ...base, width: 512, height: 512, maxBinding: 2 ** 30 })).toBeNull();
  });
  it("refuses a size whose VAE layers exceed one binding, naming a size that fits or TAESD", () => {
    const msg = checkImageSize({ ...base, width: 1024, height: 1024, maxBinding: 128 * 2 ** 20 });
    expect(msg).toMatch(/1024x1024 needs a 1024 MiB buffer .*allows 128 MiB per buffer\. Pick at most 320x320, or decode with TAESD/);
    expect(checkImageSize({ ...base, width: 1024, height: 1024, maxBinding: 128 * 2 ** 20, decoder: 'taesd' })).toBeNull();
  });
});

for (const sub of nodeSubstrates()) {
  describe(`tiny SD pipeline on ${sub.name}`, () => {
    it('reproduces the float64 PyTorch run: timesteps, a decoded preview per step, the VAE image and the TAESD image', async () => {
      const rt = await sub.runtime();
      const m = await loadSd(rt, folderFiles(spec.repo), { matrixType: 'f32', taesd: folderFiles(spec.taesd) });
      try {
        for (const run of spec.runs) {
          const steps: number[] = [];
          const r = await generateSd(rt, m, {
            prompt: run.prompt,
            negativePrompt: run.negative_prompt,
            steps: run.steps,
            guidance: run.guidance,
            seed: run.seed,
            width: run.width,
            height: run.height,
            decoder: 'vae',
            previews: true,
            onStep: (i, _t, _ms, p) => {
              steps.push(i);
              expect(p?.approximate).toBe(false);
            },
          });
          expect(r.timesteps).toEqual(run.timesteps);
          expect(steps).toEqual(run.timesteps.map((_, i) => i));
          const db = psnr(r.image, await ref(`${run.key}/image`));
          const fast = await generateSd(rt, m, { prompt: run.prompt, negativePrompt: run.negative_prompt, steps: run.steps, guidance: run.guidance, seed: run.seed, width: run.width, height: run.height, decoder: 'taesd', previews: false });
          const dbFast = psnr(fast.image, await ref(`${run.key}/taesd`));
          console.log(`[sd-tiny ${sub.name}] ${run.key} ${run.width}x${run.height}: VAE image PSNR ${db.toFixed(1)} dB, TAESD ${dbFast.toFixed(1)} dB; ms/step ${r.stepMs.map((x) => x.toFixed(0)).join(' ')}`);
          expect(db).toBeGreaterThanOrEqual(35);
          expect(dbFast).toBeGreaterThanOrEqual(35);
        }
      } finally {
        m.release();
      }
    }, 600_000);

    it('with f16 weights and the .fp16 files: the same image within f16 rounding', async () => {
      const rt = await sub.runtime();
      const m = await loadSd(rt, folderFiles(spec.repo), { fp16: true, matrixType: 'f16' });
      try {
        const run = spec.runs[0];
        const r = await generateSd(rt, m, { prompt: run.prompt, negativePrompt: run.negative_prompt, steps: run.steps, guidance: run.guidance, seed: run.seed, width: run.width, height: run.height, decoder: 'vae', previews: true });
        const db = psnr(r.image, await ref(`${run.key}/image`));
        console.log(`[sd-tiny ${sub.name}] f16 weights: VAE image PSNR ${db.toFixed(1)} dB; weights ${m.bytes.unet + m.bytes.text + m.bytes.vae} bytes`);
        expect(db).toBeGreaterThanOrEqual(25);
      } finally {
        m.release();
      }
    }, 600_000);

    it('with int8 weight matrices: a quarter of the weight memory, the image still close', async () => {
      const rt = await sub.runtime();
      const m32 = await loadSd(rt, folderFiles(spec.repo), { matrixType: 'f32' });
      const bytes32 = m32.bytes.unet + m32.bytes.vae;
      m32.release();
      const m = await loadSd(rt, folderFiles(spec.repo), { matrixType: 'i8' });
      try {
        expect(m.bytes.unet + m.bytes.vae).toBeLessThan(0.35 * bytes32);
        const run = spec.runs[0];
        const r = await generateSd(rt, m, { prompt: run.prompt, negativePrompt: run.negative_prompt, steps: run.steps, guidance: run.guidance, seed: run.seed, width: run.width, height: run.height, decoder: 'vae', previews: false });
        const db = psnr(r.image, await ref(`${run.key}/image`));
        console.log(`[sd-tiny ${sub.name}] int8 weights: VAE image PSNR ${db.toFixed(1)} dB; UNet+VAE weights ${m.bytes.unet + m.bytes.vae} vs ${bytes32} bytes f32`);
        expect(db).toBeGreaterThanOrEqual(40); // measured 52 dB on lavapipe
      } finally {
        m.release();
      }
    }, 600_000);

    it('refuses a bad repo with the reason before loading weights', async () => {
      const rt = await sub.runtime();
      const bad = (patch: Record<string, unknown>) => loadSd(rt, folderFiles(spec.repo, patch), { matrixType: 'f32' });
      const index = JSON.parse(readFileSync(`${spec.repo}/model_index.json`, 'utf8'));
      const unet = JSON.parse(readFileSync(`${spec.repo}/unet/config.json`, 'utf8'));
      await expect(bad({ 'model_index.json': { ...index, _class_name: 'StableDiffusionXLPipeline' } })).rejects.toThrow(/SDXL/);
      await expect(bad({ 'model_index.json': { ...index, _class_name: 'KandinskyPipeline' } })).rejects.toThrow(/is a KandinskyPipeline/);
      await expect(bad({ 'unet/config.json': { ...unet, down_block_types: ['CrossAttnDownBlock2D', 'AttnDownBlock2D'] } })).rejects.toThrow(/down block type AttnDownBlock2D/);
      await expect(bad({ 'unet/diffusion_pytorch_model.safetensors': null })).rejects.toThrow(/sd-tiny has no unet\/diffusion_pytorch_model\.safetensors/);
      // A weight file from another model: a tensor the config needs is missing.
      const vaeBytes = new Uint8Array(readFileSync(`${spec.taesd}/diffusion_pytorch_model.safetensors`));
      await expect(bad({ 'vae/diffusion_pytorch_model.safetensors': vaeBytes })).rejects.toThrow(/missing|tensor/i);
      const m = await loadSd(rt, folderFiles(spec.repo), { matrixType: 'f32' });
      try {
        const run = spec.runs[0];
        const req = { prompt: 'x', steps: 1, guidance: 0, seed: 0, width: 60, height: 64, decoder: 'vae' as const, previews: false };
        await expect(generateSd(rt, m, req)).rejects.toThrow(/Width 60 must be a positive multiple of 16/);
        await expect(generateSd(rt, m, { ...req, width: run.width, decoder: 'taesd' })).rejects.toThrow(/no TAESD model is loaded/);
        const huge = 64 * 1024;
        await expect(generateSd(rt, m, { ...req, width: huge, height: huge })).rejects.toThrow(/per buffer\. Pick at most/);
      } finally {
        m.release();
      }
    }, 300_000);
  });
}
