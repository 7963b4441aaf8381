'use client';

import { fmt } from './scale';
import './charts.css';
import { useChartWidth } from './useChartWidth';


/** Horizontal bars, one row per label (labels never overlap: each bar has its own row). */
export function BarChart({ bars, height }: { bars: { label: string; value: number }[]; height?: number }) {
  const [box, W] = useChartWidth(320);
  if (!bars.length) return <div ref={box} className="kiln-chart kiln-chart-empty">nothing to plot</div>;
  const row = 16;
  const h = height ?? bars.length * row + 8;
  const rowH = (h - 8) / bars.length;
  const maxAbs = Math.max(1e-12, ...bars.map((b) => Math.abs(b.value)).filter(Number.isFinite));
  const labelW = 96;
  const valueW = 44;
  const span = W - labelW - valueW - 8;
  return (
    <div ref={box} className="kiln-chart-box">
    <svg className="kiln-chart" viewBox={`0 0 ${W} ${h}`} width="100%" role="img" aria-label="bar chart">
      {bars.map((b, i) => {
        const y = 4 + i * rowH;
        const w = Number.isFinite(b.value) ? (Math.abs(b.value) / maxAbs) * span : 0;
        const label = b.label.length > 16 ? `${b.label.slice(0, 15)}…` : b.label;
        return (
          <g key={`${b.label}-${i}`} fontSize={Math.min(10, rowH * 0.8)}>
            <title>{`${b.label}: ${b.value}`}</title>
            <text x={labelW - 4} y={y + rowH / 2} dy="0.32em" textAnchor="end" fill="currentColor">
              {label}
            </text>
            <rect className={b.value < 0 ? 'kiln-bar kiln-bar-neg' : 'kiln-bar'} x={labelW} y={y + rowH * 0.15} width={w} height={rowH * 0.7} />
            <text x={labelW + w + 4} y={y + rowH / 2} dy="0.32em" fill="currentColor" fillOpacity={0.8}>
              {fmt(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
    </div>
  );
}
