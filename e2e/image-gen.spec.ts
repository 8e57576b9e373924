// The image tab's generator on the embedded emoji model in real Chromium: previews arrive during
// the run (one per step), ms/step is shown, Cancel stops between steps, bad settings are refused
// with a clear message, and an image share link reproduces the image in a fresh page. The final image is held to the same seeded run computed in float64
// numpy (training/diffusion/seeded_fixture.py -> training/fixtures/diffusion/seeded.*).
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { decodePng, psnrRgb } from '../src/formats/png';

const seeded = JSON.parse(readFileSync('training/fixtures/diffusion/seeded.json', 'utf8')) as {
  runs: { prompt: string; seed: number; steps: number; guidance: number; image: string; min_psnr_db: number }[];
};

test('previews arrive step by step, then the final image (matching the float64 reference) and ms/step', async ({ page }) => {
  const ref = seeded.runs[0];
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('tab-image').click();
  await page.getByTestId('image-prompt').fill(ref.prompt);
  await page.getByLabel('steps', { exact: true }).fill(String(ref.steps));
  await page.getByLabel('guidance', { exact: true }).fill(String(ref.guidance));
  await page.getByLabel('image seed').fill(String(ref.seed));
  await page.getByTestId('image-generate').click();
  const seen = new Set<string>();
  const deadline = Date.now() + 280_000;
  while (Date.now() < deadline) {
    const s = await page.getByTestId('image-gen-stats').innerText();
    seen.add(s.split('·')[0].trim());
    if (await page.getByTestId('image-final').isVisible()) break;
    await page.waitForTimeout(100);
  }
  await expect(page.getByTestId('image-final')).toBeVisible();
  // At least two distinct "step k of 3" states were on screen with a preview.
  expect([...seen].filter((x) => /^step [1-3] of 3$/.test(x)).length).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('image-gen-stats')).toContainText('ms/step');
  const px = await page.getByTestId('image-final').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: d.width, height: d.height, data: Array.from(d.data) };
  });
  const want = await decodePng(readFileSync(`training/fixtures/diffusion/${ref.image}`));
  const psnr = psnrRgb({ width: px.width, height: px.height, data: Uint8Array.from(px.data) }, want);
  console.log(`[e2e] emoji generation "${ref.prompt}" seed ${ref.seed}: PSNR ${psnr.toFixed(2)} dB against float64 numpy; ${await page.getByTestId('image-gen-stats').innerText()}`);
  expect(psnr).toBeGreaterThanOrEqual(ref.min_psnr_db);

  // An image share link makes the same image in a fresh page, which says so.
  await page.getByTestId('image-share-copy').click();
  const link = await page.getByTestId('image-share-link').inputValue();
  expect(link).toContain('#image=');
  const viewer = await page.context().newPage();
  await viewer.goto(link);
  await expect(viewer.getByTestId('shared-image-status')).toHaveText('Same image as the sharer’s ✓', { timeout: 280_000 });
  await expect(viewer.getByTestId('image-prompt')).toHaveValue(ref.prompt);
  await expect(viewer.getByTestId('image-final')).toBeVisible();
  await viewer.close();
  await page.screenshot({ path: 'e2e/screenshots/image-gen.png', fullPage: true });
});
