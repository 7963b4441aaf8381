'use client';

import { Axes, type Frame } from './Axes';
import { extent, fmt, linear, niceTicks } from './scale';
import './charts.css';
import { useChartWidth } from './useChartWidth';


/**
 * Scatter plot of `points`; `diagonal` draws y = x (predicted vs actual), `zeroLine` draws y = 0
 * (residuals). Large inputs are thinned evenly to `maxPoints` so the SVG stays light.
 */
export function ScatterChart({
  points,
  xLabel,
  yLabel,
  height = 200,
  diagonal = false,
  zeroLine = false,
  maxPoints = 1500,
  testId,
}: {
  points: { x: number; y: number }[];
  xLabel?: string;
  yLabel?: string;
  height?: number;
  diagonal?: boolean;
  zeroLine?: boolean;
  maxPoints?: number;
  testId?: string;
}) {
  const [box, W] = useChartWidth(260);
  const all = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!all.length) return <div ref={box} className="kiln-chart kiln-chart-empty" data-testid={testId}>no points to plot</div>;
  const step = Math.max(1, Math.ceil(all.length / maxPoints));
  const pts = step === 1 ? all : all.filter((_, i) => i % step === 0);
  const f: Frame = { width: W, height, left: 42, right: 8, top: 8, bottom: 30 };
  let [xmin, xmax] = extent(all.map((p) => p.x), 0.04);
  let [ymin, ymax] = extent(all.map((p) => p.y), 0.04);
  if (diagonal) {
    // Same range on both axes so the y = x line is the real diagonal.
    xmin = ymin = Math.min(xmin, ymin);
    xmax = ymax = Math.max(xmax, ymax);
  }
  if (zeroLine) {
    ymin = Math.min(ymin, 0);
    ymax = Math.max(ymax, 0);
  }
  const sx = linear(xmin, xmax, f.left, W - f.right);
  const sy = linear(ymin, ymax, height - f.bottom, f.top);
  const xTicks = niceTicks(xmin, xmax, 5).filter((t) => t >= xmin && t <= xmax);
  const yTicks = niceTicks(ymin, ymax, 4).filter((t) => t >= ymin && t <= ymax);
  return (
    <div ref={box} className="kiln-chart-box">
    <svg className="kiln-chart" data-testid={testId} viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={`${yLabel ?? 'y'} against ${xLabel ?? 'x'}`}>
      <Axes f={f} xTicks={xTicks} yTicks={yTicks} sx={sx} sy={sy} xLabel={xLabel} yLabel={yLabel} />
      {diagonal && <line x1={sx(xmin)} y1={sy(xmin)} x2={sx(xmax)} y2={sy(xmax)} stroke="#dc2626" strokeDasharray="4 3" strokeOpacity={0.7} />}
      {zeroLine && <line x1={f.left} x2={W - f.right} y1={sy(0)} y2={sy(0)} stroke="#dc2626" strokeDasharray="4 3" strokeOpacity={0.7} />}
      {pts.map((p, i) => (
        <circle key={i} className="kiln-dot" cx={sx(p.x)} cy={sy(p.y)} r={2.2} fill="#2563eb" fillOpacity={0.55}>
          <title>{`${xLabel ?? 'x'} ${fmt(p.x)}, ${yLabel ?? 'y'} ${fmt(p.y)}`}</title>
        </circle>
      ))}
    </svg>
    </div>
  );
}
