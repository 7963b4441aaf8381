'use client';

import { Axes, type Frame } from './Axes';
import { linear, PALETTE } from './scale';
import type { RocCurve } from './roc';
import './charts.css';
import { useChartWidth } from './useChartWidth';


/** ROC curves (one-vs-rest) with the chance diagonal; the legend gives each class's AUC. */
export function RocChart({ curves, height = 200, testId }: { curves: RocCurve[]; height?: number; testId?: string }) {
  const [box, W] = useChartWidth(260);
  if (!curves.length) return <div ref={box} className="kiln-chart kiln-chart-empty" data-testid={testId}>ROC needs test rows of at least two classes</div>;
  const f: Frame = { width: W, height, left: 48, right: 8, top: 8, bottom: 30 };
  const sx = linear(0, 1, f.left, W - f.right);
  const sy = linear(0, 1, height - f.bottom, f.top);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  // Legend in the plot's lower right, where good curves leave room.
  const shown = curves.slice(0, Math.max(1, Math.floor((height - f.top - f.bottom) / 2 / 13)));
  const legendTop = height - f.bottom - 6 - shown.length * 13;
  return (
    <div ref={box} className="kiln-chart-box">
    <svg className="kiln-chart" data-testid={testId} viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label="ROC curves">
      <Axes f={f} xTicks={ticks} yTicks={ticks} sx={sx} sy={sy} xLabel="false positive rate" yLabel="true positive rate" />
      <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} stroke="currentColor" strokeOpacity={0.3} strokeDasharray="4 3" />
      {curves.map((c, i) => (
        <path key={c.label} d={c.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('')} fill="none" stroke={PALETTE[i % PALETTE.length]} strokeWidth={1.5}>
          <title>{`${c.label}: AUC ${c.auc.toFixed(3)}`}</title>
        </path>
      ))}
      <g fontSize={10}>
        <rect x={W - f.right - 104} y={legendTop} width={100} height={shown.length * 13 + 6} rx={3} fill="#fff" fillOpacity={0.85} />
        {shown.map((c, i) => (
          <g key={c.label} transform={`translate(${W - f.right - 100} ${legendTop + 6 + i * 13})`}>
            <rect width={10} height={3} y={-2} fill={PALETTE[i % PALETTE.length]} />
            <text x={14} dy="0.32em" fill="currentColor">
              <title>{c.label}</title>
              {`${c.label.length > 10 ? `${c.label.slice(0, 9)}…` : c.label} ${c.auc.toFixed(2)}`}
            </text>
          </g>
        ))}
      </g>
    </svg>
    </div>
  );
}
