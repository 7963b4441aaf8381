/**
 * How each kind of alert condition is measured: one evaluator per kind (a registry, not a
 * switch), each given the endpoint's evaluation context (its monitoring reports by window, the
 * prediction log, the served version) and answering whether the rule fires, the observed value
 * and a one-line message that names the endpoint, the value and the limit.
 */
import { and, count, eq, gte, lt, max, sql } from 'drizzle-orm';
import { METRIC_DIRECTION } from '../../lib/metrics/direction';
import type { AlertCondition, AlertKind } from '../../lib/alerts/rule';
import type { Db } from '../db/client';
import { endpoints, predictions, requestStats } from '../db/schema';
import { requestSeries } from './request-stats';
import type { MonitoringReport } from './report';
import { parseWindow } from './window';

export interface EndpointContext {
  db: Db;
  now: Date;
  endpoint: { id: string; name: string; model: string; createdAt: Date };
  /** the version the endpoint serves by default and when it was registered (null: none) */
  served: { version: number; createdAt: Date } | null;
  /** the monitoring report over the window ending now (cached per window) */
  report(window: string): Promise<MonitoringReport>;
  /** requests, failed requests and the p99 latency over the window ending now */
  traffic(window: string): Promise<TrafficStats>;
}

export interface TrafficStats {
  requests: number;
  /** null: this source cannot see failed requests */
  errors: number | null;
  p99Ms: number | null;
  /** when the last request was answered (null: none kept); to the minute from request statistics */
  lastAt: Date | null;
}

export interface Outcome {
  firing: boolean;
  value: number | null;
  message: string;
}

type Evaluator<K extends AlertKind> = (c: Extract<AlertCondition, { kind: K }>, ctx: EndpointContext, window: string) => Promise<Outcome>;

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
const DAY = 86_400_000;
// An evaluator's data: the report (drift, metrics), the request statistics (errors, latency,
// traffic; ./request-stats.ts), the prediction log (anomalies), the registry (model age).
const HOUR = 3_600_000;

export const CONDITION_EVALUATORS: { [K in AlertKind]: Evaluator<K> } = {
  async feature_drift(c, ctx, w) {
    const r = await ctx.report(w);
    const f = r.drift.features.find((x) => x.name === c.feature) ?? (r.drift.prediction?.name === c.feature ? r.drift.prediction : undefined);
    if (!f) {
      const why = r.drift.skipped.includes(c.feature) ? 'has no values in the window' : `is not an input (inputs: ${r.drift.features.map((x) => x.name).join(', ')})`;
      return { firing: false, value: null, message: `${ctx.endpoint.name}: feature "${c.feature}" ${why}` };
    }
    const firing = c.threshold !== undefined ? f.statistic > c.threshold : f.drifted;
    const limit = c.threshold !== undefined ? `limit ${c.threshold}` : `${f.method} threshold ${f.threshold}`;
    return { firing, value: f.statistic, message: `${ctx.endpoint.name}: ${c.feature} ${firing ? 'drifted' : 'did not drift'} over ${w}: ${f.method} ${fmt(f.statistic)}${f.pValue !== undefined ? ` (p=${fmt(f.pValue)})` : ''}, ${limit}` };
  },
  async drift_share(c, ctx, w) {
    const r = await ctx.report(w);
    const limit = c.threshold ?? r.drift.shareThreshold;
    const drifted = r.drift.features.filter((f) => f.drifted).map((f) => f.name);
    const firing = c.threshold !== undefined ? r.drift.share > c.threshold : r.drift.drifted;
    return { firing, value: r.drift.share, message: `${ctx.endpoint.name}: drift share ${fmt(r.drift.share)} over ${w} (limit ${limit})${drifted.length ? `; drifted: ${drifted.join(', ')}` : ''}` };
  },
  async metric(c, ctx, w) {
    const r = await ctx.report(w);
    const v = r.metrics.live?.[c.metric];
    if (v === undefined) return { firing: false, value: null, message: `${ctx.endpoint.name}: no live ${c.metric} over ${w} (${r.metrics.labelled} labelled predictions)` };
    const firing = c.op === '>' ? v > c.threshold : v < c.threshold;
    return { firing, value: v, message: `${ctx.endpoint.name}: live ${c.metric} ${fmt(v)} over ${w} (${r.metrics.labelled} labelled), limit ${c.op} ${c.threshold}` };
  },
  async metric_vs_baseline(c, ctx, w) {
    const r = await ctx.report(w);
    const v = r.metrics.live?.[c.metric];
    const b = r.metrics.baseline?.[c.metric];
    if (v === undefined || b === undefined) return { firing: false, value: v ?? null, message: `${ctx.endpoint.name}: no live ${c.metric} or baseline over ${w} (${r.metrics.labelled} labelled predictions)` };
    const firing = METRIC_DIRECTION[c.metric] === 'higher' ? v < b : v > b;
    return { firing, value: v, message: `${ctx.endpoint.name}: live ${c.metric} ${fmt(v)} is ${firing ? 'worse' : 'no worse'} than the historical-average baseline's ${fmt(b)} over ${w}` };
  },
  async error_rate(c, ctx, w) {
    const t = await ctx.traffic(w);
    if (t.errors === null) return { firing: false, value: null, message: `${ctx.endpoint.name}: failed requests are not recorded` };
    if (t.requests === 0) return { firing: false, value: null, message: `${ctx.endpoint.name}: no requests over ${w}` };
    const rate = t.errors / t.requests;
    return { firing: rate > c.threshold, value: rate, message: `${ctx.endpoint.name}: error rate ${fmt(rate)} (${t.errors} of ${t.requests} requests) over ${w}, limit ${c.threshold}` };
  },
  async p99_latency(c, ctx, w) {
    const t = await ctx.traffic(w);
    if (t.p99Ms === null) return { firing: false, value: null, message: `${ctx.endpoint.name}: no requests over ${w}` };
    return { firing: t.p99Ms > c.thresholdMs, value: t.p99Ms, message: `${ctx.endpoint.name}: p99 latency ${fmt(t.p99Ms)} ms over ${w} (${t.requests} requests), limit ${c.thresholdMs} ms` };
  },
  async stale_model(c, ctx) {
    if (!ctx.served) return { firing: false, value: null, message: `${ctx.endpoint.name}: serves no version` };
    const days = (ctx.now.getTime() - ctx.served.createdAt.getTime()) / DAY;
    const firing = days > c.days;
    return { firing, value: days, message: `${ctx.endpoint.name}: serves v${ctx.served.version} of ${ctx.endpoint.model}, registered ${ctx.served.createdAt.toISOString()}: ${fmt(days)} days old (limit ${c.days} days)` };
  },
  async no_traffic(c, ctx) {
    const t = await ctx.traffic(`${Math.ceil(c.hours * 3600)}s`);
    const last = t.lastAt;
    const quietSince = last ?? ctx.endpoint.createdAt;
    const hours = (ctx.now.getTime() - quietSince.getTime()) / HOUR;
    const firing = t.requests === 0 && hours > c.hours;
    return { firing, value: hours, message: `${ctx.endpoint.name}: ${last ? `last request ${last.toISOString()}` : 'no request since it was created'}, ${fmt(hours)} hours ago (limit ${c.hours} hours)` };
  },
  async anomaly_rate(c, ctx, w) {
    const end = ctx.now;
    const start = new Date(end.getTime() - parseWindow(w));
    const [row] = await ctx.db
      .select({ n: count(), anomalous: sql<number>`count(*) filter (where jsonb_array_length(${predictions.anomalies}) > 0)`.mapWith(Number) })
      .from(predictions)
      .where(and(eq(predictions.endpointId, ctx.endpoint.id), gte(predictions.time, start), lt(predictions.time, end)));
    const n = row?.n ?? 0;
    if (n === 0) return { firing: false, value: null, message: `${ctx.endpoint.name}: no logged predictions over ${w}` };
    const rate = row!.anomalous / n;
    return { firing: rate > c.threshold, value: rate, message: `${ctx.endpoint.name}: ${row!.anomalous} of ${n} logged predictions (${fmt(rate)}) had a soft anomaly over ${w}, limit ${c.threshold}` };
  },
};

