'use client';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { errorMessage, type RouterOutputs } from '../studio/trpc';
import { timeLabel, timeTicks } from './time-axis';

type Series = RouterOutputs['monitoring']['series'];

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

/** Request volume, latency percentiles and anomalous predictions over the window. */
export function TrafficPanel({ series, error }: { series: Series | null; error: unknown }) {
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
  const withTraffic = series.buckets.filter((b) => b.latency);
  const volume: LineSeries[] = [{ name: 'predictions', points: series.buckets.map((b) => ({ x: mid(series, b.start), y: b.requests })) }];
  const latency: LineSeries[] = (['p50', 'p95', 'p99'] as const).map((q) => ({ name: q, points: withTraffic.map((b) => ({ x: mid(series, b.start), y: b.latency![q] })) }));
  const anomalous: LineSeries[] = [{ name: 'with anomalies', color: '#d97706', points: series.buckets.map((b) => ({ x: mid(series, b.start), y: b.anomalous })) }];
  return (
    <section className="panel" aria-label="Traffic" data-testid="monitoring-traffic">
      <h2>
        Traffic <span className="muted small">logged predictions per {bucketWord(series.bucketMs)}; latency at serving</span>
      </h2>
      <div className="mon-charts">
        <figure>
          <figcaption className="kiln-chart-title">Predictions</figcaption>
          <LineChart series={volume} yLabel="predictions" testId="chart-volume" {...axis} />
        </figure>
        <figure>
          <figcaption className="kiln-chart-title">Latency (ms)</figcaption>
          <LineChart series={latency} yLabel="ms" testId="chart-latency" {...axis} />
        </figure>
        <figure>
          <figcaption className="kiln-chart-title">Predictions with anomalies</figcaption>
          <LineChart series={anomalous} yLabel="predictions" testId="chart-anomalies" {...axis} />
        </figure>
      </div>
    </section>
  );
}
