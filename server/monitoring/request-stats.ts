/**
 * Request statistics on the control plane: the per-minute counts and latency sketches serving
 * posts for every answered request (failed ones too), stored idempotently, and read back as a
 * time series or one total — the error rate and latency percentiles of an endpoint over any
 * window, which the prediction log alone cannot give (it holds sampled, successful predictions).
 */
import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import type { Db } from '../db/client';
import { endpoints, requestStats } from '../db/schema';
import type { RequestStatsBatchResult, RequestStatsBucket } from '../serving/log-protocol';

/** Rows per INSERT (9 parameters each). */
const INSERT_CHUNK = 1000;
const MINUTE = 60_000;

/**
 * Stores one post of a serving process's minutes. A minute posted again by the same process
 * replaces the earlier row (serving resends a minute until it is acknowledged, and a minute still
 * open is sent again with more requests). Buckets of endpoints that no longer exist are counted
 * and dropped. @throws KilnError `BAD_REQUEST` naming the bucket when a latency sketch is invalid.
 */
export async function ingestRequestStats(db: Db, source: string, buckets: readonly RequestStatsBucket[]): Promise<RequestStatsBatchResult> {
  const names = [...new Set(buckets.map((b) => b.endpoint))];
  const ids = new Map<string, string>();
  if (names.length) for (const e of await db.select({ id: endpoints.id, name: endpoints.name }).from(endpoints).where(inArray(endpoints.name, names))) ids.set(e.name, e.id);
  // One row per key: a post naming the same minute twice keeps the last.
  const rows = new Map<string, typeof requestStats.$inferInsert>();
  let unknownEndpoint = 0;
  buckets.forEach((b, i) => {
    const endpointId = ids.get(b.endpoint);
    if (!endpointId) {
      unknownEndpoint++;
      return;
    }
    let latency: NumericSketch;
    try {
      latency = NumericSketch.fromJSON(b.latency, `buckets[${i}].latency`);
    } catch (e) {
      throw new KilnError('BAD_REQUEST', (e as Error).message, { param: `buckets[${i}].latency` });
    }
    let requests = 0;
    let errors = 0;
    for (const [code, n] of Object.entries(b.codes)) {
      requests += n;
      if (Number(code) >= 400) errors += n;
    }
    if (latency.count !== requests) throw new KilnError('BAD_REQUEST', `buckets[${i}]: the latency sketch holds ${latency.count} request(s) but the codes count ${requests}`, { param: `buckets[${i}].latency` });
    rows.set(`${endpointId}\u0000${b.version}\u0000${b.minute}`, { endpointId, source, version: b.version, minute: new Date(b.minute), requests, errors, codes: b.codes, latency: latency.toJSON() });
  });
  const all = [...rows.values()];
  for (let i = 0; i < all.length; i += INSERT_CHUNK) {
    await db
      .insert(requestStats)
      .values(all.slice(i, i + INSERT_CHUNK))
      .onConflictDoUpdate({
        target: [requestStats.endpointId, requestStats.source, requestStats.version, requestStats.minute],
        set: { requests: sql`excluded.requests`, errors: sql`excluded.errors`, codes: sql`excluded.codes`, latency: sql`excluded.latency` },
      });
  }
  return { accepted: all.length, unknownEndpoint };
}

/** Requests of one span: counts by status, the error rate and latency percentiles (ms). */
export interface RequestSummary {
  /** span start (ISO) */
  start: string;
  requests: number;
  /** answers with status 400 or more */
  errors: number;
  /** errors / requests; null without requests */
  errorRate: number | null;
  codes: Record<string, number>;
  /** latency percentiles in milliseconds; null without requests */
  latency: { p50: number; p95: number; p99: number; max: number } | null;
}

export interface RequestSeries {
  endpoint: string;
  start: string;
  end: string;
  bucketMs: number;
  /** the whole window */
  total: RequestSummary;
  /** by model version (0: failed before a version was chosen), the whole window */
  versions: (RequestSummary & { version: number })[];
  /** one per bucket from start to end, empty buckets included */
  buckets: RequestSummary[];
}

class Acc {
  requests = 0;
  errors = 0;
  codes: Record<string, number> = {};
  latency: NumericSketch | null = null;
  add(r: { requests: number; errors: number; codes: Record<string, number>; sketch: NumericSketch }): void {
    this.requests += r.requests;
    this.errors += r.errors;
    for (const [c, n] of Object.entries(r.codes)) this.codes[c] = (this.codes[c] ?? 0) + n;
    if (this.latency === null) this.latency = r.sketch.clone();
    else this.latency.merge(r.sketch);
  }
  summary(start: number): RequestSummary {
    const l = this.latency;
    return {
      start: new Date(start).toISOString(),
      requests: this.requests,
      errors: this.errors,
      errorRate: this.requests > 0 ? this.errors / this.requests : null,
      codes: this.codes,
      latency: l && l.count > 0 ? { p50: l.quantile(0.5), p95: l.quantile(0.95), p99: l.quantile(0.99), max: l.max } : null,
    };
  }
}

