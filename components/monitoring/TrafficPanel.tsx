'use client';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { fmt } from '../charts/scale';
import { errorMessage, type RouterOutputs } from '../studio/trpc';
import { timeLabel, timeTicks } from './time-axis';

type Series = RouterOutputs['monitoring']['series'];
type Requests = RouterOutputs['monitoring']['requests'];

/** Shared x axis of the charts over a window: every bucket's start, ticks on round times. */
export function timeAxis(s: Series) {
  const first = Date.parse(s.window.start);
  const last = Date.parse(s.window.end);
  const label = timeLabel(last - first);
  return { xDomain: [first, last] as [number, number], xTickValues: (a: number, b: number) => timeTicks(a, b, 6), xFormat: label };
}

/** A bucket's point sits at its middle. */
export function mid(s: Series, start: string): number {
  return Date.parse(start) + s.bucketMs / 2;
}

function bucketWord(ms: number): string {
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? 'day' : `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} h`;
  return ms === 60_000 ? 'minute' : `${ms / 60_000} min`;
}

/**
 * Request volume (every answer, and the predictions logged), latency percentiles, error rate and
 * anomalous predictions over the window. Volume, latency and errors come from serving's request
 * statistics, which count failed and unsampled requests too; anomalies from the log.
 */
export function TrafficPanel({ series, requests, error }: { series: Series | null; requests: Requests | null; error: unknown }) {
  if (error) {
    return (
      <section className="panel" aria-label="Traffic">
        <h2>Traffic</h2>
        <p className="error">Could not read the traffic over time: {errorMessage(error)}</p>
      </section>
    );
  }
  if (!series) {
    return (
      <section className="panel" aria-label="Traffic">
        <h2>Traffic</h2>
        <p className="muted small">Loading…</p>
      </section>
    );
  }
  const axis = timeAxis(series);
  const half = (requests?.bucketMs ?? series.bucketMs) / 2;
  const at = (start: string) => Date.parse(start) + half;
  const volume: LineSeries[] = [
    ...(requests ? [{ name: 'requests', points: requests.buckets.map((b) => ({ x: at(b.start), y: b.requests })) }] : []),
    { name: 'logged', color: '#16a34a', points: series.buckets.map((b) => ({ x: mid(series, b.start), y: b.requests })) },
  ];
  // Latency of every answer when serving sent request statistics; else of the logged predictions.
  const stats = requests && requests.total.requests > 0;
  const latency: LineSeries[] = (['p50', 'p95', 'p99'] as const).map((q) => ({
    name: q,
    points: stats
      ? requests.buckets.filter((b) => b.latency).map((b) => ({ x: at(b.start), y: b.latency![q] }))
      : series.buckets.filter((b) => b.latency).map((b) => ({ x: mid(series, b.start), y: b.latency![q] })),
  }));
  const errorRate: LineSeries[] = requests ? [{ name: 'error rate %', color: '#dc2626', points: requests.buckets.filter((b) => b.errorRate !== null).map((b) => ({ x: at(b.start), y: b.errorRate! * 100 })) }] : [];
  const anomalous: LineSeries[] = [{ name: 'anomalous', color: '#d97706', points: series.buckets.map((b) => ({ x: mid(series, b.start), y: b.anomalous })) }];
  return (
    <section className="panel" aria-label="Traffic" data-testid="monitoring-traffic">
      <h2>
        Traffic <span className="muted small">per {bucketWord(series.bucketMs)}; requests, latency and errors as serving counted them (failed and unlogged requests included)</span>
      </h2>
      {requests && requests.total.requests > 0 && (
        <p className="small" data-testid="traffic-totals">
          {requests.total.requests.toLocaleString()} requests answered, {requests.total.errors.toLocaleString()} failed
          {requests.total.errorRate !== null ? ` (error rate ${fmt(requests.total.errorRate * 100)} %)` : ''}
          {requests.total.latency ? ` · latency p50 ${fmt(requests.total.latency.p50)} ms, p95 ${fmt(requests.total.latency.p95)} ms, p99 ${fmt(requests.total.latency.p99)} ms` : ''}
          {Object.keys(requests.total.codes).length > 0 && (
            <span className="muted">
              {' '}
              · status {Object.entries(requests.total.codes).map(([c, n]) => `${c}: ${n}`).join(', ')}
            </span>
          )}
        </p>
      )}
      {!stats && <p className="small muted">No request statistics from serving in this window yet (serving sends them each minute); latency below is of the logged predictions.</p>}
      <div className="mon-charts">
        <figure>
          <figcaption className="kiln-chart-title">HTTP requests and logged predictions</figcaption>
          <LineChart series={volume} yLabel="count" testId="chart-volume" yFromZero {...axis} />
        </figure>
        <figure>
          <figcaption className="kiln-chart-title">Latency (ms)</figcaption>
          <LineChart series={latency} yLabel="ms" testId="chart-latency" yFromZero {...axis} />
        </figure>
        <figure>
          <figcaption className="kiln-chart-title">Error rate (%)</figcaption>
          <LineChart series={errorRate} yLabel="%" testId="chart-errors" yFromZero {...axis} />
        </figure>
        <figure>
          <figcaption className="kiln-chart-title">Predictions with anomalies</figcaption>
          <LineChart series={anomalous} yLabel="predictions" testId="chart-anomalies" yFromZero {...axis} />
        </figure>
      </div>
    </section>
  );
}
