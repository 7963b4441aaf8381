/**
 * The monitoring report of an endpoint over a window: requests, live metrics from joined
 * feedback per model version next to the version's training metrics and the historical-average
 * baseline, drift of every input and of the prediction against a reference (the training data by
 * default, or the window before this one), and soft anomalies by code. The statistics are
 * lib/sketch's and lib/metrics' — the same code the studio and the runner use.
 *
 * The window's whole hours come from the hourly rollup of the prediction log made at ingest
 * (./rollup.ts: mergeable sketches per endpoint, version and hour); only the partial hours at the
 * window's edges are read row by row, and for live metrics only the rows with feedback. Memory
 * stays bounded by the pairs that have feedback, not by the window's traffic.
 */
import { and, asc, eq, gte, lt, not, sql, type SQL } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { classificationMetrics, regressionMetrics, UNKNOWN_CLASS } from '../../lib/metrics';
import type { Manifest } from '../../lib/package/manifest';
import { columnDrift, datasetDrift, type DriftOptions, type DriftResult } from '../../lib/sketch/drift';
import type { ColumnSketch, TableSketch } from '../../lib/sketch/table-sketch';
import type { Db } from '../db/client';
import { predictionFeedback, predictionRollup, predictions } from '../db/schema';
import { getEndpoint } from '../registry/endpoints';
import { getVersion } from '../registry/registry';
import type { ArtifactStore } from '../storage/types';
import { listAlertRules } from './alert-rules';
import { trainingReference } from './reference';
import { requestSeries, type RequestSummary } from './request-stats';
import { HOUR, predictedValue, schemaKeyOf, WindowSketch } from './rollup';

/** Rows read per page. */
const PAGE = 5000;

export interface FeatureDrift {
  name: string;
  method: DriftResult['method'];
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  approximate: boolean;
}

export type Metrics = Record<string, number>;

export interface MonitoringReport {
  endpoint: string;
  window: { start: string; end: string };
  /** logged predictions in the window */
  requests: number;
  versions: { version: number; requests: number; labelled: number; live: Metrics | null; training: Metrics }[];
  metrics: {
    /** over every labelled prediction of the window (all versions) */
    live: Metrics | null;
    /** the metrics the endpoint's current version had at training */
    training: Metrics;
    /** regression: predicting the training target's mean for the same labelled rows */
    baseline: Metrics | null;
    /** predictions with feedback */
    labelled: number;
  };
  drift: {
    /** what the window is compared with: the training data, or the window just before */
    reference: 'training' | { start: string; end: string };
    share: number;
    shareThreshold: number;
    drifted: boolean;
    features: FeatureDrift[];
    /** the prediction against the reference's target (training) or predictions (window) */
    prediction: FeatureDrift | null;
    /** inputs with no values on a side */
    skipped: string[];
  };
  anomalies: Record<string, number>;
  /** the endpoint's alert rules with their state now (./alert-rules.ts; `pending` until first evaluated) */
  alerts: { rule: string; state: 'firing' | 'resolved' | 'pending'; since: string; message: string }[];
  /** every answer in the window (failed and unsampled ones too), from serving's request statistics */
  traffic: Omit<RequestSummary, 'start'>;
}

export interface ReportOptions {
  endpoint: string;
  windowMs: number;
  /** `training` (default) or the length of the window just before this one */
  reference?: 'training' | { windowMs: number };
  now?: Date;
  drift?: DriftOptions;
  /** false: read every logged row of the windows raw instead of the hourly rollup (the benchmark's and tests' peer; same numbers) */
  rollup?: boolean;
}

interface WindowScan {
  requests: number;
  inputs: TableSketch;
  prediction: ColumnSketch;
  anomalies: Record<string, number>;
  /** labelled pairs per version */
  labelled: Map<number, { actual: unknown[]; output: unknown[] }>;
  perVersion: Map<number, number>;
}

