/**
 * Kiln for Prometheus and Grafana.
 *
 * Who exports what: serving exports what it sees itself, per replica — requests, errors,
 * latency, model age (`kiln_model_age_seconds`) and soft anomalies (`kiln_serving_anomalies_total`,
 * …). Drift statistics and live metrics are computed by the control plane from the prediction
 * log and the feedback in the database, so the control plane exports them
 * (`GET /api/monitoring/metrics`, {@link controlPlaneMetrics}) from the snapshot its evaluator
 * refreshes every `KILN_ALERT_INTERVAL_SECONDS`: every control plane answers a scrape alike, from
 * one row per endpoint, and the numbers are not repeated once per serving replica.
 *
 * {@link prometheusRules} turns configured alert rules into a Prometheus rules file over those
 * metrics; {@link grafanaDashboard} is a dashboard of the same metrics.
 */
import { Gauge, Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { AlertCondition, AlertKind } from '../../lib/alerts/rule';
import { METRIC_DIRECTION } from '../../lib/metrics/direction';
import type { AlertView } from './alert-rules';
import type { MonitoringReport } from './report';

export interface SnapshotForExport {
  endpoint: string;
  /** the version the endpoint served when the snapshot was made (null: none) */
  version: number | null;
  at: Date;
  report: MonitoringReport | null;
}

/** The control plane's exposition: drift, live/training/baseline metrics, alert states. */
export async function controlPlaneMetrics(snapshots: readonly SnapshotForExport[], alerts: readonly AlertView[]): Promise<{ contentType: string; text: string }> {
  const registry = new Registry();
  const registers = [registry];
  const g = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers });
  const driftStat = g('kiln_drift_statistic', 'Drift statistic of an input (or the prediction) over the last 24 h against the training data', ['endpoint', 'version', 'feature', 'method']);
  const driftThreshold = g('kiln_drift_threshold', 'Threshold of the drift method: the statistic (distances) or the p-value (tests) it is compared with', ['endpoint', 'version', 'feature', 'method']);
  const driftDetected = g('kiln_drift_detected', '1 when the input drifted over the last 24 h, else 0', ['endpoint', 'version', 'feature']);
  const share = g('kiln_drift_share', 'Share of inputs that drifted over the last 24 h', ['endpoint', 'version']);
  const datasetDrifted = g('kiln_dataset_drifted', '1 when the drift share is over its threshold, else 0', ['endpoint', 'version']);
  const live = g('kiln_live_metric', 'Live metric over the last 24 h from predictions with feedback, per answering version', ['endpoint', 'version', 'metric']);
  const training = g('kiln_training_metric', 'Metric the version had at training', ['endpoint', 'version', 'metric']);
  const baseline = g('kiln_baseline_metric', 'Historical-average baseline on the same labelled predictions (regression)', ['endpoint', 'metric']);
  const labelled = g('kiln_labelled_predictions', 'Predictions with feedback over the last 24 h', ['endpoint']);
  const logged = g('kiln_logged_predictions', 'Logged predictions over the last 24 h', ['endpoint']);
  const snapAt = g('kiln_monitoring_snapshot_timestamp_seconds', 'When the snapshot these numbers come from was made', ['endpoint']);
  const firing = g('kiln_alert_firing', '1 while the alert rule fires, else 0', ['endpoint', 'rule', 'kind']);
  for (const s of snapshots) {
    snapAt.set({ endpoint: s.endpoint }, s.at.getTime() / 1000);
    const r = s.report;
    if (!r) continue;
    const version = s.version === null ? '' : String(s.version);
    logged.set({ endpoint: s.endpoint }, r.requests);
    labelled.set({ endpoint: s.endpoint }, r.metrics.labelled);
    for (const f of [...r.drift.features, ...(r.drift.prediction ? [r.drift.prediction] : [])]) {
      driftStat.set({ endpoint: s.endpoint, version, feature: f.name, method: f.method }, f.statistic);
      driftThreshold.set({ endpoint: s.endpoint, version, feature: f.name, method: f.method }, f.threshold);
      driftDetected.set({ endpoint: s.endpoint, version, feature: f.name }, f.drifted ? 1 : 0);
    }
    if (r.drift.features.length > 0) {
      share.set({ endpoint: s.endpoint, version }, r.drift.share);
      datasetDrifted.set({ endpoint: s.endpoint, version }, r.drift.drifted ? 1 : 0);
    }
    for (const v of r.versions) {
      for (const [m, x] of Object.entries(v.live ?? {})) live.set({ endpoint: s.endpoint, version: String(v.version), metric: m }, x);
      for (const [m, x] of Object.entries(v.training)) training.set({ endpoint: s.endpoint, version: String(v.version), metric: m }, x);
    }
    if (s.version !== null && !r.versions.some((v) => v.version === s.version)) {
      for (const [m, x] of Object.entries(r.metrics.training)) training.set({ endpoint: s.endpoint, version, metric: m }, x);
    }
    for (const [m, x] of Object.entries(r.metrics.baseline ?? {})) baseline.set({ endpoint: s.endpoint, metric: m }, x);
  }
  for (const a of alerts) if (a.state !== 'pending') firing.set({ endpoint: a.endpoint, rule: a.rule, kind: a.kind }, a.state === 'firing' ? 1 : 0);
  return { contentType: registry.contentType, text: await registry.metrics() };
}

