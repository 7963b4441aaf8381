/**
 * `kiln monitor ENDPOINT` (the monitoring report) and `kiln feedback ENDPOINT --input FILE`
 * (actual outcomes for prediction ids), both against the control plane with the stored login.
 */
import { readFile } from 'node:fs/promises';
import { KilnError } from '../../lib/errors';
import { parseCsv } from '../../lib/data/csv';
import { parseJsonRecords } from '../../lib/data/json';
import { rowRef, type RawValue } from '../../lib/data/raw';
import { MAX_LOG_BATCH, type FeedbackItem } from '../serving/log-protocol';
import type { MonitoringReport } from '../monitoring/report';
import { client, guarded, type Common, type IO } from './registry';

export interface MonitorOptions extends Common {
  window: string;
  reference: string;
  /** the window's end (ISO 8601; default now) */
  until?: string;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
const metricLine = (m: Record<string, number> | null) => (m ? Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') : '—');

/** `kiln monitor ENDPOINT [--window 24h] [--reference training|WINDOW] [--json]`. */
export function monitorCommand(endpoint: string, o: MonitorOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const r: MonitoringReport = await client(o.server).monitoring.report.query({ name: endpoint, window: o.window, reference: o.reference, ...(o.until ? { until: o.until } : {}) });
    if (o.json) {
      io.out(`${JSON.stringify({ endpoint: r.endpoint, window: r.window, requests: r.requests, versions: r.versions, metrics: r.metrics, drift: r.drift, anomalies: r.anomalies, alerts: r.alerts, traffic: r.traffic })}\n`);
      return 0;
    }
    const ref = r.drift.reference === 'training' ? 'the training data' : `${r.drift.reference.start} – ${r.drift.reference.end}`;
    io.out(`${r.endpoint}: ${r.requests} logged prediction${r.requests === 1 ? '' : 's'} ${r.window.start} – ${r.window.end}\n`);
    const t = r.traffic;
    io.out(`  traffic: ${t.requests} request${t.requests === 1 ? '' : 's'}${t.errorRate !== null ? `, error rate ${fmt(t.errorRate)}` : ''}${t.latency ? `, latency p50 ${fmt(t.latency.p50)} ms p99 ${fmt(t.latency.p99)} ms` : ''}\n`);
    io.out(`  live (${r.metrics.labelled} labelled): ${metricLine(r.metrics.live)}\n  training: ${metricLine(r.metrics.training)}\n  baseline: ${metricLine(r.metrics.baseline)}\n`);
    io.out(`  drift against ${ref}: share ${fmt(r.drift.share)}${r.drift.drifted ? ' (DRIFTED)' : ''}\n`);
    for (const f of [...r.drift.features, ...(r.drift.prediction ? [{ ...r.drift.prediction, name: `${r.drift.prediction.name} (prediction)` }] : [])]) {
      io.out(`    ${f.drifted ? '✗' : '✓'} ${f.name}: ${f.method} ${fmt(f.statistic)}${f.pValue !== undefined ? ` p=${fmt(f.pValue)}` : ''} (threshold ${f.threshold})\n`);
    }
    const codes = Object.entries(r.anomalies);
    if (codes.length) io.out(`  anomalies: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}\n`);
    if (r.alerts.length) io.out(`  alerts:\n${r.alerts.map((a) => `    ${a.state === 'firing' ? '✗ FIRING' : a.state === 'resolved' ? '✓' : '·'} ${a.rule} (since ${a.since}): ${a.message}\n`).join('')}`);
    return 0;
  });
}

export interface FeedbackOptions extends Common {
  input: string;
  /** the column holding the actual outcome (default: `actual`, else the one column besides `id`) */
  target?: string;
}

/**
 * Reads `id` + actual-outcome pairs from a CSV or JSON records file. A number-looking CSV cell is
 * a number (a regression target); anything else stays text (a class label).
 * @throws KilnError naming the file and the row of the first bad line.
 */
export function readFeedbackFile(text: string, file: string, target?: string): FeedbackItem[] {
  const raw = /\.json$/i.test(file) ? parseJsonRecords(text, file) : parseCsv(text, file);
  const idCol = raw.header.indexOf('id');
  if (idCol < 0) throw new KilnError('BAD_INPUT', `${file}: no "id" column (columns: ${raw.header.join(', ')})`, { file });
  const others = raw.header.filter((h) => h !== 'id');
  const name = target ?? (others.includes('actual') ? 'actual' : others.length === 1 ? others[0]! : undefined);
  if (name === undefined) throw new KilnError('BAD_INPUT', `${file}: which column is the actual outcome? Give --target (columns besides id: ${others.join(', ') || 'none'})`, { file });
  const col = raw.header.indexOf(name);
  if (col < 0) throw new KilnError('BAD_INPUT', `${file}: no column "${name}" (columns: ${raw.header.join(', ')})`, { file, column: name });
  return raw.rows.map((row, i) => {
    const where = () => `${file} ${rowRef(raw, i).label}`;
    const id = row[idCol];
    if (id === null || id === undefined || String(id).trim() === '') throw new KilnError('BAD_INPUT', `${where()}: "id" is empty`, { file, column: 'id' });
    const v: RawValue = row[col];
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) throw new KilnError('BAD_INPUT', `${where()}: "${name}" is empty`, { file, column: name });
    const actual = typeof v === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v) ? Number(v) : v;
    return { id: String(id), actual };
  });
}

/** `kiln feedback ENDPOINT --input labels.csv|json`: posts in batches; exit 0 even with unknown ids, which are reported. */
export function feedbackCommand(endpoint: string, o: FeedbackOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const text = await readFile(o.input, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new KilnError('BAD_INPUT', `${o.input}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { file: o.input });
    });
    const items = readFeedbackFile(text, o.input, o.target);
    const api = client(o.server);
    const total = { accepted: 0, unknown: 0, unknownIds: [] as string[] };
    for (let i = 0; i < items.length; i += MAX_LOG_BATCH) {
      const r = await api.monitoring.feedback.mutate({ name: endpoint, feedback: items.slice(i, i + MAX_LOG_BATCH) });
      total.accepted += r.accepted;
      total.unknown += r.unknown;
      total.unknownIds.push(...r.unknownIds.slice(0, Math.max(0, 10 - total.unknownIds.length)));
    }
    if (o.json) io.out(`${JSON.stringify({ endpoint, ...total })}\n`);
    else {
      io.out(`${endpoint}: ${total.accepted} actual outcome${total.accepted === 1 ? '' : 's'} stored\n`);
      if (total.unknown) io.err(`kiln: ${total.unknown} unknown prediction id${total.unknown === 1 ? '' : 's'} (not logged, not sampled, or pruned): ${total.unknownIds.join(', ')}${total.unknown > total.unknownIds.length ? ', …' : ''}\n`);
    }
    return 0;
  });
}
