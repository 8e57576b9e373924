// The playground shell in real Chromium with real WebGPU: the device panel shows the adapter and a
// software warning, and the in-worker self-test runs every kernel case green.
import { expect, test } from '@playwright/test';

test('device panel and a green self-test on real WebGPU', async ({ page }, info) => {
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  const adapter = await page.getByTestId('adapter-name').innerText();
  console.log(`[e2e] adapter: ${adapter}`);
  expect(adapter.length).toBeGreaterThan(0);
  // Chromium here has only SwiftShader: the panel must say it is a software adapter.
  await expect(page.getByTestId('software-warning')).toBeVisible();
  await expect(page.getByTestId('features')).toContainText('timestamp-query');
  await page.screenshot({ path: 'e2e/screenshots/shell.png', fullPage: true });

  await page.getByTestId('self-test-run').click();
  const status = page.getByTestId('self-test-status');
  await expect(status).toContainText('All passed', { timeout: 280_000 });
  const text = await status.innerText();
  console.log(`[e2e] self-test: ${text}`);
  const rows = page.locator('[data-testid=self-test-results] tbody tr');
  const n = await rows.count();
  expect(n).toBeGreaterThan(50);
  await expect(page.locator('[data-testid=self-test-results] tr.fail')).toHaveCount(0);
  // Every family ran, and GPU times came from timestamp queries.
  const kernels = new Set(await page.locator('[data-testid=self-test-results] tbody tr td:first-child').allInnerTexts());
  for (const k of ['elementwise', 'rmsnorm', 'softmax', 'matmul', 'matvec']) expect(kernels.has(k), k).toBe(true);
  await expect(page.getByText('GPU time: timestamp queries')).toBeVisible();
  await expect(page.getByTestId('memory-panel')).toBeVisible();
  await page.screenshot({ path: 'e2e/screenshots/self-test.png', fullPage: true });
  await info.attach('self-test', { body: text, contentType: 'text/plain' });
  expect(consoleErrors).toEqual([]);
});

test('a self-test can be cancelled and the engine keeps working', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await page.getByTestId('self-test-run').click();
  await expect(page.locator('[data-testid=self-test-results] tbody tr').first()).toBeVisible();
  await page.getByTestId('self-test-cancel').click();
  await expect(page.getByTestId('self-test-status')).toContainText('Stopped after');
  await expect(page.getByTestId('errors')).toContainText('Stopped');
  await expect(page.getByTestId('self-test-run')).toBeEnabled();
});