/** The rule's outcome (its kind's evaluator). */
export function evaluateCondition(c: AlertCondition, ctx: EndpointContext, window: string): Promise<Outcome> {
  return (CONDITION_EVALUATORS[c.kind] as Evaluator<AlertKind>)(c, ctx, window);
}

/**
 * Traffic from serving's request statistics (./request-stats.ts): every answer, failed ones
 * too, counted per minute with a latency sketch — so the error rate and p99 cover every request,
 * and the last request is known to the minute (the start of the newest minute with one). An
 * endpoint whose serving never reported request statistics (an older serving process) falls
 * back to {@link trafficFromLog}.
 */
export async function trafficFromStats(db: Db, endpointId: string, start: Date, end: Date): Promise<TrafficStats> {
  const [last] = await db
    .select({ minute: max(requestStats.minute) })
    .from(requestStats)
    .where(and(eq(requestStats.endpointId, endpointId), sql`${requestStats.requests} > 0`, lt(requestStats.minute, end)));
  if (!last?.minute) {
    const [any] = await db.select({ n: count() }).from(requestStats).where(eq(requestStats.endpointId, endpointId));
    if (!any?.n) return trafficFromLog(db, endpointId, start, end);
  }
  const [ep] = await db.select({ name: endpoints.name }).from(endpoints).where(eq(endpoints.id, endpointId));
  const s = await requestSeries(db, ep!.name, { start, end });
  return { requests: s.total.requests, errors: s.total.errors, p99Ms: s.total.latency?.p99 ?? null, lastAt: last?.minute ?? null };
}

/**
 * Traffic from the prediction log: logged predictions, their p99 latency and the newest one's
 * time. The log holds answered predictions only (failed requests are not logged), so `errors` is
 * null, and with sampling below 1 `requests` counts the sampled ones.
 */
export async function trafficFromLog(db: Db, endpointId: string, start: Date, end: Date): Promise<TrafficStats> {
  const [row] = await db
    .select({
      n: count(),
      p99: sql<number | null>`percentile_cont(0.99) within group (order by ${predictions.latencyMs})`.mapWith((x) => (x === null ? null : Number(x))),
      last: max(predictions.time),
    })
    .from(predictions)
    .where(and(eq(predictions.endpointId, endpointId), gte(predictions.time, start), lt(predictions.time, end)));
  let lastAt = row?.last ?? null;
  if (!lastAt) {
    const [l] = await db.select({ last: max(predictions.time) }).from(predictions).where(eq(predictions.endpointId, endpointId));
    lastAt = l?.last ?? null;
  }
  return { requests: row?.n ?? 0, errors: null, p99Ms: row?.p99 ?? null, lastAt };
}
