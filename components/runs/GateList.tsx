import type { CSSProperties } from 'react';
import { fmtNum } from './format';

/** A metric gate as the evaluate node records it (JSON-safe). */
export interface GateRow {
  expr: string;
  passed: boolean;
  value?: number | null;
  metric?: string;
}

/** The recorded gates of a run or model version; anything not an array is none. */
export function recordedGates(gates: unknown): GateRow[] {
  return (Array.isArray(gates) ? gates : []) as GateRow[];
}

/** Each gate as a pass/fail badge, its expression and the value it was checked on. */
export function GateList({ gates, className, style }: { gates: GateRow[]; className?: string; style?: CSSProperties }) {
  return (
    <ul className={className} style={style}>
      {gates.map((g, i) => (
        <li key={i}>
          <span className={`badge ${g.passed ? 'pass' : 'fail'}`}>{g.passed ? 'pass' : 'fail'}</span> <code>{g.expr}</code>
          {typeof g.value === 'number' && <span className="muted"> ({g.metric ?? 'value'} = {fmtNum(g.value)})</span>}
        </li>
      ))}
    </ul>
  );
}
