/**
 * An endpoint's prediction log over time, bucket by bucket, for the studio's charts: logged
 * predictions, latency percentiles (as Postgres' `percentile_cont` computes them over the
 * bucket's rows), anomalies by code, and the live metrics of the predictions whose feedback
 * arrived (lib/metrics, as the report computes them) beside the historical-average baseline.
 *
 * Counting and percentiles stay in the database; only labelled pairs come back, as in the report.
 */
import { sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { queryRows, type Db } from '../db/client';
import type { ArtifactStore } from '../storage/types';
import { endpointContext } from './context';
import { finiteOnly, liveMetrics, type Metrics } from './report';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bucket sizes `auto` picks from: the smallest that keeps a window at most {@link MAX_BUCKETS}. */
const AUTO_SIZES = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY, 7 * DAY];
export const MAX_BUCKETS = 500;

export type BucketChoice = 'minute' | 'hour' | 'day' | 'auto';

/**
 * The bucket length for a window. `auto` aims at 24 to 96 buckets.
 * @throws KilnError `BAD_REQUEST` when a fixed choice would make more than {@link MAX_BUCKETS}.
 */
export function bucketMs(choice: BucketChoice, windowMs: number): number {
  if (choice === 'auto') return AUTO_SIZES.find((s) => windowMs / s <= 96) ?? AUTO_SIZES.at(-1)!;
  const ms = choice === 'minute' ? MINUTE : choice === 'hour' ? HOUR : DAY;
  if (windowMs / ms > MAX_BUCKETS) {
    throw new KilnError('BAD_REQUEST', `bucket: ${choice} buckets over this window would be ${Math.ceil(windowMs / ms)} points (at most ${MAX_BUCKETS}); pick a longer bucket or "auto"`, { param: 'bucket' });
  }
  return ms;
}

export interface SeriesBucket {
  /** bucket start (ISO); buckets are aligned to multiples of the bucket length since the epoch */
  start: string;
  requests: number;
  /** latency at serving, milliseconds (null in a bucket with no predictions) */
  latency: { p50: number; p95: number; p99: number; mean: number } | null;
  /** predictions with at least one anomaly */
  anomalous: number;
  /** anomaly tags by code */
  anomalies: Record<string, number>;
  /** predictions with feedback */
  labelled: number;
  live: Metrics | null;
  /** regression: the training target's mean predicted for the same labelled rows */
  baseline: Metrics | null;
}

export interface MonitoringSeries {
  endpoint: string;
  window: { start: string; end: string };
  bucketMs: number;
  /** every bucket of the window in order, empty ones included (requests 0) */
  buckets: SeriesBucket[];
  /** the serving version's metrics at training */
  training: Metrics;
  task: string;
}

export interface SeriesOptions {
  endpoint: string;
  windowMs: number;
  bucket?: BucketChoice;
  now?: Date;
}

/** The series. @throws KilnError as {@link endpointContext}, `BAD_REQUEST` for too many buckets. */
export async function monitoringSeries(db: Db, store: ArtifactStore, o: SeriesOptions): Promise<MonitoringSeries> {
  const size = bucketMs(o.bucket ?? 'auto', o.windowMs);
  const ctx = await endpointContext(db, store, o.endpoint);
  const end = o.now ?? new Date();
  const start = new Date(end.getTime() - o.windowMs);
  const where = sql`p.endpoint_id = ${ctx.ep.id} and p.time >= ${start.toISOString()}::timestamptz and p.time < ${end.toISOString()}::timestamptz`;
  const b = sql`floor(extract(epoch from p.time) * 1000 / ${size}::float8)`;

  const stats = await queryRows<{ b: number; requests: number; p50: number; p95: number; p99: number; mean: number; anomalous: number }>(
    db,
    sql`select ${b}::float8 as b, count(*)::int as requests,
          percentile_cont(0.5) within group (order by p.latency_ms) as p50,
          percentile_cont(0.95) within group (order by p.latency_ms) as p95,
          percentile_cont(0.99) within group (order by p.latency_ms) as p99,
          avg(p.latency_ms)::float8 as mean,
          (count(*) filter (where jsonb_array_length(p.anomalies) > 0))::int as anomalous
        from predictions p where ${where} group by 1`,
  );
  const codes = await queryRows<{ b: number; code: string; n: number }>(
    db,
    sql`select ${b}::float8 as b, a->>'code' as code, count(*)::int as n
        from predictions p, jsonb_array_elements(p.anomalies) a where ${where} group by 1, 2`,
  );
  const labelled = await queryRows<{ b: number; outputs: unknown; actual: unknown }>(
    db,
    sql`select ${b}::float8 as b, p.outputs, f.actual
        from predictions p join prediction_feedback f on f.prediction_row_id = p.id where ${where}`,
  );

  const first = Math.floor(start.getTime() / size);
  const last = Math.floor((end.getTime() - 1) / size);
  const buckets = new Map<number, SeriesBucket>();
  for (let k = first; k <= last; k++) {
    buckets.set(k, { start: new Date(k * size).toISOString(), requests: 0, latency: null, anomalous: 0, anomalies: {}, labelled: 0, live: null, baseline: null });
  }
  const at = (k: number) => buckets.get(Number(k));
  for (const s of stats) {
    const x = at(s.b);
    if (!x) continue;
    x.requests = Number(s.requests);
    x.latency = { p50: Number(s.p50), p95: Number(s.p95), p99: Number(s.p99), mean: Number(s.mean) };
    x.anomalous = Number(s.anomalous);
  }
  for (const c of codes) {
    const x = at(c.b);
    if (x) x.anomalies[c.code] = Number(c.n);
  }
  const pairs = new Map<number, { actual: unknown[]; output: unknown[] }>();
  for (const l of labelled) {
    const k = Number(l.b);
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { actual: [], output: [] }));
    p.actual.push(l.actual);
    p.output.push(l.outputs);
  }
  const mean = ctx.targetMean;
  for (const [k, p] of pairs) {
    const x = at(k);
    if (!x) continue;
    x.labelled = p.actual.length;
    x.live = liveMetrics(ctx.manifest, p);
    x.baseline = mean !== null ? liveMetrics(ctx.manifest, { actual: p.actual, output: p.actual.map(() => ({ prediction: mean })) }) : null;
  }
  return {
    endpoint: ctx.ep.name,
    window: { start: start.toISOString(), end: end.toISOString() },
    bucketMs: size,
    buckets: [...buckets.values()],
    training: finiteOnly(ctx.version.metrics),
    task: ctx.manifest.task,
  };
}
