import { expect, test } from '@playwright/test';
import { api } from './auth-helpers';
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

test('the health route answers ok', async ({ playwright, baseURL }) => {
  // As a monitor calls it: no session cookie (one without the page's anti-forgery header is refused).
  const request = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const res = await request.get('/api/health');
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  await request.dispose();
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

test('a DNS-rebinding page cannot reach the control plane, and another origin cannot read it', async ({ page, request, baseURL, playwright }) => {
  const port = new URL(baseURL!).port;
  // DNS rebinding: a name the attacker controls resolves to 127.0.0.1, so the attacker's page
  // and Kiln share an origin. Chromium's resolver rules play the attacker's DNS.
  const browser = await playwright.chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--host-resolver-rules=MAP rebound.test 127.0.0.1'],
  });
  try {
    const rebound = await browser.newPage();
    const first = await rebound.goto(`http://rebound.test:${port}/`);
    expect(first!.status()).toBe(403);
    expect(await first!.text()).toContain('HOST_NOT_ALLOWED');
    // Same-origin from that page's point of view: still refused, nothing created.
    const write = await rebound.evaluate(async () => {
      const r = await fetch('/api/trpc/projects.create', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'made-by-rebinding' }) });
      return r.status;
    });
    expect(write).toBe(403);
  } finally {
    await browser.close();
  }

  // Another origin (a second local port): CORS keeps answers from it, and writes are refused.
  const { createServer } = await import('node:http');
  const evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  try {
    await page.goto(`http://localhost:${(evil.address() as { port: number }).port}/`);
    const read = await page.evaluate(async (kiln) => fetch(`${kiln}/api/trpc/projects.list`).then((r) => `read ${r.status}`, (e: Error) => `blocked: ${e.name}`), baseURL!);
    expect(read).toBe('blocked: TypeError');
  } finally {
    await new Promise<void>((r) => evil.close(() => r()));
  }
  const projects = (await api(request, baseURL!, 'projects.list')) as { name: string }[];
  expect(projects.length).toBeGreaterThan(0);
  expect(projects.map((p) => p.name)).not.toContain('made-by-rebinding');
});
