'use client';

import { Axes, type Frame } from './Axes';
import { extent, fmt, linear, niceTicks, PALETTE } from './scale';
import './charts.css';
import { useChartWidth } from './useChartWidth';

export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
  color?: string;
}


/** Line chart in plain SVG; every plotted point is a `.kiln-pt` circle with a tooltip. */
export function LineChart({
  series,
  xLabel,
  yLabel,
  height = 170,
  width = 360,
  testId,
  xFormat = fmt,
  dashed = [],
  xTickValues,
  xDomain,
  yFromZero = false,
}: {
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  height?: number;
  /** drawing width in viewBox units; the SVG always fills its container's width */
  width?: number;
  testId?: string;
  /** x tick and tooltip labels (e.g. times for a series over time) */
  xFormat?: (x: number) => string;
  /** names of series drawn dashed (references such as a training value) */
  dashed?: string[];
  /** x ticks to use instead of round numbers (e.g. whole hours) */
  xTickValues?: (min: number, max: number) => number[];
  /** the x range drawn (default: the points' extent) */
  xDomain?: [number, number];
  /** a y axis starting at 0 (counts, rates, latencies: never negative) */
  yFromZero?: boolean;
}) {
  const [box, W] = useChartWidth(width);
  const pts = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  const f: Frame = { width: W, height, left: 44, right: 10, top: 18, bottom: xLabel ? 28 : 18 };
  if (pts.length === 0) {
    return (
      <div ref={box} className="kiln-chart kiln-chart-empty" data-testid={testId} style={{ minHeight: height / 2 }}>
        no points yet
      </div>
    );
  }
  const [xmin, xmax] = xDomain ?? extent(pts.map((p) => p.x));
  const [ymin, ymax] = yFromZero ? [0, Math.max(...pts.map((p) => p.y)) * 1.05 || 1] : extent(pts.map((p) => p.y), 0.05);
  const sx = linear(xmin, xmax, f.left, W - f.right);
  const sy = linear(ymin, ymax, height - f.bottom, f.top);
  // Epochs, steps and counts are whole numbers: no tick at 2.5.
  const wholeX = pts.every((p) => Number.isInteger(p.x));
  const xTicks = (xTickValues ? xTickValues(xmin, xmax) : niceTicks(xmin, xmax, 6)).filter((t) => t >= xmin && t <= xmax && (xTickValues !== undefined || !wholeX || Number.isInteger(t)));
  const yTicks = niceTicks(ymin, ymax, 4).filter((t) => t >= ymin && t <= ymax);
  const many = pts.length > 400;
  return (
    <div ref={box} className="kiln-chart-box">
    <svg className="kiln-chart" data-testid={testId} viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={`${yLabel ?? 'y'} by ${xLabel ?? 'x'}`}>
      <Axes f={f} xTicks={xTicks} yTicks={yTicks} sx={sx} sy={sy} xLabel={xLabel} yLabel={yLabel} xFormat={xFormat} />
      {series.map((s, i) => {
        const color = s.color ?? PALETTE[i % PALETTE.length];
        const ps = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
        const d = ps.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
        return (
          <g key={s.name}>
            <path d={d} fill="none" stroke={color} strokeWidth={1.5} strokeDasharray={dashed.includes(s.name) ? '5 4' : undefined} />
            {ps.map((p, j) => (
              <circle key={j} className="kiln-pt" cx={sx(p.x)} cy={sy(p.y)} r={many ? 1 : 2.2} fill={color}>
                <title>{`${s.name}: ${xLabel ?? 'x'} ${xFormat(p.x)} → ${fmt(p.y)}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
      <g fontSize={10}>
        {series.map((s, i) => {
          const x = f.left + 8 + i * 90;
          return (
            <g key={s.name} transform={`translate(${x} 8)`}>
              <rect width={10} height={3} y={-2} fill={s.color ?? PALETTE[i % PALETTE.length]} />
              <text x={14} dy="0.32em" fill="currentColor">
                {s.name.length > 12 ? `${s.name.slice(0, 11)}…` : s.name}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
    </div>
  );
}
