/**
 * Request statistics on the control plane: serving's per-minute posts are stored so a repeated
 * post replaces (never adds), bad posts are refused naming the bucket, a series sums processes
 * and versions per bucket with latency percentiles from the merged sketches, and retention prunes.
 * From the serving side: a minute is resent whole until acknowledged, a failed post is retried,
 * and the minutes held are bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { openAuth } from '../auth';
import { loadConfig } from '../config';
import { openDb, type KilnDb } from '../db/client';
import { requestStats as requestStatsTable } from '../db/schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { apiConfig } from '../http/config';
import { createApi, type Api } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import type { RequestStatsBucket } from '../serving/log-protocol';
import { RequestStats } from '../serving/request-stats';
import { createLocalStore } from '../storage/local';
import { setMonitoringSettings } from './prediction-log';
import { pruneRequestStats, requestSeries } from './request-stats';

const MIN = 60_000;
const DAY = 86_400_000;
/** a day ago: inside any retention */
const T0 = Math.floor((Date.now() - 86_400_000) / MIN) * MIN;

function sketchOf(values: number[]) {
  const s = new NumericSketch({ relativeAccuracy: 0.01, maxExact: 0 });
  for (const v of values) s.add(v);
  return s.toJSON();
}
function bucket(minute: number, codes: Record<string, number>, latencies: number[], over: Partial<RequestStatsBucket> = {}): RequestStatsBucket {
  return { endpoint: 'cars', version: 1, minute, codes, latency: sketchOf(latencies), ...over };
}

