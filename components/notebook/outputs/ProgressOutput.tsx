'use client';
import { LineChart, type LineSeries } from '../../charts/LineChart';

/** Per-epoch metrics streamed by an async generator (or `kiln.run`), drawn live. */
export function ProgressOutput({ points, done, index }: { points: Record<string, number>[]; done: boolean; index: number }) {
  const xKey = points.some((p) => 'epoch' in p) ? 'epoch' : points.some((p) => 'step' in p) ? 'step' : null;
  const keys = [...new Set(points.flatMap((p) => Object.keys(p)))].filter((k) => k !== xKey).slice(0, 6);
  const series: LineSeries[] = keys.map((k) => ({ name: k, points: points.flatMap((p, i) => (typeof p[k] === 'number' ? [{ x: xKey ? (p[xKey] ?? i) : i + 1, y: p[k]! }] : [])) }));
  const last = points[points.length - 1];
  return (
    <div className="nb-out-progress">
      <div className="small">
        <span className={`badge ${done ? 'done' : 'running'}`}>{done ? 'done' : 'training'}</span> {points.length} {xKey ?? 'point'}
        {points.length === 1 ? '' : 's'}
        {last ? (
          <span className="muted mono">
            {' '}
            ·{' '}
            {keys
              .filter((k) => typeof last[k] === 'number')
              .map((k) => `${k} ${Number(last[k]!.toPrecision(4))}`)
              .join(' · ')}
          </span>
        ) : null}
      </div>
      <LineChart series={series} xLabel={xKey ?? 'point'} yLabel="value" height={160} width={560} testId={`nb-progress-${index}`} />
    </div>
  );
}
