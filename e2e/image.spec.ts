// The image tab's upscaler in real Chromium: esrgan-slim's weights on the playground's conv kernels
// turn the package's fixture into its golden 2x output (PSNR >= 30 dB), and a file that is not an
// image gets a clear error.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { decodePng, psnrRgb } from '../src/formats/png';

test('the upscaler turns the sample into the golden 2x image', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('tab-image').click();
  await page.getByTestId('image-sample').click();
  await expect(page.getByTestId('image-before')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('image-scale').selectOption('2');
  await page.getByTestId('image-upscale').click();
  await expect(page.getByTestId('image-progress')).toBeVisible();
  await expect(page.getByTestId('image-after')).toBeVisible({ timeout: 280_000 });
  await expect(page.getByTestId('image-stats')).toContainText('256×256');
  await page.screenshot({ path: 'e2e/screenshots/upscale.png', fullPage: true });
  const px = await page.getByTestId('image-after').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: d.width, height: d.height, data: Array.from(d.data) };
  });
  const gold = await decodePng(readFileSync('node_modules/@upscalerjs/esrgan-slim/assets/samples/2x/result.png'));
  const psnr = psnrRgb({ width: px.width, height: px.height, data: Uint8Array.from(px.data) }, gold);
  console.log(`[e2e] upscaler 2x in Chromium: PSNR ${psnr.toFixed(2)} dB against the golden; ${await page.getByTestId('image-stats').innerText()}`);
  expect(psnr).toBeGreaterThanOrEqual(30);
});

test('a file that is not an image is refused with a clear error', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('tab-image').click();
  await page.getByTestId('image-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
  await expect(page.getByTestId('error').last()).toContainText('notes.png: The browser could not decode this file as an image');
  await expect(page.getByTestId('image-upscale')).toBeDisabled();
});
