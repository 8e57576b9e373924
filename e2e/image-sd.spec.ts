// A Stable Diffusion pipeline loaded from a hub-shaped server in real Chromium: the tiny random SD
// 2.x-shaped repo (training/diffusion/tiny_sd.py) and a tiny TAESD, downloaded into the browser's
// cache, sampled with Euler and guidance, decoded by the VAE; the final image matches the float64
// PyTorch run, previews are TAESD decodes, and a second run needs no network. Bad repos (not a
// pipeline, an unsupported block, a weight file from another model) and bad sizes (not a multiple
// of the UNet's downsampling, past the device's buffer limit) are refused with the reason, and the
// emoji model keeps working after.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { psnrRgb } from '../src/formats/png';
import { parseSafetensors, readTensorF32 } from '../src/formats/safetensors/parse';
import { bufferSource } from '../src/formats/source';
import { toRgba } from '../src/models/unet/emoji';
import { startHub, type HubServer } from './hub-server';

const FIX = 'training/fixtures/diffusion';
const spec = JSON.parse(readFileSync(`${FIX}/sd-tiny.json`, 'utf8')) as {
  repo: string;
  taesd: string;
  runs: { key: string; prompt: string; seed: number; steps: number; guidance: number; width: number; height: number }[];
};
let hub: HubServer;

test.beforeAll(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sd-bad-'));
  // An unsupported UNet block, and a VAE whose weights are another model's.
  cpSync(spec.repo, `${tmp}/block`, { recursive: true });
  const unet = JSON.parse(readFileSync(`${spec.repo}/unet/config.json`, 'utf8'));
  writeFileSync(`${tmp}/block/unet/config.json`, JSON.stringify({ ...unet, down_block_types: ['CrossAttnDownBlock2D', 'KDownBlock2D'] }));
  cpSync(spec.repo, `${tmp}/tensor`, { recursive: true });
  cpSync(`${spec.taesd}/diffusion_pytorch_model.safetensors`, `${tmp}/tensor/vae/diffusion_pytorch_model.safetensors`);
  hub = await startHub({}, { 'test-org/sd-tiny': spec.repo, 'test-org/taesd-tiny': spec.taesd, 'test-org/sd-bad-block': `${tmp}/block`, 'test-org/sd-bad-tensor': `${tmp}/tensor` });
});

test.afterAll(async () => {
  await hub.close();
});

async function openSd(page: Page, repo: string) {
  await page.goto(`/?hub=${encodeURIComponent(hub.base)}`);
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('tab-image').click();
  await page.getByLabel('image model').selectOption('sd');
  await page.getByLabel('SD repository', { exact: true }).fill(repo);
}

test('a diffusers SD repo from the hub: previews, the PyTorch image, and no network the second time', async ({ page }) => {
  const run = spec.runs[0];
  await openSd(page, 'test-org/sd-tiny');
  await page.getByLabel('TAESD repository').fill('test-org/taesd-tiny');
  await page.getByLabel('image width').fill(String(run.width));
  await page.getByLabel('image height').fill(String(run.height));
  await page.getByLabel('weight precision').selectOption('f32');
  await page.getByLabel('download fp16 files').uncheck();
  await page.getByTestId('image-prompt').fill(run.prompt);
  await page.getByLabel('steps', { exact: true }).fill(String(run.steps));
  await page.getByLabel('guidance', { exact: true }).fill(String(run.guidance));
  await page.getByLabel('image seed').fill(String(run.seed));
  await page.getByTestId('image-generate').click();
  await expect(page.getByTestId('image-preview')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('image-final')).toBeVisible({ timeout: 120_000 });
  const stats = await page.getByTestId('image-gen-stats').innerText();
  expect(stats).toMatch(/2 steps \(euler, test-org\/sd-tiny\)/);
  expect(stats).toMatch(/ms\/step/);
  expect(stats).toMatch(/decode \d+ ms/);
  expect(hub.requests.some((r) => r.includes('unet/diffusion_pytorch_model.safetensors'))).toBe(true);

  const px = await page.getByTestId('image-final').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: d.width, height: d.height, data: Array.from(d.data) };
  });
  const src = bufferSource(new Uint8Array(readFileSync(`${FIX}/sd-tiny.safetensors`)), 'sd-tiny.safetensors');
  const file = await parseSafetensors(src);
  const want = toRgba(await readTensorF32(src, file.tensors.get(`${run.key}/image`)!), run.height, run.width);
  const db = psnrRgb({ width: px.width, height: px.height, data: Uint8Array.from(px.data) }, want);
  console.log(`[e2e] tiny SD from the hub: PSNR ${db.toFixed(1)} dB against float64 PyTorch; ${stats}`);
  expect(db).toBeGreaterThanOrEqual(35);
  await page.screenshot({ path: 'e2e/screenshots/image-sd.png', fullPage: true });

  // The pipeline stays loaded: the next image asks the hub for nothing.
  hub.requests.length = 0;
  await page.getByLabel('image seed').fill('8');
  await page.getByTestId('image-generate').click();
  await expect(page.getByTestId('image-gen-stats')).toContainText('2 steps', { timeout: 120_000 });
  expect(hub.requests).toEqual([]);
});

test('bad SD repos are refused with the reason, and the emoji model still runs', async ({ page }) => {
  await openSd(page, 'test-org/no-such-repo');
  await page.getByLabel('TAESD repository').fill('');
  await page.getByLabel('image width').fill('64');
  await page.getByLabel('image height').fill('64');
  const attempt = async (repo: string, message: RegExp) => {
    await page.getByLabel('SD repository', { exact: true }).fill(repo);
    await page.getByTestId('image-generate').click();
    await expect(page.getByTestId('error').last()).toContainText(message, { timeout: 60_000 });
    await expect(page.getByTestId('image-generate')).toBeEnabled();
  };
  await attempt('test-org/no-such-repo', /no readable model_index\.json/);
  await attempt('not a repo', /is not a hub repository name/);
  await attempt('test-org/sd-bad-block', /down block type KDownBlock2D/);
  await attempt('test-org/sd-bad-tensor', /is missing from|tensor/i);
  // A size the UNet cannot halve evenly, and one past the device's buffer limit: refused after the
  // (good) model loaded, which stays loaded.
  await page.getByLabel('image width').fill('100');
  await attempt('test-org/sd-tiny', /Width 100 must be a positive multiple of 16/);
  await page.getByLabel('image width').fill('8192');
  await page.getByLabel('image height').fill('8192');
  await attempt('test-org/sd-tiny', /8192x8192 needs a \d+ MiB buffer .* per buffer\. Pick at most \d+x\d+/);
  // The prompt typed is still there, and the embedded model still generates.
  await page.getByLabel('image model').selectOption('emoji');
  await page.getByLabel('steps', { exact: true }).fill('1');
  await page.getByTestId('image-generate').click();
  await expect(page.getByTestId('image-final')).toBeVisible({ timeout: 120_000 });
});