const q = (s: string) => JSON.stringify(s);
const secondsOf = (window: string) => window;

/** The PromQL of each kind of condition (a registry, as the evaluator's). */
const PROMQL: { [K in AlertKind]: (c: Extract<AlertCondition, { kind: K }>, ep: string, w: string) => string } = {
  feature_drift: (c, ep) =>
    c.threshold !== undefined ? `kiln_drift_statistic{endpoint=${q(ep)},feature=${q(c.feature)}} > ${c.threshold}` : `kiln_drift_detected{endpoint=${q(ep)},feature=${q(c.feature)}} == 1`,
  drift_share: (c, ep) => (c.threshold !== undefined ? `kiln_drift_share{endpoint=${q(ep)}} > ${c.threshold}` : `kiln_dataset_drifted{endpoint=${q(ep)}} == 1`),
  metric: (c, ep) => `kiln_live_metric{endpoint=${q(ep)},metric=${q(c.metric)}} ${c.op} ${c.threshold}`,
  metric_vs_baseline: (c, ep) =>
    `kiln_live_metric{endpoint=${q(ep)},metric=${q(c.metric)}} ${METRIC_DIRECTION[c.metric] === 'higher' ? '<' : '>'} on (endpoint, metric) group_left kiln_baseline_metric{endpoint=${q(ep)},metric=${q(c.metric)}}`,
  error_rate: (c, ep, w) =>
    `sum by (endpoint) (rate(kiln_serving_errors_total{endpoint=${q(ep)}}[${w}])) / sum by (endpoint) (rate(kiln_serving_requests_total{endpoint=${q(ep)}}[${w}])) > ${c.threshold}`,
  p99_latency: (c, ep, w) => `histogram_quantile(0.99, sum by (endpoint, le) (rate(kiln_serving_request_duration_seconds_bucket{endpoint=${q(ep)}}[${w}]))) > ${c.thresholdMs / 1000}`,
  stale_model: (c, ep) => `kiln_model_age_seconds{endpoint=${q(ep)}} > ${c.days * 86_400}`,
  no_traffic: (c, ep) => {
    const w = `${Math.round(c.hours * 3600)}s`;
    return `sum by (endpoint) (increase(kiln_serving_requests_total{endpoint=${q(ep)}}[${w}])) == 0 or absent(kiln_serving_requests_total{endpoint=${q(ep)}})`;
  },
  anomaly_rate: (c, ep, w) =>
    `sum by (endpoint) (increase(kiln_serving_anomalous_instances_total{endpoint=${q(ep)}}[${w}])) / sum by (endpoint) (increase(kiln_serving_checked_instances_total{endpoint=${q(ep)}}[${w}])) > ${c.threshold}`,
};

/** How an alert's value reads in its description, where plain `{{ $value }}` reads badly. */
const VALUE_FORMAT: Partial<Record<AlertKind, string>> = {
  stale_model: '{{ $value | humanizeDuration }}',
  p99_latency: '{{ $value | humanizeDuration }}',
  error_rate: '{{ $value | humanizePercentage }}',
  anomaly_rate: '{{ $value | humanizePercentage }}',
  drift_share: '{{ $value | humanizePercentage }}',
};

/** Prometheus alert names: `KilnStaleModel`, `KilnFeatureDrift`, … */
export function alertName(kind: AlertKind): string {
  return `Kiln${kind.replace(/(^|_)([a-z0-9])/g, (_m, _u, ch: string) => ch.toUpperCase())}`;
}

/** The PromQL expression of a rule. */
export function promqlOf(a: Pick<AlertView, 'endpoint' | 'condition' | 'window'>): string {
  return (PROMQL[a.condition.kind] as (c: AlertCondition, ep: string, w: string) => string)(a.condition, a.endpoint, secondsOf(a.window));
}

/**
 * A Prometheus rules file (YAML) with one group per endpoint and one alert per rule, labelled
 * `endpoint`, `rule` (its Kiln text) and `severity: warning`.
 */