/** At most this many buckets per series (a 30-day window by minute would be 43,200). */
export const MAX_SERIES_BUCKETS = 2000;

/**
 * The request statistics of an endpoint from `start` to `end` (minutes whose start lies in it),
 * in buckets of `bucketMs` (a multiple of a minute; default: the whole window as one bucket).
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `BAD_REQUEST` (bucket size).
 */
export async function requestSeries(db: Db, endpointName: string, o: { start: Date; end: Date; bucketMs?: number }): Promise<RequestSeries> {
  const [ep] = await db.select({ id: endpoints.id, name: endpoints.name }).from(endpoints).where(eq(endpoints.name, endpointName));
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${endpointName}"`, { param: 'endpoint' });
  const start = Math.floor(o.start.getTime() / MINUTE) * MINUTE;
  const end = o.end.getTime();
  const span = Math.max(MINUTE, end - start);
  const bucketMs = o.bucketMs ?? Math.ceil(span / MINUTE) * MINUTE;
  if (!(bucketMs >= MINUTE && bucketMs % MINUTE === 0)) throw new KilnError('BAD_REQUEST', `bucket must be a whole number of minutes, got ${bucketMs} ms`, { param: 'bucket' });
  const n = Math.ceil(span / bucketMs);
  if (n > MAX_SERIES_BUCKETS) throw new KilnError('BAD_REQUEST', `a ${Math.round(span / MINUTE)}-minute window in ${bucketMs / MINUTE}-minute buckets makes ${n} buckets; at most ${MAX_SERIES_BUCKETS}: choose a larger bucket`, { param: 'bucket' });
  const buckets = Array.from({ length: n }, () => new Acc());
  const total = new Acc();
  const perVersion = new Map<number, Acc>();
  const rows = await db
    .select({ version: requestStats.version, minute: requestStats.minute, requests: requestStats.requests, errors: requestStats.errors, codes: requestStats.codes, latency: requestStats.latency })
    .from(requestStats)
    .where(and(eq(requestStats.endpointId, ep.id), gte(requestStats.minute, new Date(start)), lt(requestStats.minute, new Date(end))))
    .orderBy(asc(requestStats.minute));
  for (const r of rows) {
    const row = { requests: r.requests, errors: r.errors, codes: r.codes, sketch: NumericSketch.fromJSON(r.latency, 'stored request latency') };
    buckets[Math.min(n - 1, Math.floor((r.minute.getTime() - start) / bucketMs))]!.add(row);
    total.add(row);
    let v = perVersion.get(r.version);
    if (!v) perVersion.set(r.version, (v = new Acc()));
    v.add(row);
  }
  return {
    endpoint: ep.name,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    bucketMs,
    total: total.summary(start),
    versions: [...perVersion].sort((a, b) => a[0] - b[0]).map(([version, a]) => ({ version, ...a.summary(start) })),
    buckets: buckets.map((b, i) => b.summary(start + i * bucketMs)),
  };
}

/** Deletes request statistics older than their endpoint's log retention, at most `limit` rows a call. Returns how many. */
export async function pruneRequestStats(db: Db, opts: { limit?: number; now?: Date } = {}): Promise<number> {
  const limit = opts.limit ?? 10_000;
  const now = (opts.now ?? new Date()).toISOString();
  const old = await db
    .select({ endpointId: requestStats.endpointId, source: requestStats.source, version: requestStats.version, minute: requestStats.minute })
    .from(requestStats)
    .innerJoin(endpoints, eq(endpoints.id, requestStats.endpointId))
    .where(sql`${requestStats.minute} < ${now}::timestamptz - make_interval(days => ${endpoints.logRetentionDays})`)
    .limit(limit);
  let gone = 0;
  // One DELETE per endpoint: every minute up to its newest expired one has expired too.
  const byEndpoint = new Map<string, Date>();
  for (const r of old) {
    const cur = byEndpoint.get(r.endpointId);
    if (!cur || r.minute > cur) byEndpoint.set(r.endpointId, r.minute);
  }
  for (const [endpointId, upTo] of byEndpoint) {
    const d = await db
      .delete(requestStats)
      .where(and(eq(requestStats.endpointId, endpointId), sql`${requestStats.minute} <= ${upTo.toISOString()}::timestamptz`))
      .returning({ m: requestStats.minute });
    gone += d.length;
  }
  return gone;
}
