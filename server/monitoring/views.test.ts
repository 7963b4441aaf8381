/**
 * The studio's monitoring procedures over a real package, a real stored dataset version and a
 * real database (PGlite and PostgreSQL): the time series' counts, latency percentiles, anomalies
 * and per-bucket live metrics equal the same numbers computed here from the rows sent; the log
 * pages through every row once, newest first, and filters; the histogram counts every value of
 * both sides; the project overview shows each endpoint's health, or why it has none.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMpg, mpgRows } from './test-fixtures';
import { mape } from '../../lib/metrics';
import { createTestUser } from '../auth/testing';
import { ensureProject } from '../db/catalog';
import { openDb, type KilnDb } from '../db/client';
import { modelAliases } from '../db/schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { createOrBindEndpoint } from '../registry/endpoints';
import { getVersion, moveAlias, registerVersion } from '../registry/registry';
import { seedRun, testGraph } from '../registry/test-fixtures';
import { trainingReference } from './reference';
import type { PredictionRecord } from '../serving/log-protocol';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import { callerAs, rejectionOf } from '../trpc/test-utils';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { featureHistogram } from './feature-histogram';
import { ingestRequestStats } from './request-stats';
import { predictionLogPage, type LogRow } from './log-page';
import { projectHealth } from './overview';
import { bucketMs, monitoringSeries } from './series';

const MIN = 60_000;
const HOUR = 60 * MIN;


/** numpy's default (linear) percentile, which Postgres' percentile_cont also computes. */
function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

