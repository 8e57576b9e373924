// The image tab's generator on the embedded emoji model in real Chromium: previews arrive during
// the run (one per step), ms/step is shown, Cancel stops between steps, and bad settings are
// refused with a clear message.
import { expect, test } from '@playwright/test';

test('previews arrive step by step, then the final image and ms/step', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('tab-image').click();
  await page.getByTestId('image-prompt').fill('red heart');
  await page.getByLabel('steps', { exact: true }).fill('3');
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
  console.log(`[e2e] emoji generation: ${await page.getByTestId('image-gen-stats').innerText()}`);
  await page.screenshot({ path: 'e2e/screenshots/image-gen.png', fullPage: true });
});
