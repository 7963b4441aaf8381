import { expect, test, type Page } from '@playwright/test';
import { ensureCell, newNotebook, setCell, workerApiRequests } from './notebook-helpers';
import { shot } from './screens';

/**
 * The notebook's `kiln` API in a real browser kernel: kiln.run (the project's graph in the
 * worker, streaming epochs), kiln.submit (a server run through the local runner), kiln.node (one
 * node kind on values), Interrupt on a cell that never yields, and no tensor leak across re-runs.
 * The kernel worker itself makes no request to /api: the page performs its Kiln calls.
 */

/** Makes cell `i` manual before it has a source, so only the Run button runs it (exactly once). */
async function manualCell(page: Page, i: number) {
  await ensureCell(page, i);
  await page.getByTestId(`nb-manual-${i}`).check();
}

test('kiln.run trains the project graph in the kernel, streams epochs and returns metrics', async ({ page }, testInfo) => {
  await newNotebook(page, 'nbapi-');
  await manualCell(page, 0);
  await setCell(page, 0, 'const r = await kiln.run(undefined, { sample: 200, epochs: 3 })');
  await setCell(page, 1, 'r.backend');
  await setCell(page, 2, 'Object.values(r.histories).map((h) => h.length)');
  await setCell(page, 3, 'Object.keys(r.metrics ?? {}).length > 0');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-status-0')).toContainText('done', { timeout: 45_000 });
  await expect.poll(() => page.getByTestId('nb-progress-0').locator('.kiln-pt').count()).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('nb-output-1')).toContainText('webgpu');
  await expect(page.getByTestId('nb-output-2')).toContainText('3');
  await expect(page.getByTestId('nb-output-3')).toHaveText('true');
  await shot(page, testInfo, 'notebook-kiln-run');
});

test('kiln.submit sends the graph to the server runner and the handle waits for success, through the page', async ({ page }) => {
  const fromWorkers = workerApiRequests(page);
  const name = await newNotebook(page, 'nbapi-');
  await manualCell(page, 0);
  await setCell(
    page,
    0,
    [
      'const g = kiln.graph.toJSON();',
      "for (const n of g.nodes) if (n.kind === 'train') n.params = { ...n.params, epochs: 2 };",
      'const h = await kiln.submit(g);',
      'const run = await h.wait({ pollMs: 300 });',
      "const submittedCars = await kiln.data('cars');",
      "[run.status, h.url, submittedCars.length > 0].join(' ')",
    ].join('\n'),
  );
  // Manual: the edit ran nothing (a starter cell that ran before now shows stale).
  await expect(page.getByTestId('nb-status-0')).toHaveText(/idle|stale/);
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-0')).toHaveText(new RegExp(`^succeeded /projects/${name}/runs/\\S+ true$`), { timeout: 50_000 });
  // The kernel worker holds no credentials: the page made every one of those calls.
  expect(fromWorkers).toEqual([]);
  // The check sees a worker's request when there is one (cell code can still call fetch itself;
  // the server refuses that without the page's anti-forgery header).
  const last = await page.locator('[data-testid^="nb-cell-"]').count();
  await manualCell(page, last);
  await setCell(page, last, "await fetch('/api/health').then((r) => r.status)");
  await page.getByTestId(`nb-run-${last}`).click();
  await expect.poll(() => fromWorkers).toEqual(['GET /api/health']);
});

test('kiln.node runs one node kind on a dataset', async ({ page }) => {
  await newNotebook(page, 'nbapi-');
  await setCell(page, 0, "const scaled = await kiln.node('standard_scale', { columns: ['Horsepower'] }, { data: await kiln.data('cars') })");
  await setCell(page, 1, 'const hp = scaled.records.map((r) => r.Horsepower).filter((v) => v !== null) as number[]');
  await setCell(page, 2, 'Math.abs(hp.reduce((a, b) => a + b, 0) / hp.length) < 1e-6');
  await setCell(page, 3, "kiln.node('standard_scale', { columns: 3 }, {})");
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-2')).toHaveText('true', { timeout: 30_000 });
  await page.getByTestId('nb-run-3').click();
  await expect(page.getByTestId('nb-output-3')).toContainText('param "columns"');
});

test('Interrupt stops a cell that never yields; the kernel restarts', async ({ page }) => {
  await newNotebook(page, 'nbapi-');
  await setCell(page, 0, 'const k = 1');
  await page.getByTestId('nb-manual-1').check();
  await setCell(page, 1, 'while (true) {}');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-status-0')).toContainText('done');
  await page.getByTestId('nb-run-1').click();
  await expect(page.getByTestId('nb-status-1')).toContainText('running');
  await page.getByTestId('nb-interrupt').click();
  await expect(page.getByTestId('nb-status-0')).toContainText('stale', { timeout: 10_000 });
  await expect(page.getByTestId('nb-status-1')).toContainText('stale');
  await setCell(page, 1, '1 + 1');
  await page.getByTestId('nb-run-1').click();
  await expect(page.getByTestId('nb-output-1')).toHaveText('2');
});

test('re-running a cell that makes tensors does not grow tf.memory()', async ({ page }) => {
  await newNotebook(page, 'nbapi-');
  await setCell(page, 0, 'const t = tf.randomNormal([64, 64]); const u = t.matMul(t).relu(); u.sum()');
  await setCell(page, 1, 'tf.memory().numTensors');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-status-0')).toContainText('done');
  await page.getByTestId('nb-run-1').click();
  await expect(page.getByTestId('nb-status-1')).toContainText('done');
  const before = Number(await page.getByTestId('nb-output-1').textContent());
  expect(before).toBeGreaterThan(0);
  for (let i = 0; i < 10; i++) {
    await page.getByTestId('nb-run-0').click();
    await expect(page.getByTestId('nb-status-0')).toContainText('done');
  }
  await page.getByTestId('nb-run-1').click();
  await expect(page.getByTestId('nb-status-1')).toContainText('done');
  await expect(page.getByTestId('nb-output-1')).toHaveText(String(before));
});
