// Models from a local hub-shaped server in real Chromium: the fit check reads only the header,
// the download shows bytes, speed and time left and can be cancelled, the file lands in the
// browser's cache (OPFS) and, after a reload, loads from there with no request at all.
import { expect, test, type Page } from '@playwright/test';
import { startHub, type HubServer } from './hub-server';

let hub: HubServer;
test.beforeAll(async () => {
  hub = await startHub({ 'tiny-q4_0.gguf': 'embedded-q4_0.gguf', 'tiny-q4_k.gguf': 'embedded-q4_k.gguf' });
});
test.afterAll(async () => hub.close());

async function ready(page: Page) {
  await page.goto(`/?hub=${encodeURIComponent(hub.base)}`);
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await expect(page.getByTestId('model-info')).toBeVisible({ timeout: 120_000 });
}

test('a hub model: fit check from the header, download with progress, cached, reloaded with no request', async ({ page }) => {
  await ready(page);
  await expect(page.getByTestId('hub-base')).toHaveText(hub.base);
  hub.requests.length = 0;
  await page.getByTestId('hub-input').fill('test-org/tiny-GGUF/tiny-q4_0.gguf');
  await page.getByTestId('hub-check').click();
  await expect(page.getByTestId('fit-verdict')).toContainText('It fits', { timeout: 30_000 });
  await expect(page.getByTestId('fit-report')).toContainText('KV cache');
  // The header came by Range requests only: nothing was downloaded whole.
  expect(hub.requests.filter((r) => r.startsWith('GET /cdn/')).every((r) => r.includes('bytes='))).toBe(true);
  await page.screenshot({ path: 'e2e/screenshots/fit-check.png', fullPage: true });

  hub.setDelay(60); // ~1 MB/s: slow enough to watch
  await page.getByTestId('fit-load').click();
  await expect(page.getByTestId('load-stage')).toHaveText('downloading', { timeout: 30_000 });
  await expect(page.getByTestId('load-rate')).toContainText('MB/s', { timeout: 30_000 });
  await expect(page.getByTestId('load-eta')).toContainText('left');
  await page.screenshot({ path: 'e2e/screenshots/download.png', fullPage: true });
  hub.setDelay(0);
  await expect(page.getByTestId('model-info')).toContainText('Q4_0', { timeout: 120_000 });
  await expect(page.getByTestId('cached-model')).toContainText('tiny-q4_0.gguf');
  await expect(page.getByTestId('cached-model')).toContainText('3.0 MiB');

  // Reload: the cached copy loads with no request to the hub.
  hub.requests.length = 0;
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await expect(page.getByTestId('cached-model')).toContainText('tiny-q4_0.gguf', { timeout: 30_000 });
  await expect(page.getByTestId('model-info')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('cached-load').click();
  await expect(page.getByTestId('model-info')).toContainText('from the browser cache', { timeout: 120_000 });
  await expect(page.getByTestId('model-info')).toContainText('Q4_0');
  await page.getByLabel('max tokens', { exact: true }).fill('6');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('gen-stats')).toBeVisible({ timeout: 60_000 });
  expect(hub.requests).toEqual([]);
  await page.screenshot({ path: 'e2e/screenshots/cached.png', fullPage: true });

  // Delete it: the list empties and the fit check says a download is needed again.
  await page.getByTestId('cached-delete').click();
  await expect(page.getByTestId('cached-model')).toHaveCount(0);
});

test('a cancelled download keeps the loaded model and caches nothing', async ({ page }) => {
  await ready(page);
  const before = await page.getByTestId('model-info').innerText();
  await page.getByTestId('hub-input').fill(`${hub.base}/test-org/tiny-GGUF/resolve/main/tiny-q4_k.gguf`);
  await page.getByTestId('hub-check').click();
  await expect(page.getByTestId('fit-verdict')).toContainText('It fits', { timeout: 30_000 });
  hub.setDelay(200);
  await page.getByTestId('fit-load').click();
  await expect(page.getByTestId('load-stage')).toHaveText('downloading', { timeout: 30_000 });
  await page.getByTestId('load-cancel').click();
  await expect(page.getByTestId('error').last()).toContainText('Downloading tiny-q4_k.gguf was cancelled', { timeout: 30_000 });
  hub.setDelay(0);
  await expect(page.getByTestId('model-info')).toHaveText(before);
  await expect(page.getByTestId('cache-list')).not.toContainText('tiny-q4_k.gguf');
});

test('a model the hub does not have gets a clear error before any download', async ({ page }) => {
  await ready(page);
  await page.getByTestId('hub-input').fill('test-org/tiny-GGUF/missing.gguf');
  await page.getByTestId('hub-check').click();
  await expect(page.getByTestId('fit-report')).toContainText('answered 404', { timeout: 30_000 });
  await page.getByTestId('hub-input').fill('not a model');
  await page.getByTestId('hub-check').click();
  await expect(page.getByTestId('fit-report')).toContainText('is not a model URL or hub path');
});
