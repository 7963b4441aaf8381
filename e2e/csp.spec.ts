import { expect, test as base, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { extractGraphFromPng } from '../lib/graph/png';
import { newNotebook, setCell, uniq } from './notebook-helpers';

const SERVING_PORT = Number(process.env.KILN_E2E_SERVING_PORT ?? 8599);

/**
 * Every Content-Security-Policy violation the page, its frames and its workers report: Chromium's
 * own console lines ("Refused to …") and `securitypolicyviolation` events, which the page's init
 * script and each worker log as `CSP violation: …`. Tests end with the list empty. Built on the
 * standard `page` fixture, so signing in (once the studio needs it) is added where `page` is set up.
 */
const test = base.extend<{ csp: string[] }>({
  csp: async ({ page }, use) => {
    const seen: string[] = [];
    const cspLine = /Content Security Policy|Refused to|CSP violation/i;
    // Long data: URLs are cut so a failure stays readable.
    const note = (line: string) => seen.push(line.replace(/(data:[^,'"\s]{0,40},)[^'"\s]{60,}/g, '$1…'));
    page.on('console', (m) => {
      if (cspLine.test(m.text())) note(m.text());
    });
    page.on('pageerror', (e) => {
      if (cspLine.test(e.message)) note(`uncaught: ${e.message}`);
    });
    const report = (e: SecurityPolicyViolationEvent) => console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', ${report.toString()})`);
    // A worker gets its own policy (that of its script's response) and reports to its own scope.
    page.on('worker', (w) => void w.evaluate(`self.addEventListener('securitypolicyviolation', ${report.toString()})`).catch(() => {}));
    await use(seen);
  },
});

/** The page policy's nonce, checking the policy on the way. */
function nonceOf(policy: string | undefined): string {
  expect(policy, 'a studio page is sent a Content-Security-Policy').toBeTruthy();
  const script = policy!.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '));
  expect(script).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/]+={0,2}' 'strict-dynamic'$/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toContain("object-src 'none'");
  expect(policy).not.toContain('unsafe-eval');
  return /'nonce-([^']+)'/.exec(script!)![1]!;
}

/** Next's inline scripts carry the response's nonce (`.nonce`: browsers hide the attribute). */
async function inlineScriptNonces(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.scripts].filter((s) => !s.src).map((s) => s.nonce ?? ''));
}

async function newSampleProject(page: Page): Promise<string> {
  const name = uniq('csp-');
  await page.goto('/');
  await page.getByText(/Cars: fuel economy/).click();
  await page.getByLabel('Project name').first().fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${name}/canvas`));
  await expect(page.getByTestId('canvas-node-train')).toBeVisible();
  return name;
}

test('every studio page is sent a policy whose nonce is new each time and is on Next\'s scripts', async ({ page, csp }) => {
  const seen = new Set<string>();
  for (const path of ['/', '/', '/nodes', '/projects/cars-sample/canvas', '/projects/cars-sample/canvas']) {
    const res = await page.goto(path);
    const nonce = nonceOf(res!.headers()['content-security-policy']);
    expect(seen.has(nonce), `nonce of ${path} was used before`).toBe(false);
    seen.add(nonce);
    const nonces = await inlineScriptNonces(page);
    expect(nonces.length, `inline scripts on ${path}`).toBeGreaterThan(0);
    expect(new Set(nonces)).toEqual(new Set([nonce]));
    await expect(page.locator('nav.topbar')).toBeVisible();
  }
  // The Endpoints tab's "Try it" calls the serving process, on the host the studio was opened on.
  const policy = (await page.goto('/'))!.headers()['content-security-policy']!;
  expect(policy).toMatch(new RegExp(`connect-src 'self' http://localhost:${SERVING_PORT}(;|$)`));
  // no-cors: the serving process sends CORS headers only for origins an endpoint allows, but the
  // policy must let the request go out (a CSP block would fail it, and record a violation).
  const reach = await page.evaluate((u) => fetch(u, { mode: 'no-cors' }).then((r) => r.type, (e: Error) => `failed: ${e.message}`), `http://localhost:${SERVING_PORT}/v1/models/none`);
  expect(reach).toBe('opaque');
  expect(csp).toEqual([]);
});

