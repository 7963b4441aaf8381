'use client';
import { useState } from 'react';
import { METRIC_DIRECTION } from '../../lib/metrics/direction';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { fmtNum } from '../runs/format';
import type { RouterOutputs } from '../studio/trpc';
import { mid, timeAxis } from './TrafficPanel';

type Report = RouterOutputs['monitoring']['report'];
type Series = RouterOutputs['monitoring']['series'];

const PREFERRED = ['mape', 'rmse', 'mae', 'r2', 'accuracy', 'f1_macro', 'logloss', 'auc'];

/** Live metrics from feedback over time, beside the serving version's training metrics and the historical-average baseline. */
export function MetricsPanel({ report, series }: { report: Report; series: Series | null }) {
  const m = report.metrics;
  const names = [...new Set([...Object.keys(m.live ?? {}), ...Object.keys(m.training)])].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const [picked, setPicked] = useState<string | null>(null);
  const metric = picked && names.includes(picked) ? picked : (names[0] ?? null);

  let chart: LineSeries[] = [];
  if (series && metric) {
    const labelled = series.buckets.filter((b) => b.live && typeof b.live[metric] === 'number');
    chart = [{ name: 'live', points: labelled.map((b) => ({ x: mid(series, b.start), y: b.live![metric]! })) }];
    const baseline = series.buckets.filter((b) => b.baseline && typeof b.baseline[metric] === 'number');
    if (baseline.length) chart.push({ name: 'baseline', color: '#64748b', points: baseline.map((b) => ({ x: mid(series, b.start), y: b.baseline![metric]! })) });
    const t = series.training[metric];
    if (typeof t === 'number') chart.push({ name: 'training', color: '#16a34a', points: [Date.parse(series.window.start), Date.parse(series.window.end)].map((x) => ({ x, y: t })) });
  }
  const dir = metric ? METRIC_DIRECTION[metric] : undefined;

  return (
    <section className="panel" aria-label="Live metrics" data-testid="monitoring-metrics">
      <h2>
        Live metrics <span className="muted small">from {m.labelled.toLocaleString()} predictions with feedback, beside training{m.baseline ? ' and the historical-average baseline' : ''}</span>
      </h2>
      {m.labelled === 0 ? (
        <p className="small muted" data-testid="metrics-empty">
          No feedback for the predictions of this window yet. Post actual outcomes by prediction id — <code>kiln feedback {report.endpoint} --input labels.csv --server URL</code> (columns <code>id</code> and the target) — to compute live metrics.
        </p>
      ) : null}
      <div className="mon-metrics">
        <table className="grid mon-narrow" data-testid="metrics-table">
          <thead>
            <tr>
              <th>Metric</th>
              <th className="num">Live</th>
              <th className="num">Training</th>
              {m.baseline && <th className="num">Baseline</th>}
            </tr>
          </thead>
          <tbody>
            {names.map((n) => {
              const live = m.live?.[n];
              const train = m.training[n];
              const worse = live !== undefined && train !== undefined && METRIC_DIRECTION[n] ? (METRIC_DIRECTION[n] === 'lower' ? live > train : live < train) : false;
              return (
                <tr key={n} className={n === metric ? 'current' : undefined}>
                  <td>
                    <button type="button" className="linkish" onClick={() => setPicked(n)} aria-pressed={n === metric}>
                      {n}
                    </button>
                  </td>
                  <td className={`num${worse ? ' warn' : ''}`}>{fmtNum(live)}</td>
                  <td className="num">{fmtNum(train)}</td>
                  {m.baseline && <td className="num">{fmtNum(m.baseline[n])}</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
        {series && metric && (
          <figure>
            <figcaption className="kiln-chart-title">
              {metric} over time {dir ? <span className="muted small">({dir} is better)</span> : null}
            </figcaption>
            <LineChart series={chart} yLabel={metric} testId="chart-metric" dashed={['training', 'baseline']} {...timeAxis(series)} />
          </figure>
        )}
      </div>
      {report.versions.length > 1 && (
        <>
          <h3>By model version</h3>
          <table className="grid mon-narrow">
            <thead>
              <tr>
                <th>Version</th>
                <th className="num">Predictions</th>
                <th className="num">With feedback</th>
                {metric && <th className="num">{metric} live</th>}
                {metric && <th className="num">{metric} training</th>}
              </tr>
            </thead>
            <tbody>
              {report.versions.map((v) => (
                <tr key={v.version}>
                  <td>v{v.version}</td>
                  <td className="num">{v.requests.toLocaleString()}</td>
                  <td className="num">{v.labelled.toLocaleString()}</td>
                  {metric && <td className="num">{fmtNum(v.live?.[metric])}</td>}
                  {metric && <td className="num">{fmtNum(v.training[metric])}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function rank(n: string): number {
  const i = PREFERRED.indexOf(n);
  return i < 0 ? PREFERRED.length : i;
}
