import { expect, test } from '@playwright/test';
import { shot } from './screens';

test('the node catalog lists the registry', async ({ page }, testInfo) => {
  await page.goto('/nodes');
  await expect(page).toHaveTitle('Kiln');
  await expect(page.getByRole('heading', { level: 1, name: 'Kiln' })).toBeVisible();

  // The catalog is rendered from the node registry, so at least one kind proves the wiring.
  const cards = page.locator('.node-card');
  await expect(cards.first()).toBeVisible();
  expect(await cards.count()).toBeGreaterThan(0);
  await expect(cards.first().locator('code')).toHaveText(/\S/);
  await expect(page.getByRole('heading', { level: 2 }).first()).toBeVisible();

  await shot(page, testInfo, 'node-catalog');
});

test('the health route answers ok', async ({ request }) => {
  const res = await request.get('/api/health');
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});

test('WebGPU is available on a localhost page', async ({ page }) => {
  // WebGPU is exposed only in secure contexts: a localhost page qualifies, about:blank does not.
  await page.goto('/');
  const gpu = await page.evaluate(async () => {
    if (!('gpu' in navigator) || !navigator.gpu) return { present: false, adapter: false };
    const adapter = await navigator.gpu.requestAdapter();
    return { present: true, adapter: adapter !== null };
  });
  expect(gpu.present).toBe(true);
  // An adapter (SwiftShader on GPU-less machines) means tfjs's WebGPU backend can really run.
  expect(gpu.adapter).toBe(true);
});

test('the static files in public/ are served and the page links the favicon', async ({ page, request }) => {
  await page.goto('/');
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /\/favicon\.svg/);
  const icon = await request.get('/favicon.svg');
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toContain('image/svg+xml');
  const robots = await request.get('/robots.txt');
  expect(robots.status()).toBe(200);
  expect(await robots.text()).toMatch(/^User-agent: \*\nDisallow: \/$/m);
});