/**
 * The report. @throws KilnError `ENDPOINT_NOT_FOUND`, `ENDPOINT_BAD_TARGET` (no version to
 * compare against), `NOT_FOUND` (the version's training data is gone).
 */
export async function monitoringReport(db: Db, store: ArtifactStore, o: ReportOptions): Promise<MonitoringReport> {
  const ep = await getEndpoint(db, o.endpoint);
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${o.endpoint}"`, { param: 'endpoint' });
  if (ep.defaultVersion === null) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${o.endpoint}" resolves to no version`, { param: 'endpoint' });
  const v = await getVersion(db, ep.model, ep.defaultVersion);
  if (!v) throw new KilnError('ENDPOINT_BAD_TARGET', `endpoint "${o.endpoint}": v${ep.defaultVersion} of "${ep.model}" is gone`, { param: 'endpoint' });
  const ref = await trainingReference(db, store, v);
  const m = ref.manifest;
  const end = o.now ?? new Date();
  const start = new Date(end.getTime() - o.windowMs);
  const cur = await scan(db, ep.id, m, start, end, { rollup: o.rollup });

  let refInputs: TableSketch = ref.inputs;
  let refPrediction: ColumnSketch | null = ref.target?.columns[0] ?? null;
  let reference: MonitoringReport['drift']['reference'] = 'training';
  if (o.reference && o.reference !== 'training') {
    const rEnd = start;
    const rStart = new Date(rEnd.getTime() - o.reference.windowMs);
    const r = await scan(db, ep.id, m, rStart, rEnd, { rollup: o.rollup });
    refInputs = r.inputs;
    refPrediction = r.prediction;
    reference = { start: rStart.toISOString(), end: rEnd.toISOString() };
  }

  // The endpoint's own drift settings, then the caller's on top (per method, per feature).
  const endpointDrift = ep.monitoring.drift;
  const driftOptions: DriftOptions = {
    columns: { ...endpointDrift.columns, ...o.drift?.columns },
    thresholds: { ...endpointDrift.thresholds, ...o.drift?.thresholds },
    ...((o.drift?.shareThreshold ?? endpointDrift.shareThreshold) !== undefined ? { shareThreshold: o.drift?.shareThreshold ?? endpointDrift.shareThreshold } : {}),
  };
  const drift = datasetDrift(refInputs, cur.inputs, driftOptions);
  let prediction: FeatureDrift | null = null;
  if (refPrediction && count(refPrediction) > 0 && count(cur.prediction) > 0) {
    prediction = featureDrift(columnDrift({ ...refPrediction, name: m.target }, cur.prediction, { ...driftOptions.columns?.[m.target], thresholds: driftOptions.thresholds }));
  }

  const trainingOf = async (version: number): Promise<Metrics> => {
    const mv = version === v.version ? v : await getVersion(db, ep.model, version);
    return finiteOnly(mv?.metrics ?? {});
  };
  const all = { actual: [] as unknown[], output: [] as unknown[] };
  const versions: MonitoringReport['versions'] = [];
  for (const [version, requests] of [...cur.perVersion].sort((a, b) => a[0] - b[0])) {
    const pairs = cur.labelled.get(version) ?? { actual: [], output: [] };
    all.actual.push(...pairs.actual);
    all.output.push(...pairs.output);
    versions.push({ version, requests, labelled: pairs.actual.length, live: liveMetrics(m, pairs), training: await trainingOf(version) });
  }
  const { start: _s, ...traffic } = (await requestSeries(db, ep.name, { start, end })).total;
  const stored = m.trainingStats.target;
  const targetMean = ref.target?.columns[0]?.numeric?.mean ?? (stored && stored.type !== 'categorical' ? stored.mean : null);
  return {
    endpoint: ep.name,
    window: { start: start.toISOString(), end: end.toISOString() },
    requests: cur.requests,
    versions,
    metrics: {
      live: liveMetrics(m, all),
      training: await trainingOf(v.version),
      baseline: m.task === 'regression' && targetMean !== null ? liveMetrics(m, { actual: all.actual, output: all.actual.map(() => ({ prediction: targetMean })) }) : null,
      labelled: all.actual.length,
    },
    drift: { reference, share: drift.share, shareThreshold: drift.shareThreshold, drifted: drift.drifted, features: drift.columns.map(featureDrift), prediction, skipped: drift.skipped },
    anomalies: cur.anomalies,
    alerts: (await listAlertRules(db, ep.name)).map((a) => ({ rule: a.rule, state: a.state, since: a.since, message: a.message })),
    traffic,
  };
}