describe.each(DB_KINDS)('request statistics on %s', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let api: Api;
  let token: string;
  const post = (body: unknown) =>
    api.handleApi(new Request('http://kiln.test/api/serving/request-stats', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }));

  beforeAll(async () => {
    target = await createTestDbTarget(kind);
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-reqstats-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store);
    await registerVersion(kdb.db, store, { modelName: 'cars', runId, actor: 'test' });
    await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: 1, actor: 'test' });
    await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } });
    api = createApi({ db: kdb.db, store, config: apiConfig(loadConfig({})), log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
    token = (await createRunnerToken(kdb.db, 'serving', 'serving')).token;
  }, 60_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('a minute posted again replaces the row; processes and versions add up; percentiles come from the merged sketches', async () => {
    const a1 = [bucket(T0, { '200': 3, '400': 1 }, [1, 2, 3, 40]), bucket(T0 + MIN, { '200': 2 }, [5, 5]), bucket(T0, { '503': 1 }, [10], { version: 0 }), bucket(T0, { '200': 1 }, [1], { endpoint: 'gone' })];
    const r1 = await post({ source: 'proc-a', buckets: a1 });
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({ accepted: 3, unknownEndpoint: 1 });
    // The same minute again with more requests (still open when first sent): replaced, not added.
    const r2 = await post({ source: 'proc-a', buckets: [bucket(T0 + MIN, { '200': 3 }, [5, 5, 6])] });
    expect(await r2.json()).toEqual({ accepted: 1, unknownEndpoint: 0 });
    await post({ source: 'proc-b', buckets: [bucket(T0 + MIN, { '200': 1, '500': 1 }, [100, 200], { version: 2 })] });

    const s = await requestSeries(kdb.db, 'cars', { start: new Date(T0), end: new Date(T0 + 2 * MIN), bucketMs: MIN });
    expect(s.buckets.map((b) => [b.requests, b.errors])).toEqual([[5, 2], [5, 1]]);
    expect(s.total).toMatchObject({ requests: 10, errors: 3, errorRate: 0.3, codes: { '200': 7, '400': 1, '503': 1, '500': 1 } });
    expect(s.versions.map((v) => [v.version, v.requests])).toEqual([[0, 1], [1, 7], [2, 2]]);
    // All ten latencies sorted: 1 2 3 5 5 6 10 40 100 200 → p50 is rank ⌊0.5·9⌋ = 4 (5), p99 rank 8 (100), within the sketch's 1 %.
    expect(s.total.latency!.p50).toBeCloseTo(5, 0);
    expect(s.total.latency!.max).toBe(200);
    expect(Math.abs(s.total.latency!.p99 - 100) / 100).toBeLessThan(0.01);
    // An empty bucket says so.
    const wide = await requestSeries(kdb.db, 'cars', { start: new Date(T0 - 2 * MIN), end: new Date(T0 + 2 * MIN), bucketMs: MIN });
    expect(wide.buckets[0]).toMatchObject({ requests: 0, errorRate: null, latency: null });
  });

  it('refuses a bad post naming the bucket and field, storing nothing of it', async () => {
    const before = (await kdb.db.select().from(requestStatsTable)).length;
    const bad = await post({ source: 'proc-c', buckets: [bucket(T0 + 5 * MIN, { '200': 1 }, [1]), bucket(T0 + 5 * MIN, { '200': 2 }, [1], { endpoint: 'cars', version: 3 })].map((b, i) => (i === 1 ? { ...b, latency: { kind: 'numeric' } } : b)) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('buckets[1].latency');
    const mismatch = await post({ source: 'proc-c', buckets: [bucket(T0 + 5 * MIN, { '200': 2 }, [1])] });
    expect(mismatch.status).toBe(400);
    expect(JSON.stringify(await mismatch.json())).toMatch(/buckets\[0\]: the latency sketch holds 1 request\(s\) but the codes count 2/);
    const odd = await post({ source: 'proc-c', buckets: [bucket(T0 + 5 * MIN + 1, { '200': 1 }, [1])] });
    expect(odd.status).toBe(400);
    expect(JSON.stringify(await odd.json())).toContain('buckets[0].minute');
    expect((await kdb.db.select().from(requestStatsTable)).length).toBe(before);
    await expect(requestSeries(kdb.db, 'nope', { start: new Date(T0), end: new Date(T0 + MIN) })).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
    await expect(requestSeries(kdb.db, 'cars', { start: new Date(T0), end: new Date(T0 + 30 * DAY), bucketMs: MIN })).rejects.toThrow(/at most 2000: choose a larger bucket/);
  });

  it('prunes minutes past the endpoint\'s retention', async () => {
    const now = Date.now();
    const old = Math.floor((now - 10 * DAY) / MIN) * MIN;
    const recent = Math.floor((now - 2 * DAY) / MIN) * MIN;
    await post({ source: 'proc-d', buckets: [bucket(old, { '200': 1 }, [1]), bucket(old + MIN, { '200': 1 }, [1]), bucket(recent, { '200': 1 }, [1])] });
    await setMonitoringSettings(kdb.db, 'cars', { retentionDays: 7 });
    expect(await pruneRequestStats(kdb.db, { now: new Date(now) })).toBe(2);
    expect(await pruneRequestStats(kdb.db, { now: new Date(now) })).toBe(0);
    expect((await requestSeries(kdb.db, 'cars', { start: new Date(old - MIN), end: new Date(old + 2 * MIN) })).total.requests).toBe(0);
    expect((await requestSeries(kdb.db, 'cars', { start: new Date(recent), end: new Date(recent + MIN) })).total.requests).toBe(1);
    await setMonitoringSettings(kdb.db, 'cars', { retentionDays: 30 });
  });
});

describe('RequestStats (serving side)', () => {
  it('resends a minute whole until acknowledged, retries a failed post, forgets closed minutes once acknowledged', async () => {
    let now = T0 + 1000;
    const posts: { source: string; buckets: RequestStatsBucket[] }[] = [];
    let fail = 1;
    const lines: string[] = [];
    const rs = new RequestStats({
      sink: {
        postRequestStats: async (b) => {
          if (fail-- > 0) throw new Error('POST /api/serving/request-stats: 503');
          posts.push(structuredClone(b));
        },
      },
      registry: new Registry(),
      log: (l) => lines.push(l),
      flushMs: 3_600_000,
      now: () => now,
    });
    rs.observe('cars', '1', 200, 2);
    rs.observe('cars', '1', 400, 3);
    rs.observe('cars', '', 404, 1);
    await rs.flush(); // fails
    expect(posts).toHaveLength(0);
    expect(lines[0]).toMatch(/request statistics: POST \/api\/serving\/request-stats: 503 \(attempt 1; 2 minute\(s\) waiting\)/);
    rs.observe('cars', '1', 200, 4);
    await rs.flush();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.buckets.map((b) => [b.version, b.minute, b.codes])).toEqual([[1, T0, { '200': 2, '400': 1 }], [0, T0, { '404': 1 }]]);
    await rs.flush(); // nothing new: nothing sent
    expect(posts).toHaveLength(1);
    rs.observe('cars', '1', 200, 5);
    now = T0 + MIN + 10;
    rs.observe('cars', '1', 200, 6);
    await rs.flush();
    // The first minute again, whole (4 requests now), and the new one; the unchanged 404 minute is not resent.
    expect(posts[1]!.buckets.map((b) => [b.version, b.minute, b.codes])).toEqual([[1, T0, { '200': 3, '400': 1 }], [1, T0 + MIN, { '200': 1 }]]);
    expect(rs.held).toBe(1); // acknowledged closed minutes are forgotten; the open one is kept
    await rs.close();
  });

  it('holds a bounded number of minutes while the control plane is down, dropping the oldest', async () => {
    let now = T0;
    const registry = new Registry();
    const rs = new RequestStats({ sink: { postRequestStats: () => Promise.reject(new Error('down')) }, registry, log: () => undefined, maxBuckets: 3, flushMs: 3_600_000, now: () => now });
    for (let i = 0; i < 5; i++) {
      now = T0 + i * MIN;
      rs.observe('cars', '1', 200, 1);
      await rs.flush();
    }
    expect(rs.held).toBe(3);
    expect(rs.dropped).toBe(2);
    expect(await registry.getSingleMetricAsString('kiln_serving_request_stats_dropped_total')).toContain('kiln_serving_request_stats_dropped_total 2');
    await rs.close(10);
  });
});
