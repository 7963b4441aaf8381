/**
 * The prediction log on the control plane: serving's batches are stored once however often they
 * are retried, only a serving token may post them, feedback reports the ids it cannot join,
 * per-endpoint settings reach the serving config, and retention prunes old predictions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuth } from '../auth';
import { loadConfig } from '../config';
import { openDb, type KilnDb } from '../db/client';
import { predictionFeedback, predictions } from '../db/schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { apiConfig } from '../http/config';
import { createApi, type Api } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import { createOrBindEndpoint, getEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { servingConfig } from '../registry/serving-config';
import { seedRun } from '../registry/test-fixtures';
import { createLocalStore } from '../storage/local';
import type { PredictionRecord } from '../serving/log-protocol';
import { prunePredictions, recordFeedback, setMonitoringSettings } from './prediction-log';

const actor = 'test:alice@host';
const DAY = 86_400_000;

function rec(id: string, over: Partial<PredictionRecord> = {}): PredictionRecord {
  return { endpoint: 'cars', id, version: 1, time: Date.now(), inputs: { Horsepower: 130, Origin: 'USA' }, outputs: 18.2, latencyMs: 1.5, anomalies: [], ...over };
}

describe.each(DB_KINDS)('prediction log on %s', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let api: Api;
  let servingToken: string;
  let runnerToken: string;

  const post = (path: string, body: unknown, token = servingToken) =>
    api.handleApi(new Request(`http://kiln.test${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }));

  beforeAll(async () => {
    target = await createTestDbTarget(kind);
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-predlog-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store);
    await registerVersion(kdb.db, store, { modelName: 'cars', runId, actor });
    await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: 1, actor });
    await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } }, actor);
    api = createApi({ db: kdb.db, store, config: apiConfig(loadConfig({})), log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
    servingToken = (await createRunnerToken(kdb.db, 'serving', 'serving')).token;
    runnerToken = (await createRunnerToken(kdb.db, 'r1', 'runner')).token;
  }, 60_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a batch once: a retried batch adds nothing, and a deleted endpoint\'s records are counted', async () => {
    const batch = { records: [rec('a'), rec('b', { anomalies: [{ code: 'OUT_OF_RANGE', column: 'Horsepower' }] }), rec('c', { endpoint: 'gone' })] };
    const first = await post('/api/serving/predictions', batch);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ accepted: 2, duplicates: 0, unknownEndpoint: 1 });
    const again = await post('/api/serving/predictions', { records: [...batch.records, rec('d')] });
    expect(await again.json()).toEqual({ accepted: 1, duplicates: 2, unknownEndpoint: 1 });
    const rows = await kdb.db.select().from(predictions).orderBy(predictions.predictionId);
    expect(rows.map((r) => r.predictionId)).toEqual(['a', 'b', 'd']);
    expect(rows[1]).toMatchObject({ version: 1, inputs: { Horsepower: 130, Origin: 'USA' }, outputs: 18.2, latencyMs: 1.5, anomalies: [{ code: 'OUT_OF_RANGE', column: 'Horsepower' }] });
  });

  it('needs a serving machine token and a well-formed batch (the field named)', async () => {
    expect((await post('/api/serving/predictions', { records: [rec('x')] }, runnerToken)).status).toBe(403);
    const res = await api.handleApi(new Request('http://kiln.test/api/serving/predictions', { method: 'POST', body: '{}' }));
    expect(res.status).toBe(401);
    const bad = await post('/api/serving/predictions', { records: [rec('ok'), { ...rec('y'), latencyMs: -1 }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('records[1].latencyMs');
    // Nothing half-written: the good record of the refused batch is not stored.
    expect(await kdb.db.select().from(predictions).where(eq(predictions.predictionId, 'ok'))).toEqual([]);
  });

  it('joins feedback by prediction id, replaces a second answer, and reports unknown ids', async () => {
    const res = await post('/api/serving/feedback', { endpoint: 'cars', feedback: [{ id: 'a', actual: 20 }, { id: 'nope-1', actual: 1 }, { id: 'b', actual: 17 }, { id: 'nope-2', actual: 2 }] });
    expect(await res.json()).toEqual({ accepted: 2, unknown: 2, unknownIds: ['nope-1', 'nope-2'] });
    const r2 = await recordFeedback(kdb.db, 'cars', [{ id: 'a', actual: 21 }]);
    expect(r2).toEqual({ accepted: 1, unknown: 0, unknownIds: [] });
    const fb = await kdb.db
      .select({ id: predictions.predictionId, actual: predictionFeedback.actual })
      .from(predictionFeedback)
      .innerJoin(predictions, eq(predictions.id, predictionFeedback.predictionRowId))
      .orderBy(predictions.predictionId);
    expect(fb).toEqual([{ id: 'a', actual: 21 }, { id: 'b', actual: 17 }]);
    const missing = await post('/api/serving/feedback', { endpoint: 'nope', feedback: [{ id: 'a', actual: 1 }] });
    expect(missing.status).toBe(404);
  });

  it('settings: sampling reaches the serving config, retention is validated', async () => {
    expect((await getEndpoint(kdb.db, 'cars'))!.monitoring).toEqual({ sampleRate: 1, retentionDays: 30, rejectAnomalies: [], drift: {} });
    expect((await servingConfig(kdb.db)).endpoints.find((e) => e.name === 'cars')!.log).toEqual({ sampleRate: 1 });
    const before = (await servingConfig(kdb.db)).revision;
    const s = await setMonitoringSettings(kdb.db, 'cars', { sampleRate: 0.25 });
    expect(s).toMatchObject({ sampleRate: 0.25, retentionDays: 30 });
    expect(s.revision).toBeGreaterThan(before);
    expect((await servingConfig(kdb.db)).endpoints.find((e) => e.name === 'cars')!.log).toEqual({ sampleRate: 0.25 });
    await expect(setMonitoringSettings(kdb.db, 'cars', { sampleRate: 1.5 })).rejects.toThrow(/sampleRate must be between 0 and 1, got 1.5/);
    await expect(setMonitoringSettings(kdb.db, 'cars', { retentionDays: 0 })).rejects.toThrow(/retentionDays/);
    await expect(setMonitoringSettings(kdb.db, 'nope', { retentionDays: 2 })).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
    await setMonitoringSettings(kdb.db, 'cars', { sampleRate: 1 });
  });

  it('prunes predictions past the endpoint\'s retention with their feedback, a bounded number per call', async () => {
    const now = Date.now();
    await post('/api/serving/predictions', { records: [rec('old-1', { time: now - 10 * DAY }), rec('old-2', { time: now - 9 * DAY }), rec('old-3', { time: now - 8 * DAY }), rec('recent', { time: now - 6 * DAY })] });
    await recordFeedback(kdb.db, 'cars', [{ id: 'old-1', actual: 3 }]);
    await setMonitoringSettings(kdb.db, 'cars', { retentionDays: 7 });
    expect(await prunePredictions(kdb.db, { limit: 2 })).toBe(2);
    expect(await prunePredictions(kdb.db, { limit: 2 })).toBe(1);
    expect(await prunePredictions(kdb.db)).toBe(0);
    const left = (await kdb.db.select({ id: predictions.predictionId }).from(predictions)).map((r) => r.id).sort();
    expect(left).toEqual(['a', 'b', 'd', 'recent']);
    const fbRows = await kdb.db.execute(sql`SELECT count(*)::int AS n FROM prediction_feedback`);
    expect((fbRows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(2);
  });
});