function featureDrift(d: DriftResult): FeatureDrift {
  return { name: d.column, method: d.method, statistic: d.statistic, ...(d.pValue !== undefined ? { pValue: d.pValue } : {}), threshold: d.threshold, drifted: d.drifted, approximate: d.approximate };
}

function count(c: ColumnSketch): number {
  return c.numeric ? c.numeric.count : c.categorical!.count;
}

export function finiteOnly(x: Record<string, number | null>): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(x)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * The window's logged predictions as sketches and labelled pairs. Whole hours inside the window
 * come from the hourly rollup (./rollup.ts); raw rows are read only for the partial hours at the
 * edges, for rows not rolled up (logged before the rollup existed, or whose package could not be
 * read at ingest), and for hours rolled up with another schema than the current version's. The
 * labelled pairs come from predictions joined to feedback (an inner join: only labelled rows), in
 * row order as before, so the live metrics add up in the same order. `rollup: false` reads every
 * row raw (the benchmark's and the tests' peer).
 */
export async function scan(db: Db, endpointId: string, m: Manifest, start: Date, end: Date, opts: { rollup?: boolean } = {}): Promise<WindowScan> {
  const acc = new WindowSketch(m);
  const inWindow = and(eq(predictions.endpointId, endpointId), gte(predictions.time, start), lt(predictions.time, end))!;
  const hStart = Math.ceil(start.getTime() / HOUR) * HOUR;
  const hEnd = Math.floor(end.getTime() / HOUR) * HOUR;
  if (opts.rollup === false || hStart >= hEnd) await scanRaw(db, acc, inWindow);
  else {
    const [h0, h1] = [new Date(hStart), new Date(hEnd)];
    const ofEndpoint = eq(predictions.endpointId, endpointId);
    await scanRaw(db, acc, and(ofEndpoint, gte(predictions.time, start), lt(predictions.time, h0))!);
    await scanRaw(db, acc, and(ofEndpoint, gte(predictions.time, h1), lt(predictions.time, end))!);
    await scanRaw(db, acc, and(ofEndpoint, gte(predictions.time, h0), lt(predictions.time, h1), not(predictions.rolledUp))!);
    const key = schemaKeyOf(m);
    const rollups = await db
      .select()
      .from(predictionRollup)
      .where(and(eq(predictionRollup.endpointId, endpointId), gte(predictionRollup.hour, h0), lt(predictionRollup.hour, h1)))
      .orderBy(asc(predictionRollup.hour), asc(predictionRollup.version));
    for (const r of rollups) {
      if (r.schemaKey === key) acc.merge(r.version, r, `rollup of v${r.version} at ${r.hour.toISOString()}`);
      else {
        // Sketched with another version's schema: this hour of that version is read raw.
        const hourEnd = new Date(r.hour.getTime() + HOUR);
        await scanRaw(db, acc, and(ofEndpoint, eq(predictions.version, r.version), gte(predictions.time, r.hour), lt(predictions.time, hourEnd), predictions.rolledUp)!);
      }
    }
  }
  // Driven from the feedback: one primary-key lookup per labelled row (OFFSET 0 keeps the lateral
  // subquery from being flattened into a join that walks every prediction of the window).
  const res = await db.execute(sql`
    SELECT p.version, p.outputs, f.actual
    FROM ${predictionFeedback} f
    CROSS JOIN LATERAL (
      SELECT ${predictions.id} AS id, ${predictions.version} AS version, ${predictions.outputs} AS outputs
      FROM ${predictions}
      WHERE ${predictions.id} = f.prediction_row_id AND ${predictions.endpointId} = ${endpointId}
        AND ${predictions.time} >= ${start.toISOString()}::timestamptz AND ${predictions.time} < ${end.toISOString()}::timestamptz
      OFFSET 0
    ) p
    ORDER BY p.id`);
  const rows = (res as unknown as { rows: { version: number; outputs: unknown; actual: unknown }[] }).rows;
  const labelled = new Map<number, { actual: unknown[]; output: unknown[] }>();
  for (const r of rows) {
    if (r.actual === null || r.actual === undefined) continue;
    let pairs = labelled.get(r.version);
    if (!pairs) labelled.set(r.version, (pairs = { actual: [], output: [] }));
    pairs.actual.push(r.actual);
    pairs.output.push(r.outputs);
  }
  return { requests: acc.requests, inputs: acc.inputs(), prediction: acc.prediction, anomalies: acc.anomalies, labelled, perVersion: acc.perVersion };
}