export function prometheusRules(alerts: readonly Pick<AlertView, 'endpoint' | 'rule' | 'condition' | 'window'>[]): string {
  const byEndpoint = new Map<string, typeof alerts[number][]>();
  for (const a of alerts) byEndpoint.set(a.endpoint, [...(byEndpoint.get(a.endpoint) ?? []), a]);
  const groups = [...byEndpoint.entries()]
    .sort((x, y) => x[0].localeCompare(y[0]))
    .map(([endpoint, rules]) => ({
      name: `kiln-${endpoint}`,
      rules: rules.map((a) => ({
        alert: alertName(a.condition.kind),
        expr: promqlOf(a),
        labels: { severity: 'warning', endpoint, rule: a.rule },
        annotations: {
          summary: `${endpoint}: ${a.rule}`,
          description: `Kiln alert rule "${a.rule}" of endpoint ${endpoint} (value ${VALUE_FORMAT[a.condition.kind] ?? '{{ $value }}'}).`,
        },
      })),
    }));
  return `# Generated by \`kiln monitor export --prometheus-rules\` from the endpoints' Kiln alert rules.\n${stringify({ groups }, { lineWidth: 0 })}`;
}

/** A Grafana dashboard (JSON model) of the endpoints: traffic, errors, latency, model age, anomalies, drift, live metrics, alerts. */
export function grafanaDashboard(endpoints: readonly string[]): Record<string, unknown> {
  const sel = `endpoint=~"$endpoint"`;
  let id = 0;
  const panel = (title: string, exprs: { expr: string; legend: string }[], unit: string, x: number, y: number, type = 'timeseries') => ({
    id: ++id,
    type,
    title,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: exprs.map((e, i) => ({ refId: String.fromCharCode(65 + i), expr: e.expr, legendFormat: e.legend })),
  });
  return {
    title: 'Kiln endpoints',
    uid: 'kiln-endpoints',
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    tags: ['kiln'],
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
        {
          name: 'endpoint',
          type: 'custom',
          label: 'endpoint',
          multi: true,
          includeAll: true,
          query: endpoints.join(','),
          current: { text: 'All', value: '$__all' },
          options: endpoints.map((e) => ({ text: e, value: e, selected: false })),
        },
      ],
    },
    panels: [
      panel('Requests per second', [{ expr: `sum by (endpoint, version) (rate(kiln_serving_requests_total{${sel}}[5m]))`, legend: '{{endpoint}} v{{version}}' }], 'reqps', 0, 0),
      panel('Error rate', [{ expr: `sum by (endpoint) (rate(kiln_serving_errors_total{${sel}}[5m])) / sum by (endpoint) (rate(kiln_serving_requests_total{${sel}}[5m]))`, legend: '{{endpoint}}' }], 'percentunit', 12, 0),
      panel(
        'Latency p50 / p99',
        [
          { expr: `histogram_quantile(0.5, sum by (endpoint, le) (rate(kiln_serving_request_duration_seconds_bucket{${sel}}[5m])))`, legend: '{{endpoint}} p50' },
          { expr: `histogram_quantile(0.99, sum by (endpoint, le) (rate(kiln_serving_request_duration_seconds_bucket{${sel}}[5m])))`, legend: '{{endpoint}} p99' },
        ],
        's',
        0,
        8,
      ),
      panel('Model age', [{ expr: `max by (endpoint, version) (kiln_model_age_seconds{${sel}}) / 86400`, legend: '{{endpoint}} v{{version}}' }], 'd', 12, 8),
      panel('Soft anomalies by code', [{ expr: `sum by (endpoint, code) (rate(kiln_serving_anomalies_total{${sel}}[5m]))`, legend: '{{endpoint}} {{code}}' }], 'short', 0, 16),
      panel('Drift statistic by input (24 h vs training)', [{ expr: `kiln_drift_statistic{${sel}}`, legend: '{{endpoint}} {{feature}} ({{method}})' }], 'short', 12, 16),
      panel(
        'Live metrics vs training and baseline',
        [
          { expr: `kiln_live_metric{${sel}}`, legend: '{{endpoint}} v{{version}} live {{metric}}' },
          { expr: `kiln_training_metric{${sel}}`, legend: '{{endpoint}} v{{version}} training {{metric}}' },
          { expr: `kiln_baseline_metric{${sel}}`, legend: '{{endpoint}} baseline {{metric}}' },
        ],
        'short',
        0,
        24,
      ),
      panel('Drift share', [{ expr: `kiln_drift_share{${sel}}`, legend: '{{endpoint}}' }], 'percentunit', 12, 24),
      panel('Firing alerts', [{ expr: `kiln_alert_firing{${sel}} == 1`, legend: '{{endpoint}}: {{rule}}' }], 'short', 0, 32, 'table'),
    ],
  };
}