describe.each(DB_KINDS)('monitoring views (%s)', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let store: ArtifactStore;
  // Aligned to the hour so hour buckets fall where the test expects.
  const now = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  const training = mpgRows(600, 1);
  const sent: PredictionRecord[] = [];
  const fed = new Map<string, number>();

  beforeAll(async () => {
    target = await createTestDbTarget(kind);
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-views-'));
    store = createLocalStore(dir);
    await deployMpg(kdb.db, store, training);
    // Bound to an alias that was then removed, so it points nowhere: the overview says why it has no numbers.
    await moveAlias(kdb.db, store, { modelName: 'mpg', alias: 'staging', version: 1, actor: 'test' });
    await createOrBindEndpoint(kdb.db, { name: 'mpg-staging', modelName: 'mpg', target: { alias: 'staging' } }, 'test');
    await kdb.db.delete(modelAliases).where(eq(modelAliases.alias, 'staging'));

    // a: 120 ordinary rows from 3 h to 2 h ago (one every 30 s), version 1.
    // b: 120 rows from 90 to 30 min ago with hp +80 and origin "Mars", every other one answered by v2.
    mpgRows(120, 2).forEach((d, i) =>
      sent.push({ endpoint: 'mpg', id: `a-${i}`, version: 1, time: now.getTime() - 3 * HOUR + i * 30_000, inputs: { hp: d.hp, weight: d.weight, origin: d.origin }, outputs: { prediction: d.mpg + (i % 5) - 2 }, latencyMs: 1 + (i % 7), anomalies: [] }),
    );
    mpgRows(120, 3).forEach((d, i) =>
      sent.push({
        endpoint: 'mpg',
        id: `b-${i}`,
        version: i % 2 ? 2 : 1,
        time: now.getTime() - 90 * MIN + i * 30_000,
        inputs: { hp: d.hp + 80, weight: d.weight, origin: 'Mars' },
        outputs: { prediction: d.mpg + (i % 3) },
        latencyMs: 2 + (i % 11) * 1.5,
        anomalies: [{ code: 'UNKNOWN_CATEGORY', column: 'origin' }, ...(i % 4 === 0 ? [{ code: 'OUT_OF_RANGE', column: 'hp' }] : [])],
      }),
    );
    const { ingestPredictions, recordFeedback } = await import('./prediction-log');
    await ingestPredictions(kdb.db, sent);
    // Feedback for every third row of both sets.
    sent.forEach((s, i) => {
      if (i % 3 === 0) fed.set(s.id, (s.outputs as { prediction: number }).prediction + ((i % 4) - 1.5));
    });
    await recordFeedback(kdb.db, 'mpg', [...fed].map(([id, actual]) => ({ id, actual })));
    // Serving's request statistics for one minute: 4 answers, one of them a 500.
    const latency = new NumericSketch();
    for (const x of [1, 2, 3, 9]) latency.add(x);
    await ingestRequestStats(kdb.db, 'serving-1', [{ endpoint: 'mpg', version: 1, minute: now.getTime() - 2 * HOUR, codes: { '200': 3, '500': 1 }, latency: latency.toJSON() }]);
  }, 120_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('series: each hour bucket has the counts, latency percentiles, anomalies and live metrics of its rows', async () => {
    const s = await monitoringSeries(kdb.db, store, { endpoint: 'mpg', windowMs: 4 * HOUR, bucket: 'hour', now });
    expect(s.bucketMs).toBe(HOUR);
    expect(s.buckets.map((b) => b.start)).toEqual([4, 3, 2, 1].map((h) => new Date(now.getTime() - h * HOUR).toISOString()));
    expect(s.training).toEqual({ rmse: 3.4, mae: 2.5, r2: 0.8, mape: 0.12 });
    const mean = training.reduce((a, t) => a + t.mpg, 0) / training.length;
    for (const b of s.buckets) {
      const t0 = Date.parse(b.start);
      const mine = sent.filter((r) => r.time >= t0 && r.time < t0 + HOUR);
      expect(b.requests).toBe(mine.length);
      if (!mine.length) {
        expect(b.latency).toBeNull();
        expect(b.live).toBeNull();
        continue;
      }
      const lat = mine.map((r) => r.latencyMs);
      expect(b.latency!.p50).toBeCloseTo(percentile(lat, 0.5), 9);
      expect(b.latency!.p95).toBeCloseTo(percentile(lat, 0.95), 9);
      expect(b.latency!.p99).toBeCloseTo(percentile(lat, 0.99), 9);
      expect(b.anomalous).toBe(mine.filter((r) => r.anomalies!.length > 0).length);
      const codes: Record<string, number> = {};
      for (const r of mine) for (const a of r.anomalies!) codes[a.code] = (codes[a.code] ?? 0) + 1;
      expect(b.anomalies).toEqual(codes);
      const labelled = mine.filter((r) => fed.has(r.id));
      expect(b.labelled).toBe(labelled.length);
      const yTrue = labelled.map((r) => fed.get(r.id)!);
      expect(b.live!.mape).toBeCloseTo(mape(yTrue, labelled.map((r) => (r.outputs as { prediction: number }).prediction)), 12);
      expect(b.baseline!.mape).toBeCloseTo(mape(yTrue, yTrue.map(() => mean)), 9);
    }
    expect(s.buckets.map((b) => b.requests)).toEqual([0, 120, 60, 60]);
  });

  it('series: auto picks 24 to 96 buckets; too many fixed buckets is refused naming the field', async () => {
    expect(bucketMs('auto', HOUR)).toBe(MIN);
    expect(bucketMs('auto', 24 * HOUR)).toBe(15 * MIN);
    expect(bucketMs('auto', 30 * 24 * HOUR)).toBe(24 * HOUR);
    const s = await monitoringSeries(kdb.db, store, { endpoint: 'mpg', windowMs: 4 * HOUR, now });
    expect(s.buckets).toHaveLength(48);
    expect(s.buckets.reduce((a, b) => a + b.requests, 0)).toBe(240);
    expect(() => bucketMs('minute', 30 * 24 * HOUR)).toThrow(/^bucket: minute buckets over this window would be 43200 points/);
  });

  it('log: pages newest first through every row exactly once, with feedback where it arrived', async () => {
    const seen: LogRow[] = [];
    let cursor;
    for (let i = 0; i < 10; i++) {
      const p = await predictionLogPage(kdb.db, { endpoint: 'mpg', limit: 50, ...(cursor ? { cursor } : {}) });
      seen.push(...p.rows);
      if (!p.next) break;
      expect(p.rows).toHaveLength(50);
      cursor = p.next;
    }
    expect(seen.map((r) => r.id)).toEqual([...sent].sort((a, b) => b.time - a.time).map((r) => r.id));
    const b7 = seen.find((r) => r.id === 'b-7')!;
    const sentB7 = sent.find((r) => r.id === 'b-7')!;
    expect(b7).toMatchObject({ version: 2, latencyMs: sentB7.latencyMs, inputs: sentB7.inputs, outputs: sentB7.outputs, anomalies: sentB7.anomalies, time: new Date(sentB7.time).toISOString() });
    for (const r of seen) {
      if (fed.has(r.id)) expect(r.actual).toBe(fed.get(r.id));
      else expect(r).not.toHaveProperty('actual');
    }
  });

  it('log: filters by version, anomaly code and time range', async () => {
    const v2 = await predictionLogPage(kdb.db, { endpoint: 'mpg', version: 2, limit: 500 });
    expect(v2.rows.map((r) => r.id).sort()).toEqual(sent.filter((r) => r.version === 2).map((r) => r.id).sort());
    expect(v2.next).toBeNull();
    const oor = await predictionLogPage(kdb.db, { endpoint: 'mpg', anomaly: 'OUT_OF_RANGE', limit: 500 });
    expect(oor.rows).toHaveLength(30);
    expect((await predictionLogPage(kdb.db, { endpoint: 'mpg', anomaly: 'any', limit: 500 })).rows).toHaveLength(120);
    expect((await predictionLogPage(kdb.db, { endpoint: 'mpg', anomaly: 'SCHEMA_NEW_COLUMN' })).rows).toEqual([]);
    const start = new Date(now.getTime() - 3 * HOUR + 10 * 30_000);
    const end = new Date(now.getTime() - 3 * HOUR + 20 * 30_000);
    const ranged = await predictionLogPage(kdb.db, { endpoint: 'mpg', start, end });
    expect(ranged.rows.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `a-${19 - i}`));
    await expect(predictionLogPage(kdb.db, { endpoint: 'mpg', limit: 0 })).rejects.toThrow(/^limit: expected a whole number from 1 to 500/);
    await expect(predictionLogPage(kdb.db, { endpoint: 'nope' })).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
  });

  it('histogram: one input in the window against training or the window before, every value counted', async () => {
    const h = await featureHistogram(kdb.db, store, { endpoint: 'mpg', feature: 'hp', windowMs: 4 * HOUR, now, bins: 10 });
    expect(h.kind).toBe('numeric');
    expect([h.referenceCount, h.currentCount]).toEqual([600, 240]);
    expect(h.bins.reduce((a, b) => a + b.reference, 0)).toBe(600);
    expect(h.bins.reduce((a, b) => a + b.current, 0)).toBe(240);
    const trainMax = Math.max(...training.map((t) => t.hp));
    const above = sent.filter((r) => (r.inputs as { hp: number }).hp > trainMax).length;
    expect(above).toBeGreaterThan(0);
    expect(h.bins.filter((b) => b.low! > trainMax).reduce((a, b) => a + b.current, 0)).toBeLessThanOrEqual(above);
    expect(h.bins.at(-1)!.reference).toBe(0);

    const o = await featureHistogram(kdb.db, store, { endpoint: 'mpg', feature: 'origin', windowMs: 2 * HOUR, now, reference: { windowMs: 2 * HOUR } });
    expect(o.reference).toEqual({ start: new Date(now.getTime() - 4 * HOUR).toISOString(), end: new Date(now.getTime() - 2 * HOUR).toISOString() });
    expect(o.kind).toBe('categorical');
    expect(o.bins.find((b) => b.label === 'Mars')).toEqual({ label: 'Mars', reference: 0, current: 120 });
    expect([o.referenceCount, o.currentCount]).toEqual([120, 120]);
    await expect(featureHistogram(kdb.db, store, { endpoint: 'mpg', feature: 'colour', windowMs: HOUR })).rejects.toThrow(/^feature: "colour" is not an input of mpg v1 \(inputs: /);
  });

  it('a version trained on a built-in dataset takes its reference from the vega-datasets file its graph names', async () => {
    const g = testGraph();
    const graph = { ...g, nodes: g.nodes.map((n) => (n.id === 'data' ? { ...n, params: { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' } } : n)) };
    const runId = await seedRun(kdb.db, store, { graph, datasets: {} });
    const v = await registerVersion(kdb.db, store, { modelName: 'mpg-builtin', runId, actor: 'test' });
    const version = (await getVersion(kdb.db, 'mpg-builtin', v.version))!;
    // The test package's inputs (hp, weight, origin) are not cars.json's columns: the built-in file
    // was found and read, and refused for what it lacks rather than "none recorded".
    await expect(trainingReference(kdb.db, store, version)).rejects.toThrow(/no training dataset version with its inputs \(built-in cars \(lacks some inputs\)\)/);
  });

  it('overview and the procedures: each endpoint of the project with its health, or why none', async () => {
    const [mpg, staging] = await projectHealth(kdb.db, store, { projectId: (await ensureProject(kdb.db, 'registry-test')).id, windowMs: 4 * HOUR, now });
    expect(mpg).toMatchObject({ endpoint: 'mpg', model: 'mpg', version: 1, requests: 240, error: null, alerts: { firing: 0, total: 0 } });
    expect(mpg!.traffic).toEqual({ requests: 4, errors: 1, errorRate: 0.25 });
    expect(mpg!.ageDays).toBeGreaterThanOrEqual(-1 / 24);
    expect(mpg!.ageDays).toBeLessThan(1);
    expect(mpg!.drift).toMatchObject({ features: 3, driftedFeatures: ['hp', 'origin'] });
    const labelled = sent.filter((r) => fed.has(r.id));
    const yTrue = labelled.map((r) => fed.get(r.id)!);
    const yPred = labelled.map((r) => (r.outputs as { prediction: number }).prediction);
    const rmse = Math.sqrt(yTrue.reduce((a, y, i) => a + (y - yPred[i]!) ** 2, 0) / yTrue.length);
    expect(mpg!.metric).toMatchObject({ name: 'rmse', training: 3.4, labelled: 80, gate: 'rmse <= 5', passing: rmse <= 5 });
    expect(mpg!.metric!.live).toBeCloseTo(rmse, 12);
    expect(staging).toMatchObject({ endpoint: 'mpg-staging', version: null, requests: null, traffic: null, error: 'endpoint "mpg-staging" resolves to no version' });

    // Through the router, as the studio calls them: READ on the endpoint / project.
    const owner = await createTestUser(kdb.db, { email: `owner-${kind}@kiln.test`, orgRole: 'owner' });
    const api = callerAs(kdb.db, owner, store);
    const s = await api.monitoring.series({ name: 'mpg', window: '4h', bucket: 'hour', until: now.toISOString() });
    expect(s.buckets.map((b) => b.requests)).toEqual([0, 120, 60, 60]);
    expect((await api.monitoring.log({ name: 'mpg', limit: 3 })).rows.map((r) => r.id)).toEqual(['b-119', 'b-118', 'b-117']);
    expect((await api.monitoring.histogram({ name: 'mpg', feature: 'weight', window: '4h', until: now.toISOString() })).currentCount).toBe(240);
    expect((await api.monitoring.overview({ projectName: 'registry-test', window: '24h' })).map((h) => h.endpoint)).toEqual(['mpg', 'mpg-staging']);
    const bad = await rejectionOf(api.monitoring.series({ name: 'mpg', window: '30d', bucket: 'minute' }));
    expect(bad.message).toMatch(/^bucket: minute buckets/);
    const stranger = callerAs(kdb.db, await createTestUser(kdb.db, { email: `stranger-${kind}@kiln.test`, orgRole: 'member' }), store);
    expect((await rejectionOf(stranger.monitoring.log({ name: 'mpg' }))).code).toBe('NOT_FOUND');
  });
});
