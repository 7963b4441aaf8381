import { fmt, thinLabels } from './scale';

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** X and Y axes with tick labels (thinned so they never overlap) and optional axis titles. */
export function Axes({
  f,
  xTicks,
  yTicks,
  sx,
  sy,
  xLabel,
  yLabel,
  xFormat = fmt,
}: {
  f: Frame;
  xTicks: number[];
  yTicks: number[];
  sx: (v: number) => number;
  sy: (v: number) => number;
  xLabel?: string;
  yLabel?: string;
  xFormat?: (v: number) => string;
}) {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  const xs = thinLabels(xTicks, x1 - x0, 44);
  const ys = thinLabels(yTicks, y0 - y1, 16);
  return (
    <g className="kiln-axes" fontSize={10} fill="currentColor">
      {ys.map((t) => (
        <g key={`y${t}`}>
          <line x1={x0} x2={x1} y1={sy(t)} y2={sy(t)} stroke="currentColor" strokeOpacity={0.1} />
          <text x={x0 - 4} y={sy(t)} dy="0.32em" textAnchor="end">
            {fmt(t)}
          </text>
        </g>
      ))}
      {xs.map((t) => (
        <text key={`x${t}`} x={sx(t)} y={y0 + 12} textAnchor="middle">
          {xFormat(t)}
        </text>
      ))}
      <line x1={x0} x2={x1} y1={y0} y2={y0} stroke="currentColor" strokeOpacity={0.4} />
      <line x1={x0} x2={x0} y1={y0} y2={y1} stroke="currentColor" strokeOpacity={0.4} />
      {xLabel && (
        <text x={(x0 + x1) / 2} y={f.height - 2} textAnchor="middle" fillOpacity={0.7}>
          {xLabel}
        </text>
      )}
      {yLabel && (
        <text transform={`translate(9 ${(y0 + y1) / 2}) rotate(-90)`} textAnchor="middle" fillOpacity={0.7}>
          {yLabel}
        </text>
      )}
    </g>
  );
}
