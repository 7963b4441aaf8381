'use client';

import { fmt, linear, niceTicks, thinLabels } from './scale';
import './charts.css';
import { useChartWidth } from './useChartWidth';

export interface PairedBin {
  label: string;
  /** shares of each side's total (0..1) */
  a: number;
  b: number;
  /** raw counts, for the tooltip */
  aCount: number;
  bCount: number;
}

/**
 * Two distributions on the same bins, side by side in each bin (as shares, so sides of
 * different sizes compare): a reference and a current window, for instance.
 */
export function PairedHistogram({ bins, names, height = 150, testId }: { bins: PairedBin[]; names: [string, string]; height?: number; testId?: string }) {
  const [box, W] = useChartWidth(360);
  if (!bins.length) {
    return (
      <div ref={box} className="kiln-chart kiln-chart-empty" data-testid={testId}>
        no values to plot
      </div>
    );
  }
  const left = 36;
  const right = 6;
  const top = 16;
  const bottom = 30;
  const top1 = Math.max(0.01, ...bins.map((x) => Math.max(x.a, x.b)));
  const sy = linear(0, top1, height - bottom, top);
  const slot = (W - left - right) / bins.length;
  const bar = Math.max(1, slot * 0.4);
  const yTicks = niceTicks(0, top1, 3).filter((t) => t <= top1);
  const labels = new Set(thinLabels(bins.map((_, i) => i), W - left - right, 56));
  const colors = ['#64748b', '#ea580c'];
  return (
    <div ref={box} className="kiln-chart-box">
      <svg className="kiln-chart" data-testid={testId} viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={`${names[0]} and ${names[1]} histograms`}>
        <g fontSize={10} fill="currentColor">
          {yTicks.map((t) => (
            <g key={t}>
              <line x1={left} x2={W - right} y1={sy(t)} y2={sy(t)} stroke="currentColor" strokeOpacity={0.1} />
              <text x={left - 4} y={sy(t)} dy="0.32em" textAnchor="end">
                {`${fmt(t * 100)}%`}
              </text>
            </g>
          ))}
          <line x1={left} x2={W - right} y1={height - bottom} y2={height - bottom} stroke="currentColor" strokeOpacity={0.4} />
        </g>
        {bins.map((x, i) => {
          const x0 = left + i * slot + (slot - 2 * bar) / 2;
          return (
            <g key={`${x.label}-${i}`}>
              <rect x={x0} width={bar} y={sy(x.a)} height={sy(0) - sy(x.a)} fill={colors[0]} fillOpacity={0.8}>
                <title>{`${x.label} — ${names[0]}: ${x.aCount} (${fmt(x.a * 100)}%)`}</title>
              </rect>
              <rect x={x0 + bar} width={bar} y={sy(x.b)} height={sy(0) - sy(x.b)} fill={colors[1]} fillOpacity={0.8}>
                <title>{`${x.label} — ${names[1]}: ${x.bCount} (${fmt(x.b * 100)}%)`}</title>
              </rect>
              {labels.has(i) && (
                <text x={left + i * slot + slot / 2} y={height - bottom + 12} fontSize={10} textAnchor="middle" fill="currentColor">
                  {x.label.length > 10 ? `${x.label.slice(0, 9)}…` : x.label}
                </text>
              )}
            </g>
          );
        })}
        <g fontSize={10}>
          {names.map((n, i) => (
            <g key={n} transform={`translate(${left + 8 + i * 110} 7)`}>
              <rect width={10} height={8} y={-4} fill={colors[i]} />
              <text x={14} dy="0.32em" fill="currentColor">
                {n}
              </text>
            </g>
          ))}
        </g>
      </svg>
    </div>
  );
}
