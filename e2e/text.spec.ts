// The embedded model (trained here, shipped in public/models) loads offline in real Chromium and
// streams text; Stop stops; a corrupt file dropped in is refused with a clear error while the
// loaded model keeps working.
import { expect, test, type Page } from '@playwright/test';

async function ready(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('engine-status')).toHaveText('Engine ready', { timeout: 60_000 });
  await expect(page.getByTestId('model-info')).toBeVisible({ timeout: 120_000 });
}

async function setField(page: Page, label: string, value: string) {
  await page.getByLabel(label, { exact: true }).fill(value);
}

test('the embedded model loads offline and streams text in several increments', async ({ page }) => {
  const external: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.hostname !== '127.0.0.1') external.push(r.url());
  });
  await ready(page);
  await expect(page.getByTestId('model-info')).toContainText('llama');
  await setField(page, 'temperature', '0');
  await setField(page, 'max tokens', '40');
  await page.getByTestId('prompt').fill('The whale');
  await page.getByTestId('generate').click();
  const lengths = new Set<number>();
  const out = page.getByTestId('output');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    lengths.add((await out.innerText()).length);
    if (await page.getByTestId('gen-stats').isVisible()) break;
    await page.waitForTimeout(30);
  }
  await expect(page.getByTestId('gen-stats')).toBeVisible();
  expect(lengths.size, 'distinct output lengths seen while streaming').toBeGreaterThanOrEqual(3);
  const text = await out.innerText();
  expect(text.length).toBeGreaterThan('The whale'.length + 20);
  await expect(page.getByTestId('gen-stats')).toContainText('decode');
  await page.screenshot({ path: 'e2e/screenshots/text.png', fullPage: true });
  expect(external).toEqual([]);

  // Greedy is deterministic: the same prompt gives the same text.
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('gen-stats')).toBeVisible({ timeout: 120_000 });
  expect(await out.innerText()).toBe(text);
});

test('Stop ends a long generation early', async ({ page }) => {
  await ready(page);
  await setField(page, 'max tokens', '2000');
  await setField(page, 'temperature', '0.8');
  await page.getByTestId('generate').click();
  await expect.poll(async () => (await page.getByTestId('output').innerText()).length, { timeout: 60_000 }).toBeGreaterThan(30);
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('gen-stats')).toContainText('cancelled', { timeout: 30_000 });
  await expect(page.getByTestId('generate')).toBeEnabled();
});

test('a corrupt GGUF is refused with a clear error and the loaded model keeps working', async ({ page }) => {
  await ready(page);
  const before = await page.getByTestId('model-info').innerText();
  await page.getByTestId('model-file').setInputFiles({ name: 'broken.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('GGUF\x03\x00\x00\x00garbage') });
  const err = page.getByTestId('error').last();
  await expect(err).toContainText('ModelLoad', { timeout: 30_000 });
  await expect(err).toContainText('broken.gguf');
  await page.screenshot({ path: 'e2e/screenshots/corrupt-gguf.png', fullPage: true });
  await expect(page.getByTestId('model-info')).toHaveText(before);
  await setField(page, 'max tokens', '8');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('gen-stats')).toBeVisible({ timeout: 60_000 });
});

test('chat mode: the template renders turns, the second turn reuses the KV cache, New chat starts over', async ({ page }) => {
  await ready(page);
  await page.getByTestId('mode-chat').check();
  await setField(page, 'max tokens', '24');
  await setField(page, 'temperature', '0');
  await page.getByTestId('prompt').fill('Tell me about the sea.');
  await page.getByTestId('prompt').press('Enter');
  await expect(page.getByTestId('turn-assistant')).toHaveCount(1, { timeout: 120_000 });
  await expect(page.getByTestId('turn-user')).toHaveText(/Tell me about the sea\./);
  expect((await page.getByTestId('turn-assistant').innerText()).length).toBeGreaterThan('Model '.length);
  await expect(page.getByTestId('prompt')).toHaveValue('');

  await page.getByTestId('prompt').fill('And the ship?');
  await page.getByTestId('generate').click();
  await expect(page.getByTestId('turn-assistant')).toHaveCount(2, { timeout: 120_000 });
  const stats = await page.getByTestId('gen-stats').innerText();
  const reused = Number(/\((\d+) reused/.exec(stats)?.[1] ?? '0');
  expect(reused, stats).toBeGreaterThan(5);
  await page.screenshot({ path: 'e2e/screenshots/chat.png', fullPage: true });

  await page.getByTestId('new-chat').click();
  await expect(page.getByTestId('turn-user')).toHaveCount(0);
});
