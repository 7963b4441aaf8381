/**
 * The monitoring report over a real package and a real stored dataset version: logged inputs
 * from the training distribution drift nowhere, a shifted numeric input and a replaced category
 * drift (and nothing else), live MAPE from joined feedback equals lib/metrics' MAPE of the same
 * rows, the baseline is the training mean's, and a window reference compares two windows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMpg, mpgRows, type MpgRow } from './test-fixtures';
import { mape, rmse } from '../../lib/metrics';
import { openDb, type KilnDb } from '../db/client';
import { createTestDbTarget, type TestDbTarget } from '../db/testing';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import type { PredictionRecord } from '../serving/log-protocol';
import { ingestPredictions, recordFeedback, setMonitoringSettings } from './prediction-log';
import { monitoringReport } from './report';
import { parseWindow } from './window';

const HOUR = 3_600_000;



describe('monitoring report', () => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let store: ArtifactStore;
  const now = new Date('2026-06-01T12:00:00Z');
  const training = mpgRows(600, 1);

  beforeAll(async () => {
    target = await createTestDbTarget('pglite');
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-report-'));
    store = createLocalStore(dir);
    await deployMpg(kdb.db, store, training);

    // Window A (two days ago): 300 rows from the training distribution. Window B (the last 24 h):
    // 300 with hp shifted by +80 and every origin replaced by "Mars".
    const log = (prefix: string, data: MpgRow[], t0: number, shift: boolean): PredictionRecord[] =>
      data.map((d, i) => ({
        endpoint: 'mpg',
        id: `${prefix}-${i}`,
        version: 1,
        time: t0 + i * 1000,
        inputs: { hp: shift ? d.hp + 80 : d.hp, weight: d.weight, origin: shift ? 'Mars' : d.origin },
        outputs: { prediction: d.mpg + (i % 5) - 2 },
        latencyMs: 1,
        anomalies: shift ? [{ code: 'UNKNOWN_CATEGORY', column: 'origin' }] : [],
      }));
    await ingestPredictions(kdb.db, log('a', mpgRows(300, 2), now.getTime() - 40 * HOUR, false));
    await ingestPredictions(kdb.db, log('b', mpgRows(300, 3), now.getTime() - 20 * HOUR, true));
  }, 60_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('inputs like the training data drift nowhere', async () => {
    const r = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now: new Date(now.getTime() - 24 * HOUR) });
    expect(r.requests).toBe(300);
    expect(r.drift.reference).toBe('training');
    expect(r.drift.features.map((f) => [f.name, f.method, f.drifted])).toEqual([
      ['hp', 'ks', false],
      ['weight', 'ks', false],
      ['origin', 'chisquare', false],
    ]);
    expect(r.drift.share).toBe(0);
    expect(r.anomalies).toEqual({});
    expect(r.alerts).toEqual([]);
  });

  it('a shifted numeric input and a replaced category drift, and only they', async () => {
    const r = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now });
    expect(r.requests).toBe(300);
    const drifted = r.drift.features.filter((f) => f.drifted).map((f) => f.name);
    expect(drifted).toEqual(['hp', 'origin']);
    expect(r.drift.share).toBeCloseTo(2 / 3, 12);
    expect(r.anomalies).toEqual({ UNKNOWN_CATEGORY: 300 });
    expect(r.drift.prediction).toMatchObject({ name: 'mpg', method: 'ks' });
    // Against the window before (A) rather than training: the same two drift.
    const w = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now, reference: { windowMs: 24 * HOUR } });
    expect(w.drift.reference).toEqual({ start: new Date(now.getTime() - 48 * HOUR).toISOString(), end: new Date(now.getTime() - 24 * HOUR).toISOString() });
    expect(w.drift.features.filter((f) => f.drifted).map((f) => f.name)).toEqual(['hp', 'origin']);
  });

  it('live metrics from joined feedback equal lib/metrics on the same rows, beside training and the baseline', async () => {
    const data = mpgRows(300, 3);
    const half = data.map((d, i) => ({ id: `b-${i}`, actual: d.mpg + 1, pred: d.mpg + (i % 5) - 2 })).filter((_, i) => i % 2 === 0);
    const fb = await recordFeedback(kdb.db, 'mpg', [...half.map((h) => ({ id: h.id, actual: h.actual })), { id: 'b-9999', actual: 3 }]);
    expect(fb).toMatchObject({ accepted: 150, unknown: 1, unknownIds: ['b-9999'] });
    const r = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now });
    const yTrue = half.map((h) => h.actual);
    expect(r.metrics.labelled).toBe(150);
    expect(r.metrics.live!.mape).toBeCloseTo(mape(yTrue, half.map((h) => h.pred)), 12);
    expect(r.metrics.live!.rmse).toBeCloseTo(rmse(yTrue, half.map((h) => h.pred)), 12);
    expect(r.metrics.training).toEqual({ rmse: 3.4, mae: 2.5, r2: 0.8, mape: 0.12 });
    const mean = training.reduce((s, t) => s + t.mpg, 0) / training.length;
    expect(r.metrics.baseline!.mape).toBeCloseTo(mape(yTrue, yTrue.map(() => mean)), 9);
    expect(r.versions).toEqual([{ version: 1, requests: 300, labelled: 150, live: r.metrics.live, training: r.metrics.training }]);
  });

  it("the endpoint's drift settings, per method and per feature, decide methods and thresholds; bad ones are refused naming the field", async () => {
    await setMonitoringSettings(kdb.db, 'mpg', { drift: { columns: { hp: { method: 'wasserstein', threshold: 5 } }, thresholds: { chisquare: 1e-300 }, shareThreshold: 0.9 } });
    const r = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now });
    const by = Object.fromEntries(r.drift.features.map((f) => [f.name, f]));
    // hp: Wasserstein (normalised) with a threshold no shift reaches; origin: chi-squared at p < 1e-300 is still drifted (p = 0).
    expect(by.hp).toMatchObject({ method: 'wasserstein', threshold: 5, drifted: false });
    expect(by.origin).toMatchObject({ method: 'chisquare', threshold: 1e-300 });
    expect(by.weight).toMatchObject({ method: 'ks', threshold: 0.05 });
    expect(r.drift.shareThreshold).toBe(0.9);
    expect(r.drift.drifted).toBe(false);
    // A caller's options still win over the stored ones.
    const o = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now, drift: { columns: { hp: { method: 'ks' } } } });
    expect(o.drift.features.find((f) => f.name === 'hp')).toMatchObject({ method: 'ks', drifted: true });
    await expect(setMonitoringSettings(kdb.db, 'mpg', { drift: { columns: { hp: { method: 'bogus' as 'ks' } } } })).rejects.toThrow(/^drift\.columns\.hp\.method: .*\(methods: ks, wasserstein/);
    await expect(setMonitoringSettings(kdb.db, 'mpg', { drift: { shareThreshold: 2 } })).rejects.toThrow(/^drift\.shareThreshold: /);
    await setMonitoringSettings(kdb.db, 'mpg', { drift: {} });
    expect((await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now })).drift.features.find((f) => f.name === 'hp')).toMatchObject({ method: 'ks', drifted: true });
  });

  it('names a bad window and an unknown endpoint', async () => {
    expect(parseWindow('24h')).toBe(24 * HOUR);
    expect(() => parseWindow('24 hours')).toThrow(/window: expected a duration such as 30m, 24h or 7d/);
    expect(() => parseWindow('0h', 'reference')).toThrow(/^reference:/);
    await expect(monitoringReport(kdb.db, store, { endpoint: 'nope', windowMs: HOUR })).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
  });
});