test('the canvas runs in the browser on wasm and on WebGPU without a CSP violation', async ({ page, csp }) => {
  test.setTimeout(240_000);
  const project = await newSampleProject(page);
  await page.getByTestId('canvas-node-train').click();
  await page.getByTestId('param-epochs').fill('2');
  await page.getByTestId('param-epochs').blur();
  await expect(page.getByTestId('save-status')).toContainText('Saved');

  for (const backend of ['wasm', 'webgpu']) {
    await page.getByTestId('backend-select').selectOption(backend);
    await page.getByTestId('run-browser').click();
    // The choice has no fallback: a backend the policy stopped would show its error here instead.
    await expect(page.getByTestId('backend')).toContainText(new RegExp(`^${backend} · `), { timeout: 90_000 });
    await expect(page.getByTestId('run-browser')).toBeEnabled({ timeout: 120_000 });
    await expect(page.getByTestId('canvas-node-train')).toHaveAttribute('data-status', 'done');
    await expect(page.getByTestId('run-metrics')).toBeVisible();
  }

  // html-to-image draws the graph through data: images; the picture carries the pipeline.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export PNG' }).click();
  const png = new Uint8Array(await readFile(await (await download).path()));
  const carried = JSON.parse(extractGraphFromPng(png) ?? '{}') as { nodes?: { id: string }[] };
  expect(carried.nodes?.map((n) => n.id)).toContain('train');

  for (const tab of ['Data', 'Runs', 'Models', 'Endpoints']) {
    await page.getByRole('link', { name: tab, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${project}/${tab.toLowerCase()}`));
    await expect(page.locator('main, .app').first()).toBeVisible();
  }
  await page.waitForLoadState('networkidle');
  expect(csp).toEqual([]);
});

test('the notebook (Monaco and its TypeScript worker, a cell, a chart, HTML) runs without a CSP violation, and cell code cannot reach another origin', async ({ page, csp }) => {
  test.setTimeout(180_000);
  await newNotebook(page, 'csp-');
  await expect(page.getByTestId('nb-backend')).toContainText('webgpu', { timeout: 60_000 });
  await expect(page.getByTestId('nb-cell-0').locator('.monaco-editor')).toBeVisible();

  // Cell code runs through Function in the kernel worker; tfjs on WebGPU.
  await setCell(page, 0, 'const t = (await tf.tensor([1, 2, 3]).sum().data())[0]');
  await setCell(page, 1, 't * 2');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-1')).toHaveText('12');
  // Monaco's TypeScript worker checks the cell: a type error is underlined.
  await setCell(page, 2, "const wrong: number = 'text'");
  await expect(page.getByTestId('nb-cell-2').locator('.squiggly-error').first()).toBeVisible({ timeout: 60_000 });
  // vega-embed compiles chart expressions without eval.
  await setCell(page, 3, "kiln.chart({ data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } })");
  await page.getByTestId('nb-run-3').click();
  await expect(page.getByTestId('nb-output-3').locator('svg .mark-line path')).toBeVisible();
  await expect(page.getByTestId('nb-output-3')).not.toContainText('chart:');
  await setCell(page, 4, "kiln.html('<b>bold</b>')");
  await page.getByTestId('nb-run-4').click();
  await expect(page.frameLocator('[data-testid="nb-output-4"] iframe').locator('b')).toHaveText('bold');
  expect(csp).toEqual([]);

  // The kernel's own policy: cell code reaches this origin only (here: the serving process's port).
  await setCell(page, 5, `await fetch('http://127.0.0.1:${SERVING_PORT}/v1/models/none').then(() => 'reached', () => 'blocked')`);
  await page.getByTestId('nb-run-5').click();
  await expect(page.getByTestId('nb-output-5')).toHaveText('blocked');
  await expect.poll(() => csp.length).toBeGreaterThan(0);
  expect(csp.every((line) => line.includes('connect-src') && line.includes(`127.0.0.1:${SERVING_PORT}`)), csp.join('\n')).toBe(true);
});

test('another site cannot frame the studio', async ({ page, baseURL }) => {
  const { createServer } = await import('node:http');
  const kiln = new URL(baseURL!);
  const framer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>elsewhere</title><iframe src="${kiln.origin}/" width="600" height="400"></iframe>`);
  });
  await new Promise<void>((r) => framer.listen(0, '127.0.0.1', () => r()));
  const refusals: string[] = [];
  page.on('console', (m) => refusals.push(m.text()));
  try {
    await page.goto(`http://127.0.0.1:${(framer.address() as { port: number }).port}/`);
    await expect.poll(() => refusals.join('\n')).toContain("frame-ancestors 'none'");
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame).toBeTruthy();
    // Nothing of the studio rendered inside it.
    expect(await frame!.locator('nav.topbar').count()).toBe(0);
  } finally {
    await new Promise<void>((r) => framer.close(() => r()));
  }
});
