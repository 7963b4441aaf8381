import { expect, test, type Locator, type Page } from '@playwright/test';
import { workerApiRequests } from './notebook-helpers';
import { shot } from './screens';

const SERVING_PORT = Number(process.env.KILN_E2E_SERVING_PORT ?? 8599);
const uniq = (p: string) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Drags from one React Flow handle to another with real pointer moves. */
async function connect(page: Page, from: Locator, to: Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(a.x + ((b.x - a.x) * i) / 10 + a.width / 2, a.y + ((b.y - a.y) * i) / 10 + a.height / 2);
  await page.mouse.up();
}

const handle = (page: Page, node: string, kind: 'source' | 'target', port: string) =>
  page.locator(`.react-flow__node[data-id="${node}"] .react-flow__handle.${kind}[data-handleid="${port}"]`);

async function newSampleProject(page: Page, sample: RegExp = /Cars: fuel economy/): Promise<string> {
  const name = uniq('e2e-');
  await page.goto('/');
  await page.getByText(sample).click();
  await page.getByLabel('Project name').first().fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${name}/canvas`));
  await expect(page.getByTestId('canvas-node-train')).toBeVisible();
  return name;
}

test('a new user builds, prototypes on WebGPU, trains on the server, registers, deploys and calls the endpoint', async ({ page, request }, testInfo) => {
  test.setTimeout(300_000);
  const fromWorkers = workerApiRequests(page);
  const project = await newSampleProject(page);
  await expect(page.getByTestId('save-status')).toContainText('Saved');
  await shot(page, testInfo, 'canvas');

  // Swap the model: drag a fresh MLP from the palette, delete the old one, connect the new one.
  await page.getByTestId('palette-search').fill('mlp');
  await page.getByTestId('palette-item-mlp').dragTo(page.getByTestId('canvas'), { targetPosition: { x: 260, y: 60 } });
  await expect(page.getByTestId('canvas-node-mlp')).toBeVisible();
  await page.getByTestId('canvas-node-model').click();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('canvas-node-model')).toHaveCount(0);
  await connect(page, handle(page, 'mlp', 'source', 'model'), handle(page, 'train', 'target', 'model'));
  await expect(page.locator('.react-flow__edge')).toHaveCount(8);

  // Edit a param in the inspector: few epochs so the prototype is quick on SwiftShader.
  await page.getByTestId('canvas-node-train').click();
  await page.getByTestId('param-epochs').fill('6');
  await page.getByTestId('param-epochs').blur();
  await expect(page.getByTestId('save-status')).toContainText('Saved · version');

  // Prototype in the browser, on WebGPU, in the worker.
  await page.getByTestId('run-browser').click();
  await expect(page.getByTestId('backend')).toContainText('webgpu', { timeout: 60_000 });
  await expect(page.getByTestId('run-metrics')).toBeVisible({ timeout: 120_000 });
  expect(await page.getByTestId('loss-chart').locator('.kiln-pt').count()).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('canvas-node-train')).toHaveAttribute('data-status', 'done');
  await shot(page, testInfo, 'canvas-browser-run');
  // The run worker runs custom-node code and holds no credentials: the page fetched the data for it.
  expect(fromWorkers).toEqual([]);

  // The same graph on the server runner (full data).
  await page.getByTestId('train-on-server').click();
  await page.getByTestId('server-run-link').click();
  await expect(page.getByTestId('run-status')).toHaveText(/succeeded/, { timeout: 120_000 });
  await expect(page.getByTestId('run-chart').locator('.kiln-pt').first()).toBeVisible();
  await expect(page.getByTestId('run-parity')).toBeVisible();
  await shot(page, testInfo, 'run-detail');
  // The browser prototype used every row with the same seed and split: its metrics match the server's.
  await page.getByTestId('run-parity').scrollIntoViewIfNeeded();
  await expect(page.getByTestId('run-parity')).toContainText('r2');
  await expect(page.getByTestId('run-parity')).toContainText('All shared metrics within');
  await shot(page, testInfo, 'run-parity');

  // Register the run's package as a model version.
  const model = uniq('cars');
  await page.getByTestId('register-name').fill(model);
  await page.getByTestId('register-submit').click();
  await expect(page.getByTestId('register-result')).toContainText('READY', { timeout: 60_000 });

  await page.getByRole('link', { name: 'Models', exact: true }).click();
  await expect(page.getByTestId('model-list')).toContainText(model);
  await shot(page, testInfo, 'models');

  // Deploy: bind an endpoint to version 1.
  await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
  const endpoint = uniq('ep');
  // Endpoints of other projects (tests running beside this one) may already exist: the form is then folded.
  const unfold = page.getByRole('button', { name: 'New / rebind…' });
  await expect(page.getByTestId('bind-name').or(unfold)).toBeVisible();
  if (await unfold.isVisible()) await unfold.click();
  await page.getByTestId('bind-name').fill(endpoint);
  await page.getByTestId('bind-model').selectOption(model);
  await page.getByTestId('bind-mode').selectOption('version');
  await page.getByTestId('bind-version').selectOption('1');
  await page.getByTestId('bind-submit').click();
  await expect(page.getByTestId('endpoint-url')).toContainText(`/v1/models/${endpoint}:predict`);
  // The project's health overview lists the new endpoint, linked to its Monitoring view.
  await expect(page.getByTestId(`health-${endpoint}`)).toContainText(model);
  await shot(page, testInfo, 'endpoints');

  // An app calls the endpoint URL the studio shows.
  const url = `http://localhost:${SERVING_PORT}/v1/models/${endpoint}:predict`;
  const instance = { Cylinders: 4, Displacement: 122, Horsepower: 86, Weight_in_lbs: 2220, Acceleration: 14, Year: '1975-01-01', Origin: 'USA' };
  await expect
    .poll(async () => (await request.post(url, { data: { instances: [instance] } })).status(), { timeout: 30_000 })
    .toBe(200);
  const answer = (await (await request.post(url, { data: { instances: [instance] } })).json()) as { predictions: unknown[] };
  expect(answer.predictions).toHaveLength(1);
  const mpg = answer.predictions[0] as number;
  expect(typeof mpg).toBe('number');
  expect(mpg).toBeGreaterThan(5);
  expect(mpg).toBeLessThan(60);

  // The other tabs, for the screenshot record.
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await expect(page.getByTestId('runs-table')).toBeVisible();
  await shot(page, testInfo, 'runs');
  await page.getByRole('link', { name: 'Data', exact: true }).click();
  await expect(page.getByTestId('column-stats')).toBeVisible();
  await shot(page, testInfo, 'data');
  await page.goto(`/projects/${project}/canvas`);
  await expect(page.getByTestId('canvas-node-train')).toBeVisible();
});

