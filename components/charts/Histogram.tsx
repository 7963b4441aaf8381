'use client';

import { Axes, type Frame } from './Axes';
import { fmt, linear, niceTicks } from './scale';
import './charts.css';
import { useChartWidth } from './useChartWidth';


/** Histogram of `counts` over bins bounded by `edges` (edges.length = counts.length + 1). */
export function Histogram({ edges, counts, height = 120, label }: { edges: number[]; counts: number[]; height?: number; label?: string }) {
  const [box, W] = useChartWidth(320);
  if (!counts.length || edges.length !== counts.length + 1) {
    return <div ref={box} className="kiln-chart kiln-chart-empty">no values to plot</div>;
  }
  const f: Frame = { width: W, height, left: 36, right: 8, top: 8, bottom: label ? 28 : 18 };
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  const top = Math.max(1, ...counts);
  const sx = linear(lo, hi === lo ? lo + 1 : hi, f.left, W - f.right);
  const sy = linear(0, top, height - f.bottom, f.top);
  const xTicks = niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi);
  const yTicks = niceTicks(0, top, 3).filter((t) => t <= top && Number.isInteger(t));
  return (
    <div ref={box} className="kiln-chart-box">
    <svg className="kiln-chart" viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={label ? `histogram of ${label}` : 'histogram'}>
      <Axes f={f} xTicks={xTicks} yTicks={yTicks} sx={sx} sy={sy} xLabel={label} />
      {counts.map((c, i) => {
        const x0 = sx(edges[i]!);
        const x1 = sx(edges[i + 1]!);
        return (
          <rect key={i} className="kiln-bar" x={x0 + 0.5} width={Math.max(0.5, x1 - x0 - 1)} y={sy(c)} height={sy(0) - sy(c)}>
            <title>{`[${fmt(edges[i]!)}, ${fmt(edges[i + 1]!)}): ${c}`}</title>
          </rect>
        );
      })}
    </svg>
    </div>
  );
}
