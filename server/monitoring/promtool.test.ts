/**
 * Kiln's Prometheus output checked by Prometheus's own `promtool` (Debian's `prometheus`
 * package; CI installs it): serving's real `/metrics` after predictions with soft anomalies and
 * the control plane's monitoring exposition pass `promtool check metrics`; the rules file made
 * from one rule of every kind passes `promtool check rules`; and `promtool test rules` runs a
 * unit test of the stale-model rule (fires once the model is older than N days, not before).
 *
 * Without promtool the suite fails under CI=true and is reported skipped (with the reason) elsewhere.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertRule, formatAlertRule } from '../../lib/alerts/rule';
import { createServingServer, type ServingServer } from '../serving/server';
import type { PredictionSink } from '../serving/prediction-log';
import type { RequestStatsSink } from '../serving/request-stats';
import { endpoint, http, regressionPackage, TestSource } from '../serving/test-utils';
import { controlPlaneMetrics, prometheusRules } from './prometheus';
import type { MonitoringReport } from './report';

const PROMTOOL = process.env.PROMTOOL || 'promtool';
const found = spawnSync(PROMTOOL, ['--version']).status === 0;
const ci = process.env.CI === 'true';

function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = execFile(PROMTOOL, args, { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

const rule = (endpointName: string, text: string) => {
  const spec = parseAlertRule(text);
  return { endpoint: endpointName, rule: formatAlertRule(spec), condition: spec.condition, window: spec.window };
};

describe('promtool is installed', () => {
  it.runIf(ci)('under CI=true (apt-get install prometheus)', () => {
    expect(found, `${PROMTOOL} not found: CI installs Debian's prometheus package (.ci/run)`).toBe(true);
  });
});

describe.skipIf(!found)('Kiln output checked by promtool', () => {
  let dir: string;
  let serving: ServingServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-promtool-'));
    const files = await regressionPackage('cars');
    const sink: PredictionSink & RequestStatsSink = { postPredictions: async () => undefined, postFeedback: async () => ({ accepted: 0, unknown: 0, unknownIds: [] }), postRequestStats: async () => undefined };
    const source = Object.assign(new TestSource([endpoint('cars', [{ version: 3, files }])]), { sink });
    serving = await createServingServer({ source, port: 0, metricsToken: 'metrics-token', log: () => undefined });
  }, 60_000);
  afterAll(async () => {
    await serving?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serving's /metrics passes `promtool check metrics`, with model age and anomaly counts", async () => {
    const body = JSON.stringify({ instances: [{ hp: 100, weight: 3000, origin: 'USA' }, { hp: 100, weight: 3000, origin: 'Mars' }] });
    expect((await http(`${serving.url}/v1/models/cars:predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect((await http(`${serving.url}/v1/models/nope:predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(404);
    const m = await http(`${serving.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } });
    expect(m.status).toBe(200);
    const text = m.body.toString();
    // Served from a package (no registry): its age runs from the package's createdAt, 2024-05-01.
    const age = Number(/^kiln_model_age_seconds\{endpoint="cars",version="3"\} (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThan((Date.now() - Date.parse('2024-05-01T00:00:00Z')) / 1000 - 60);
    expect(text).toMatch(/^kiln_serving_anomalies_total\{endpoint="cars",version="3",code="UNKNOWN_CATEGORY"\} 1$/m);
    expect(text).toMatch(/^kiln_serving_checked_instances_total\{endpoint="cars",version="3"\} 2$/m);
    expect(text).toMatch(/^kiln_serving_anomalous_instances_total\{endpoint="cars",version="3"\} 1$/m);
    const r = await promtool(['check', 'metrics'], text);
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it("the control plane's monitoring metrics pass `promtool check metrics`", async () => {
    const report = {
      endpoint: 'cars',
      window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
      requests: 500,
      versions: [{ version: 1, requests: 500, labelled: 250, live: { mape: 0.12, rmse: 3.1 }, training: { mape: 0.11, rmse: 3 } }],
      metrics: { live: { mape: 0.12, rmse: 3.1 }, training: { mape: 0.11, rmse: 3 }, baseline: { mape: 0.3, rmse: 7 }, labelled: 250 },
      drift: {
        reference: 'training',
        share: 0.5,
        shareThreshold: 0.5,
        drifted: false,
        features: [
          { name: 'Horsepower', method: 'ks', statistic: 0.4, pValue: 1e-9, threshold: 0.05, drifted: true, approximate: false },
          { name: 'Origin', method: 'chisquare', statistic: 2, pValue: 0.4, threshold: 0.05, drifted: false, approximate: false },
        ],
        prediction: { name: 'Miles_per_Gallon', method: 'ks', statistic: 0.1, pValue: 0.2, threshold: 0.05, drifted: false, approximate: false },
        skipped: [],
      },
      anomalies: {},
      alerts: [],
      traffic: { requests: 510, errors: 10, errorRate: 10 / 510, codes: { '200': 500, '400': 10 }, latency: { p50: 2, p95: 4, p99: 9, max: 12 } },
    } satisfies MonitoringReport;
    const alerts = [{ ...rule('cars', 'mape > 0.45'), id: 'r1', kind: 'metric' as const, onFire: ['notify'], state: 'firing' as const, since: '', message: '', value: 0.5, evaluatedAt: null, error: null }];
    const m = await controlPlaneMetrics([{ endpoint: 'cars', version: 1, at: new Date(), report }], alerts);
    expect(m.text).toMatch(/^kiln_drift_statistic\{endpoint="cars",version="1",feature="Horsepower",method="ks"\} 0.4$/m);
    expect(m.text).toMatch(/^kiln_live_metric\{endpoint="cars",version="1",metric="mape"\} 0.12$/m);
    expect(m.text).toMatch(/^kiln_alert_firing\{endpoint="cars",rule="mape > 0.45 over 24h",kind="metric"\} 1$/m);
    const r = await promtool(['check', 'metrics'], m.text);
    expect(r, r.out).toMatchObject({ code: 0 });
  });

  it('the rules file for one rule of every kind passes `promtool check rules`', async () => {
    const texts = ['drift(Horsepower)', 'drift(Horsepower) > 0.2', 'drift_share', 'drift_share > 0.3', 'mape > 0.45', 'r2 < 0.5 over 1h', 'mape worse_than baseline', 'accuracy worse_than baseline', 'error_rate > 0.05 over 5m', 'p99_latency > 250ms over 10m', 'stale_model', 'no_traffic > 6h', 'anomaly_rate > 0.1 over 1h'];
    const file = join(dir, 'all.rules.yml');
    await writeFile(file, prometheusRules([...texts.map((t) => rule('cars', t)), rule('my-endpoint.v2', 'stale_model > 0d')]));
    const r = await promtool(['check', 'rules', file]);
    expect(r, r.out).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/SUCCESS: 14 rules found/);
  });

  it('`promtool test rules`: the stale-model rule fires once the served version is older than N days', async () => {
    await writeFile(join(dir, 'stale.rules.yml'), prometheusRules([rule('cars', 'stale_model > 60d'), rule('fresh', 'stale_model > 0d')]));
    const D60 = 60 * 86_400;
    const test = `rule_files: [stale.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # cars v1 turns 60 days old between minute 2 and 3; fresh v2 was just registered
      - series: 'kiln_model_age_seconds{endpoint="cars",version="1",instance="serving-0"}'
        values: '${D60 - 120}+60x10'
      - series: 'kiln_model_age_seconds{endpoint="fresh",version="2",instance="serving-0"}'
        values: '0+60x10'
    alert_rule_test:
      - eval_time: 1m
        alertname: KilnStaleModel
        exp_alerts:
          - exp_labels: { severity: warning, endpoint: fresh, version: "2", instance: serving-0, rule: "stale_model > 0d" }
            exp_annotations: { summary: "fresh: stale_model > 0d", description: 'Kiln alert rule "stale_model > 0d" of endpoint fresh (value 1m 0s).' }
      - eval_time: 3m
        alertname: KilnStaleModel
        exp_alerts:
          - exp_labels: { severity: warning, endpoint: cars, version: "1", instance: serving-0, rule: "stale_model > 60d" }
            exp_annotations: { summary: "cars: stale_model > 60d", description: 'Kiln alert rule "stale_model > 60d" of endpoint cars (value 60d 0h 1m 0s).' }
          - exp_labels: { severity: warning, endpoint: fresh, version: "2", instance: serving-0, rule: "stale_model > 0d" }
            exp_annotations: { summary: "fresh: stale_model > 0d", description: 'Kiln alert rule "stale_model > 0d" of endpoint fresh (value 3m 0s).' }
`;
    await writeFile(join(dir, 'stale.test.yml'), test);
    const r = await promtool(['test', 'rules', join(dir, 'stale.test.yml')]);
    expect(r, r.out).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/SUCCESS/);
    // The same test fails when the rule says otherwise (the test can fail): a 61-day rule does not fire at 3m.
    await writeFile(join(dir, 'stale.rules.yml'), prometheusRules([rule('cars', 'stale_model > 61d'), rule('fresh', 'stale_model > 0d')]));
    const bad = await promtool(['test', 'rules', join(dir, 'stale.test.yml')]);
    expect(bad.code).not.toBe(0);
  });
});
