/**
 * The Monitoring view end to end: a cars sample project trained on the server runner, registered
 * and bound to an endpoint through the API; real cars rows sent to serving (half of them with
 * Horsepower shifted far beyond training) and feedback for half the ids; then the project health
 * overview lists the endpoint, its Monitoring view marks Horsepower drifted, and the prediction
 * log shows the rows, one expanding to its inputs and outputs.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { createRng } from '../lib/rng';
import { api } from './auth-helpers';
import { shot } from './screens';

const SERVING_PORT = Number(process.env.KILN_E2E_SERVING_PORT ?? 8599);
const uniq = (p: string) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

type Car = Record<string, string | number | null>;

test('the Monitoring view shows traffic, drift of a shifted input, live metrics and the prediction log', async ({ page, request, baseURL }, testInfo) => {
  test.setTimeout(360_000);
  const project = uniq('mon-');
  const model = uniq('cars');
  const endpoint = uniq('mon-ep');
  await api(request, baseURL!, 'projects.createFromSample', { name: project, sample: 'cars' }, { mutation: true });
  const { graph } = (await api(request, baseURL!, 'graphs.current', { projectName: project })) as { graph: unknown };
  const { runId } = (await api(request, baseURL!, 'runs.submit', { projectName: project, graph }, { mutation: true })) as { runId: string };
  await expect.poll(async () => ((await api(request, baseURL!, 'runs.get', { id: runId })) as { status: string }).status, { timeout: 200_000, intervals: [2000] }).toBe('succeeded');
  await api(request, baseURL!, 'registry.register', { model, runId }, { mutation: true });
  await api(request, baseURL!, 'endpoints.bind', { name: endpoint, model, target: { version: 1 } }, { mutation: true });

  // What an app sends: the model's input fields (as the endpoint's snippet names them) of real cars rows.
  const { record } = (await api(request, baseURL!, 'endpoints.snippets', { name: endpoint })) as { record: Record<string, unknown> };
  const fields = Object.keys(record);
  expect(fields).toContain('Horsepower');
  const cars = (JSON.parse(await readFile('node_modules/vega-datasets/data/cars.json', 'utf8')) as Car[]).filter((c) => Object.values(c).every((v) => v !== null));
  const rng = createRng(13);
  const pick = () => cars[Math.floor(rng() * cars.length)]!;
  const url = `http://localhost:${SERVING_PORT}/v1/models/${endpoint}`;
  await expect.poll(async () => (await request.post(`${url}:predict`, { data: { instances: [record] }, headers: { 'x-request-id': 'warmup' } })).status(), { timeout: 60_000 }).toBe(200);

  const actual = new Map<string, number>();
  for (let k = 0; k < 20; k++) {
    const rows = Array.from({ length: 10 }, pick);
    const shifted = k >= 10;
    const instances = rows.map((c) => Object.fromEntries(fields.map((f) => [f, f === 'Horsepower' && shifted ? (c[f] as number) + 150 : c[f]])));
    const res = await request.post(`${url}:predict`, { data: { instances }, headers: { 'x-request-id': `req-${k}` } });
    expect(res.status()).toBe(200);
    rows.forEach((c, i) => actual.set(`req-${k}/${i}`, c.Miles_per_Gallon as number));
  }
  // Ground truth for every other prediction, through serving's feedback route.
  const feedback = [...actual].filter((_, i) => i % 2 === 0).map(([id, a]) => ({ id, actual: a }));
  // Serving flushes its log in batches: feedback for ids not stored yet would come back unknown.
  await expect
    .poll(async () => ((await api(request, baseURL!, 'monitoring.report', { name: endpoint, window: '1h' })) as { requests: number }).requests, { timeout: 60_000 })
    .toBeGreaterThanOrEqual(201);
  const fb = await request.post(`${url}:feedback`, { data: { feedback } });
  expect(fb.status()).toBe(200);
  expect(await fb.json()).toMatchObject({ accepted: 100, unknown: 0 });

  // An alert rule: the view lists it with its state.
  await api(request, baseURL!, 'monitoring.addAlertRule', { name: endpoint, rule: 'stale_model > 60d' }, { mutation: true });

  // The project overview on the Endpoints tab lists the endpoint with its traffic.
  await page.goto(`/projects/${project}/endpoints`);
  const health = page.getByTestId(`health-${endpoint}`);
  await expect(health).toBeVisible();
  await expect(health).toContainText(model);
  await expect(health).toContainText('201');
  await shot(page, testInfo, 'endpoints-health');
  await health.getByRole('link', { name: endpoint }).click();

  await expect(page).toHaveURL(new RegExp(`/projects/${project}/endpoints/${endpoint}/monitoring`));
  await expect(page.getByTestId('monitoring-summary')).toContainText('201');
  await expect(page.getByTestId('monitoring-alerts')).toContainText('stale_model > 60d');
  // Horsepower drifted; the drift table says so, with its method and verdict.
  const hp = page.getByTestId('drift-row-Horsepower');
  await expect(hp).toHaveAttribute('data-drifted', 'true');
  await expect(hp).toContainText('drifted');
  await expect(page.getByTestId('drift-histogram-chart')).toBeVisible();
  // Live metrics from the feedback, beside training.
  await expect(page.getByTestId('metrics-table')).toContainText('mape');
  await expect(page.getByTestId('metrics-empty')).toHaveCount(0);
  // The prediction log shows rows; one opens to its inputs and outputs.
  const rows = page.getByTestId('log-row');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThan(5);
  await page.getByTestId('log-version').selectOption('1');
  await expect(rows.first()).toContainText('v1');
  await rows.first().click();
  await expect(page.getByTestId('log-detail')).toContainText('Horsepower');
  await page.getByTestId('drift-table').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'monitoring-drift');
  await page.getByTestId('window-1h').click();
  await expect(page.getByTestId('window-1h')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('monitoring-summary')).toContainText('201');
  await expect(page.getByTestId('drift-histogram-chart')).toBeVisible();
  await expect(rows.first()).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, testInfo, 'monitoring');
  await page.screenshot({ path: 'test-results/screenshots/monitoring-full.png', fullPage: true });

  // An endpoint nothing has called yet: the view says so and how to send a prediction.
  const quiet = uniq('quiet');
  await api(request, baseURL!, 'endpoints.bind', { name: quiet, model, target: { version: 1 } }, { mutation: true });
  await page.goto(`/projects/${project}/endpoints/${quiet}/monitoring`);
  await expect(page.getByTestId('monitoring-empty')).toContainText('No predictions logged in this window');
  await expect(page.getByTestId('monitoring-empty')).toContainText(`/v1/models/${quiet}:predict`);
  await expect(page.getByTestId('log-empty')).toBeVisible();
  await shot(page, testInfo, 'monitoring-empty');
});