/**
 * Streams the logged predictions matching `where` into `acc`, in keyset pages by (time, id): the
 * (endpoint, time) index serves it, where an `ORDER BY id` lets the planner walk the whole table
 * in id order looking for a window's few rows.
 */
async function scanRaw(db: Db, acc: WindowSketch, where: SQL): Promise<void> {
  let after: { time: Date; row: number } | null = null;
  for (;;) {
    const rows: { row: number; time: Date; version: number; inputs: unknown; outputs: unknown; anomalies: { code: string; column: string }[] }[] = await db
      .select({ row: predictions.id, time: predictions.time, version: predictions.version, inputs: predictions.inputs, outputs: predictions.outputs, anomalies: predictions.anomalies })
      .from(predictions)
      .where(after ? and(where, sql`(${predictions.time}, ${predictions.id}) > (${after.time.toISOString()}::timestamptz, ${after.row})`) : where)
      .orderBy(asc(predictions.time), asc(predictions.id))
      .limit(PAGE);
    for (const r of rows) acc.add(r);
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { time: last.time, row: last.row };
  }
}

/**
 * The task's metrics over labelled pairs (null when none): R², RMSE, MAE, MAPE for regression;
 * accuracy, macro F1, log loss (and AUC) for classification. Pairs whose actual or prediction
 * cannot be read (a text actual for a regression, a missing prediction) are left out.
 */
export function liveMetrics(m: Manifest, pairs: { actual: unknown[]; output: unknown[] }): Metrics | null {
  if (m.task === 'regression') {
    const yTrue: number[] = [];
    const yPred: number[] = [];
    pairs.actual.forEach((a, i) => {
      const t = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
      const p = predictedValue(pairs.output[i], true) as number | undefined;
      if (Number.isFinite(t) && p !== undefined) {
        yTrue.push(t);
        yPred.push(p);
      }
    });
    return yTrue.length ? finiteOnly(regressionMetrics(yTrue, yPred)) : null;
  }
  const labels = m.labels ?? [];
  const yTrue: number[] = [];
  const proba: number[][] = [];
  pairs.actual.forEach((a, i) => {
    const pr = (pairs.output[i] as { probabilities?: Record<string, unknown> } | null)?.probabilities;
    if (!pr) return;
    const row = labels.map((l) => (typeof pr[l] === 'number' ? (pr[l] as number) : 0));
    const k = labels.indexOf(String(a));
    yTrue.push(k >= 0 ? k : UNKNOWN_CLASS);
    proba.push(row);
  });
  return yTrue.length ? finiteOnly(classificationMetrics(yTrue, proba, labels.length).metrics) : null;
}
