/**
 * The hourly rollup of the prediction log: a report from the rollup (whole hours) plus raw edges
 * equals a full raw scan for hour-aligned, unaligned and many-hour windows, with rows logged
 * before the rollup existed, a retried batch and concurrent ingests into the same hours from two
 * connections (PostgreSQL); rollup hours follow the endpoint's retention.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMpg, ORIGINS } from './test-fixtures';
import { createRng } from '../../lib/rng';
import { openDb, type KilnDb } from '../db/client';
import { predictionRollup, predictions } from '../db/schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import type { PredictionRecord } from '../serving/log-protocol';
import { ingestPredictions, prunePredictions, recordFeedback, setMonitoringSettings } from './prediction-log';
import { monitoringReport, type ReportOptions } from './report';

const HOUR = 3_600_000;

describe.each(DB_KINDS)('prediction rollup on %s', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let store: ArtifactStore;
  const now = new Date('2026-06-01T12:00:00Z').getTime();
  const r = createRng(7);

  /** `n` records spread over [t0, t0 + spanMs); every third one shifted (hp + 80, origin Mars). */
  const records = (prefix: string, n: number, t0: number, spanMs: number): PredictionRecord[] =>
    Array.from({ length: n }, (_, i) => {
      const shifted = i % 3 === 0;
      const hp = Math.round(60 + r() * 160) + (shifted ? 80 : 0);
      return {
        endpoint: 'mpg',
        id: `${prefix}-${i}`,
        version: 1,
        time: Math.floor(t0 + r() * spanMs),
        inputs: { hp, weight: Math.round(2000 + r() * 2500) + r(), origin: shifted ? 'Mars' : ORIGINS[i % 3]!, ...(i % 11 === 0 ? { extra: 1 } : {}) },
        outputs: i % 17 === 0 ? { nope: 1 } : { prediction: 45 - hp * 0.1 + r() * 4 },
        latencyMs: 1,
        anomalies: shifted ? [{ code: 'UNKNOWN_CATEGORY', column: 'origin' }] : [],
      };
    });

  beforeAll(async () => {
    target = await createTestDbTarget(kind);
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-rollup-'));
    store = createLocalStore(dir);
    const training = Array.from({ length: 400 }, () => ({ hp: Math.round(60 + r() * 160), weight: Math.round(2000 + r() * 2500), origin: ORIGINS[Math.floor(r() * 3)]!, mpg: Math.round(r() * 300) / 10 }));
    await deployMpg(kdb.db, store, training);
    // Logged before the rollup existed (no store: not rolled up), over the last 5 days.
    expect(await ingestPredictions(kdb.db, records('pre', 300, now - 120 * HOUR, 120 * HOUR))).toMatchObject({ accepted: 300 });
    // With the rollup, in batches over the last 3 days; the first batch is retried.
    const batch = records('a', 1500, now - 72 * HOUR, 72 * HOUR);
    for (let i = 0; i < batch.length; i += 500) expect(await ingestPredictions(kdb.db, batch.slice(i, i + 500), { store })).toMatchObject({ accepted: 500, duplicates: 0 });
    expect(await ingestPredictions(kdb.db, batch.slice(0, 500), { store })).toMatchObject({ accepted: 0, duplicates: 500 });
    await recordFeedback(kdb.db, 'mpg', batch.filter((_, i) => i % 4 === 0).map((b, i) => ({ id: b.id, actual: 20 + (i % 13) })));
  }, 120_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  /** Rows counted in the rollup equal the rows marked rolled up. */
  async function expectRollupCountsRows(): Promise<void> {
    const [rolled] = await kdb.db.select({ n: sql<number>`count(*)::int` }).from(predictions).where(eq(predictions.rolledUp, true));
    const [summed] = await kdb.db.select({ n: sql<number>`coalesce(sum(${predictionRollup.rows}), 0)::int` }).from(predictionRollup);
    expect(summed!.n).toBe(rolled!.n);
  }

  async function expectSameReport(o: Omit<ReportOptions, 'endpoint'>): Promise<void> {
    const viaRollup = await monitoringReport(kdb.db, store, { endpoint: 'mpg', ...o });
    const raw = await monitoringReport(kdb.db, store, { endpoint: 'mpg', ...o, rollup: false });
    expect(viaRollup.requests).toBeGreaterThan(0);
    if (o.reference && o.reference !== 'training') {
      // A window reference's variance (Wasserstein's normaliser) is a floating-point sum taken in
      // another order (Welford per row vs Chan's merge of hours): equal to the last few bits only.
      const stats = (x: typeof raw) => [...x.drift.features, x.drift.prediction!].map((f) => f.statistic);
      stats(viaRollup).forEach((v, i) => expect(Math.abs(v - stats(raw)[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(stats(raw)[i]!)));
      const pin = (x: typeof raw) => ({ ...x, drift: { ...x.drift, features: x.drift.features.map((f) => ({ ...f, statistic: 0 })), prediction: { ...x.drift.prediction!, statistic: 0 } } });
      expect(pin(viaRollup)).toEqual(pin(raw));
    } else expect(viaRollup).toEqual(raw);
  }

  it('counts each stored row once (a retried batch adds nothing)', async () => {
    await expectRollupCountsRows();
    const [rolled] = await kdb.db.select({ n: sql<number>`count(*)::int` }).from(predictions).where(eq(predictions.rolledUp, true));
    expect(rolled!.n).toBe(1500);
  });

  it('gives the raw scan\'s report for hour-aligned, unaligned and many-hour windows', async () => {
    await expectSameReport({ windowMs: 24 * HOUR, now: new Date(now) });
    await expectSameReport({ windowMs: 24 * HOUR, now: new Date(now - 5 * HOUR - 17 * 60_000 - 23_456) });
    await expectSameReport({ windowMs: 3 * HOUR + 1234, now: new Date(now - 30 * 60_000) });
    await expectSameReport({ windowMs: 40 * 60_000, now: new Date(now - 10 * 60_000) });
    await expectSameReport({ windowMs: 7 * 24 * HOUR, now: new Date(now + 1) });
    await expectSameReport({ windowMs: 24 * HOUR, now: new Date(now - 7 * 60_000), reference: { windowMs: 48 * HOUR + 999 } });
    const r = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 7 * 24 * HOUR, now: new Date(now + 1) });
    expect(r.requests).toBe(1800);
    expect(r.anomalies).toEqual({ UNKNOWN_CATEGORY: 600 });
    expect(r.metrics.labelled).toBe(375);
    expect(r.drift.features.filter((f) => f.drifted).map((f) => f.name)).toEqual(['hp', 'origin']);
  });

  it.runIf(kind === 'postgres')('loses nothing when two control planes (two PostgreSQL connections) ingest the same hours at once', async () => {
    const other = await openDb(target.options);
    try {
      const t0 = now - 2 * HOUR;
      for (let round = 0; round < 4; round++) {
        const a = records(`c${round}`, 400, t0, 2 * HOUR);
        // Overlapping batches: the middle half is sent by both (a retry racing the original).
        const results = await Promise.all([ingestPredictions(kdb.db, a.slice(0, 300), { store }), ingestPredictions(other.db, a.slice(100), { store })]);
        expect(results[0]!.accepted + results[1]!.accepted).toBe(400);
      }
      await expectRollupCountsRows();
      await expectSameReport({ windowMs: 24 * HOUR, now: new Date(now) });
    } finally {
      await other.close();
    }
  }, 60_000);

  it('prunes rollup hours with the predictions past retention', async () => {
    await setMonitoringSettings(kdb.db, 'mpg', { retentionDays: 2 });
    while ((await prunePredictions(kdb.db, { now: new Date(now) })) > 0);
    const cutoff = Math.floor((now - 48 * HOUR) / HOUR) * HOUR;
    const [oldest] = await kdb.db.select({ t: sql<string>`min(${predictions.time})` }).from(predictions);
    const [oldestHour] = await kdb.db.select({ t: sql<string>`min(${predictionRollup.hour})` }).from(predictionRollup);
    expect(new Date(oldest!.t).getTime()).toBeGreaterThanOrEqual(cutoff);
    expect(new Date(oldestHour!.t).getTime()).toBe(cutoff);
    await expectRollupCountsRows();
    await expectSameReport({ windowMs: 7 * 24 * HOUR, now: new Date(now + 1) });
  });
});
