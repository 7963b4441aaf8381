import { expect, test } from '@playwright/test';
import { newNotebook, setCell } from './notebook-helpers';
import { shot } from './screens';

test('reactive cells: changing a re-runs what depends on it', async ({ page }, testInfo) => {
  await newNotebook(page, 'nb-');
  await setCell(page, 0, 'const a = 2');
  await setCell(page, 1, 'const b = a * 3');
  await setCell(page, 2, 'b');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-2')).toHaveText('6');
  await setCell(page, 0, 'const a = 5');
  // Not run by hand: the edit alone re-runs cells 1 and 2.
  await expect(page.getByTestId('nb-output-2')).toHaveText('15');
  // A name defined twice is an error on those two cells only.
  await setCell(page, 3, 'const a = 1');
  await expect(page.getByTestId('nb-status-3')).toContainText('error');
  await expect(page.getByTestId('nb-output-3')).toContainText('a');
  await shot(page, testInfo, 'notebook');
});

test('a cell trains a tfjs model on a project dataset and streams epochs on WebGPU', async ({ page }) => {
  test.setTimeout(180_000);
  await newNotebook(page, 'nb-');
  await expect(page.getByTestId('nb-backend')).toContainText('webgpu', { timeout: 60_000 });
  await setCell(
    page,
    0,
    [
      "const carsTable = await kiln.data('cars');",
      "const { x, y } = carsTable.toTensors({ features: ['Horsepower', 'Weight_in_lbs'], target: 'Miles_per_Gallon' });",
      'const xs = x.sub(x.mean(0)).div(x.sub(x.mean(0)).square().mean(0).sqrt());',
      'const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: "relu", inputShape: [2] }), tf.layers.dense({ units: 1 })] });',
      "model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });",
      'async function* train() {',
      '  for (let epoch = 1; epoch <= 4; epoch++) {',
      '    const h = await model.fit(xs, y, { epochs: 1, batchSize: 64, verbose: 0 });',
      '    yield { epoch, loss: h.history.loss[0] as number };',
      '  }',
      '}',
      'train()',
    ].join('\n'),
  );
  await page.getByTestId('nb-run-0').click();
  await expect.poll(() => page.getByTestId('nb-progress-0').locator('.kiln-pt').count(), { timeout: 150_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('nb-status-0')).toContainText('done', { timeout: 150_000 });
});

test('kiln.graph is the canvas graph, both ways', async ({ page }) => {
  const project = await newNotebook(page, 'nb-');
  await setCell(page, 0, "kiln.graph.addNode('drop_columns', { columns: ['Acceleration'] }, { id: 'from_notebook' })");
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-status-0')).toContainText('done');
  await page.getByRole('link', { name: 'Canvas', exact: true }).click();
  await expect(page.getByTestId('canvas-node-from_notebook')).toBeVisible();

  // A param changed on the canvas is what a cell reads.
  await page.getByTestId('canvas-node-train').click();
  await page.getByTestId('param-epochs').fill('23');
  await page.getByTestId('param-epochs').blur();
  // The added node is not connected yet, so the graph is saved as a draft, not a version.
  await expect(page.getByTestId('save-status')).toHaveText(/^(Saved|Draft saved)/);
  await page.getByRole('link', { name: 'Notebook', exact: true }).click();
  await setCell(page, 1, "kiln.graph.params('train').epochs");
  await page.getByTestId('nb-run-1').click();
  await expect(page.getByTestId('nb-output-1')).toHaveText('23');
  void project;
});

test('outputs never run injected HTML or scripts', async ({ page }) => {
  await newNotebook(page, 'nb-');
  await page.evaluate(() => ((window as unknown as { __pwned: number }).__pwned = 0));
  await setCell(page, 0, `'<img src=x onerror="parent.__pwned=1;window.__pwned=1"><script>parent.__pwned=2</script>'`);
  await setCell(page, 1, `kiln.html('<img src=x onerror="parent.__pwned=3"><script>parent.__pwned=4; document.title="x"</script><b>bold</b>')`);
  await setCell(page, 2, `[{ name: '<img src=x onerror="parent.__pwned=5">', v: 1 }]`);
  await page.getByTestId('nb-run-0').click();
  await page.getByTestId('nb-run-1').click();
  await page.getByTestId('nb-run-2').click();
  // Text shows as text.
  await expect(page.getByTestId('nb-output-0')).toContainText('<img src=x onerror=');
  await expect(page.getByTestId('nb-output-2')).toContainText('<img src=x');
  // HTML renders only inside a sandboxed iframe without scripts or same-origin.
  const frame = page.getByTestId('nb-output-1').locator('iframe');
  await expect(frame).toHaveAttribute('sandbox', '');
  await expect(page.frameLocator('[data-testid="nb-output-1"] iframe').locator('b')).toHaveText('bold');
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { __pwned: number }).__pwned)).toBe(0);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
});

test('a notebook exports to .ipynb and imports back', async ({ page }) => {
  await newNotebook(page, 'nb-');
  await setCell(page, 0, 'const a = 21');
  await setCell(page, 1, 'a * 2');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-1')).toHaveText('42');
  const download = page.waitForEvent('download');
  await page.getByTestId('nb-export-ipynb').click();
  const path = await (await download).path();
  const fs = await import('node:fs/promises');
  const nb = JSON.parse(await fs.readFile(path, 'utf8')) as { nbformat: number; metadata: { language_info: { name: string } }; cells: { source: string | string[]; outputs: unknown[] }[] };
  expect(nb.nbformat).toBe(4);
  expect(nb.metadata.language_info.name).toBe('typescript');
  expect([nb.cells[1]!.source].flat().join('')).toBe('a * 2');
  expect(JSON.stringify(nb.cells[1]!.outputs)).toContain('42');

  // Import it into another project's notebook: the cells come back, and run once trusted.
  await newNotebook(page, 'nb-');
  await page.getByTestId('nb-import-file').setInputFiles({ name: 'exported.ipynb', mimeType: 'application/json', buffer: await fs.readFile(path) });
  await expect.poll(() => page.evaluate(() => (window as unknown as { __kilnNotebook: { getSource(i: number): string } }).__kilnNotebook.getSource(1))).toBe('a * 2');
  await page.getByTestId('nb-trust').click();
  await expect(page.getByTestId('nb-status-1')).toHaveText('done');
  await expect(page.getByTestId('nb-output-1')).toHaveText('42');
});

test('a cell defines a custom node kind that appears in the canvas palette', async ({ page }) => {
  await newNotebook(page, 'nb-');
  await setCell(
    page,
    0,
    "const capHp = await kiln.defineNode({ name: 'cap_hp', label: 'Cap horsepower', config: { max: 150 }, code: (rows: Record<string, unknown>[], config: Record<string, unknown>) => rows.map((r) => ({ ...r, Horsepower: Math.min(Number(r.Horsepower), Number(config.max)) })) })",
  );
  await setCell(page, 1, 'capHp([{ Horsepower: 200 }, { Horsepower: 90 }])');
  await page.getByTestId('nb-run-0').click();
  await expect(page.getByTestId('nb-output-1')).toContainText('150');
  await expect(page.getByTestId('nb-output-1')).toContainText('90');
  await page.getByRole('link', { name: 'Canvas', exact: true }).click();
  await expect(page.getByTestId('palette-custom-cap_hp')).toBeVisible();
  await page.getByTestId('palette-custom-cap_hp').click();
  await expect(page.locator('.react-flow__node', { hasText: 'Cap horsepower' })).toBeVisible();
});
