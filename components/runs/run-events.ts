/** Turning a run's event stream into chart series and log lines. */
import type { Anomaly } from '../../lib/sketch/anomalies';

export interface RunEventLike {
  id: number;
  attempt: number;
  seq: number;
  type: string;
  payload?: unknown;
  createdAt: string | Date;
}

/** The data validation recorded before the run trained (training/serving skew), from its `validation` event. */
export interface RunValidation {
  model: string;
  version: number;
  input: string;
  datasetId: string;
  anomalies: Anomaly[];
}

export function runValidation(events: readonly RunEventLike[]): RunValidation | null {
  const e = events.find((x) => x.type === 'validation');
  const p = e?.payload as RunValidation | undefined;
  return p && Array.isArray(p.anomalies) ? p : null;
}

export interface EpochPoint {
  epoch: number;
  loss: number | null;
  valLoss: number | null;
}

/** Per-epoch losses of the latest attempt, per training node (a retried run restarts its curve). */
export function epochSeries(events: readonly RunEventLike[]): Map<string, EpochPoint[]> {
  const last = events.reduce((m, e) => Math.max(m, e.attempt), 0);
  const out = new Map<string, EpochPoint[]>();
  for (const e of events) {
    if (e.type !== 'epoch' || e.attempt !== last) continue;
    const p = e.payload as { nodeId?: string; metrics?: { epoch?: number; loss?: number; valLoss?: number } };
    const m = p.metrics;
    if (!m || typeof m.epoch !== 'number') continue;
    const node = p.nodeId ?? 'train';
    const arr = out.get(node) ?? [];
    arr.push({ epoch: m.epoch, loss: num(m.loss), valLoss: num(m.valLoss) });
    out.set(node, arr);
  }
  return out;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

export interface LogLine {
  id: number;
  at: string | Date;
  attempt: number;
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** Log lines, node failures and node timings, in arrival order. */
export function logLines(events: readonly RunEventLike[]): LogLine[] {
  const out: LogLine[] = [];
  for (const e of events) {
    const p = (e.payload ?? {}) as { nodeId?: string; kind?: string; message?: string; level?: string; ms?: number; cached?: boolean };
    const base = { id: e.id, at: e.createdAt, attempt: e.attempt };
    if (e.type === 'log') out.push({ ...base, level: p.level === 'warn' ? 'warn' : 'info', text: `[${p.nodeId ?? '?'}] ${p.message ?? ''}` });
    else if (e.type === 'node-error') out.push({ ...base, level: 'error', text: `[${p.nodeId ?? '?'}] ${p.kind ?? ''} failed: ${p.message ?? ''}` });
    else if (e.type === 'node-finish') out.push({ ...base, level: 'info', text: `[${p.nodeId ?? '?'}] ${p.kind ?? ''} finished in ${typeof p.ms === 'number' ? p.ms.toFixed(0) : '?'} ms${p.cached ? ' (cached)' : ''}` });
  }
  return out;
}