test('undo and redo restore the graph', async ({ page }) => {
  await newSampleProject(page);
  const nodes = page.locator('.react-flow__node');
  const before = await nodes.count();
  await page.getByTestId('canvas-node-scale').click();
  await page.keyboard.press('Delete');
  await expect(nodes).toHaveCount(before - 1);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(nodes).toHaveCount(before);
  await expect(page.getByTestId('canvas-node-scale')).toBeVisible();
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(nodes).toHaveCount(before - 1);
  await page.keyboard.press('Control+z');
  await expect(nodes).toHaveCount(before);
});

test('an invalid connection is refused with its reason', async ({ page }) => {
  await newSampleProject(page);
  const edges = page.locator('.react-flow__edge');
  const before = await edges.count();
  // A dataset's table into evaluate's `model` port (which takes a trained model).
  await connect(page, handle(page, 'data', 'source', 'data'), handle(page, 'evaluate', 'target', 'model'));
  await expect(page.getByTestId('connection-error')).toContainText('evaluate.model expects trained');
  await expect(page.getByTestId('connection-error')).toContainText('table');
  await expect(edges).toHaveCount(before);
});

test('graph export and import round-trip', async ({ page }, testInfo) => {
  await newSampleProject(page);
  await page.getByTestId('canvas-node-train').click();
  await page.getByTestId('param-epochs').fill('17');
  await page.getByTestId('param-epochs').blur();
  await expect(page.getByTestId('save-status')).toContainText('Saved · version');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSON' }).click();
  const file = await (await download).path();
  const fs = await import('node:fs/promises');
  const exported = JSON.parse(await fs.readFile(file, 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
  expect(exported.nodes.find((n) => n.id === 'train')?.params.epochs).toBe(17);

  // Import into a different project: the same pipeline appears there.
  await newSampleProject(page, /Penguins: species/);
  await page.getByTestId('import-file').setInputFiles({ name: 'cars-graph.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)) });
  await expect(page.getByTestId('canvas-node-scale')).toBeVisible();
  await page.getByTestId('canvas-node-train').click();
  await expect(page.getByTestId('param-epochs')).toHaveValue('17');
  // A broken file is refused with its name, and the graph stays.
  await page.getByTestId('import-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"nodes": [') });
  await expect(page.getByTestId('canvas-notice')).toContainText('broken.json');
  await expect(page.getByTestId('canvas-node-scale')).toBeVisible();
  await shot(page, testInfo, 'canvas-imported');
});
