// Without --enable-unsafe-webgpu Chromium on Linux returns no adapter: the page must explain why
// and what to do, never stay blank.
import { chromium, expect, test } from '@playwright/test';
import { webgpuArgs } from '../playwright.config';

test('without WebGPU the page explains what to do', async ({ baseURL }) => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: webgpuArgs.filter((a) => a !== '--enable-unsafe-webgpu'),
  });
  try {
    const page = await browser.newPage();
    await page.goto(baseURL ?? '/');
    const panel = page.getByTestId('no-webgpu');
    await expect(panel).toBeVisible({ timeout: 60_000 });
    await expect(panel).toContainText('WebGPU is not available');
    await expect(panel).toContainText('chrome://gpu');
    await expect(panel).toContainText('--enable-unsafe-webgpu');
    await page.screenshot({ path: 'e2e/screenshots/no-webgpu.png', fullPage: true });
  } finally {
    await browser.close();
  }
});
