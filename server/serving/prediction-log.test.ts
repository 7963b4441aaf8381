/**
 * The prediction log from the serving side. Its buffer never blocks a prediction: a control
 * plane that hangs fills it, and overflow is dropped and counted; a failing one gets the batch
 * again, in order. End to end (a control plane API on PGlite, serving fed by it over HTTP):
 * every answer carries its prediction id (the client's as is, `ID/i` for several instances, a
 * new one otherwise), each instance lands in the database once with its inputs, outputs,
 * version and anomaly tags, sampling 0 logs nothing, and `:feedback` reaches the control plane
 * with unknown ids reported.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { KilnError } from '../../lib/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { openAuth } from '../auth';
import { loadConfig } from '../config';
import { predictions } from '../db/schema';
import { openTestDb } from '../db/testing';
import { apiConfig } from '../http/config';
import { nodeHandler } from '../http/node-adapter';
import { createApi } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import type { PredictionRecord } from './log-protocol';
import { setMonitoringSettings } from '../monitoring/prediction-log';
import { requestSeries } from '../monitoring/request-stats';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import { createLocalStore } from '../storage/local';
import { PredictionLog, predictionIds, type PredictionSink } from './prediction-log';
import { createServingServer, type ServingServer } from './server';
import { ControlPlaneSource } from './sources';
import { http } from './test-utils';

const rec = (id: string): PredictionRecord => ({ endpoint: 'e', id, version: 1, time: 0, inputs: {}, outputs: 1, latencyMs: 0, anomalies: [] });

describe('PredictionLog buffer', () => {
  it('a control plane that never answers fills the buffer; overflow is dropped and counted, add never waits', async () => {
    const lines: string[] = [];
    const registry = new Registry();
    let posted = 0;
    const sink: PredictionSink = { postPredictions: () => ((posted++), new Promise(() => undefined)), postFeedback: async () => ({ accepted: 0, unknown: 0, unknownIds: [] }) };
    const log = new PredictionLog({ sink, capacity: 100, batchSize: 10, flushMs: 5, registry, log: (l) => lines.push(l) });
    const t0 = performance.now();
    let kept = 0;
    for (let i = 0; i < 1000; i++) if (log.add(rec(`r${i}`))) kept++;
    expect(performance.now() - t0).toBeLessThan(200);
    await new Promise((r) => setTimeout(r, 30));
    expect(posted).toBe(1); // one batch in flight, hanging; no second one piles up behind it
    expect(kept).toBe(100); // the loop never yields: nothing was flushed while it ran
    expect(log.dropped).toBe(900);
    expect(log.pending).toBe(100); // the hanging batch counts until it is acknowledged
    expect(await registry.getSingleMetricAsString('kiln_serving_prediction_log_dropped_total')).toContain('kiln_serving_prediction_log_dropped_total 900');
    expect(lines.filter((l) => /prediction log buffer full \(100 records, control plane slow\): dropped 1 record/.test(l))).toHaveLength(1);
  });

  it('a failed batch is sent again, in order, once the control plane is back', async () => {
    const got: string[] = [];
    let fail = 2;
    const lines: string[] = [];
    const sink: PredictionSink = {
      postPredictions: async (body) => {
        if (fail-- > 0) throw new Error('POST /api/serving/predictions: 503');
        got.push(...(JSON.parse(Buffer.from(body).toString('utf8')) as { records: PredictionRecord[] }).records.map((r) => r.id));
      },
      postFeedback: async () => ({ accepted: 0, unknown: 0, unknownIds: [] }),
    };
    const log = new PredictionLog({ sink, batchSize: 4, flushMs: 1, registry: new Registry(), log: (l) => lines.push(l) });
    for (let i = 0; i < 10; i++) log.add(rec(`r${i}`));
    for (let i = 0; i < 200 && got.length < 10; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(log.dropped).toBe(0);
    expect(lines[0]).toMatch(/prediction log: POST \/api\/serving\/predictions: 503 \(attempt 1; 10 record\(s\) waiting\)/);
    expect(lines.some((l) => /reaches the control plane again/.test(l))).toBe(true);
    await log.close(100);
  });

  it('a batch the control plane refuses as malformed is dropped and counted, not retried forever; the records behind it go through', async () => {
    const got: string[] = [];
    const lines: string[] = [];
    const registry = new Registry();
    let calls = 0;
    const sink: PredictionSink = {
      postPredictions: async (body) => {
        calls++;
        const ids = (JSON.parse(Buffer.from(body).toString('utf8')) as { records: PredictionRecord[] }).records.map((r) => r.id);
        if (ids.includes('poison')) throw new KilnError('SERVING_CONFIG', 'POST /api/serving/predictions: 400 records[1].latencyMs: Too small', {}, { extra: { upstreamStatus: 400 } });
        got.push(...ids);
      },
      postFeedback: async () => ({ accepted: 0, unknown: 0, unknownIds: [] }),
    };
    const log = new PredictionLog({ sink, batchSize: 2, flushMs: 1, registry, log: (l) => lines.push(l) });
    for (const id of ['a', 'poison', 'b', 'c']) log.add(rec(id));
    for (let i = 0; i < 200 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['b', 'c']);
    expect(calls).toBe(2);
    expect(log.rejected).toBe(2);
    expect(log.pending).toBe(0);
    expect(await registry.getSingleMetricAsString('kiln_serving_prediction_log_rejected_total')).toContain('kiln_serving_prediction_log_rejected_total 2');
    expect(lines).toEqual([expect.stringMatching(/refused a batch of 2 record\(s\), dropped: POST \/api\/serving\/predictions: 400 records\[1\]\.latencyMs/)]);
    await log.close(100);
  });

  it('ids: one instance keeps the id, several get ID/0, ID/1, …', () => {
    expect(predictionIds('abc', 1)).toEqual(['abc']);
    expect(predictionIds('abc', 3)).toEqual(['abc/0', 'abc/1', 'abc/2']);
  });
});

describe('prediction log end to end (pglite control plane, serving over HTTP)', () => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let cp: Server;
  let serving: ServingServer;
  let url: string;

  beforeAll(async () => {
    kdb = await openTestDb('pglite');
    dir = await mkdtemp(join(tmpdir(), 'kiln-serving-log-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store);
    await registerVersion(kdb.db, store, { modelName: 'cars', runId, actor: 'test' });
    await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: 1, actor: 'test' });
    await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } });
    const api = createApi({ db: kdb.db, store, config: apiConfig(loadConfig({})), log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
    cp = createServer(nodeHandler((req) => api.handleApi(req), () => undefined));
    await new Promise<void>((r) => cp.listen(0, '127.0.0.1', () => r()));
    const { token } = await createRunnerToken(kdb.db, 'serving', 'serving');
    const source = new ControlPlaneSource({ server: `http://127.0.0.1:${(cp.address() as AddressInfo).port}`, token, waitS: 1, pollMs: 100 });
    serving = await createServingServer({ source, port: 0, log: () => undefined, predictionLog: { flushMs: 20 } });
    url = serving.url;
  }, 90_000);

  afterAll(async () => {
    await serving?.close();
    cp?.closeAllConnections();
    await new Promise<void>((r) => (cp ? cp.close(() => r()) : r()));
    await kdb?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const logged = async (n: number) => {
    for (let i = 0; i < 200; i++) {
      const rows = await kdb.db.select().from(predictions).orderBy(asc(predictions.id));
      if (rows.length >= n) return rows;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`fewer than ${n} logged predictions`);
  };

  it('answers carry prediction ids and every instance is logged once with inputs, outputs, version and anomaly tags', async () => {
    const instances = [{ hp: 150, weight: 3500, origin: 'USA' }, { hp: 90, weight: 2100, origin: 'Mars' }, { hp: null, weight: 2500, origin: 'Japan' }];
    const r = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances }), headers: { 'x-request-id': 'req-7' } });
    expect(r.status).toBe(200);
    expect(r.headers['x-request-id']).toBe('req-7');
    const one = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [instances[0]] }) });
    expect(one.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const v2 = await http(`${url}/v2/models/cars/infer`, {
      body: JSON.stringify({ id: 'v2-call', inputs: [{ name: 'hp', shape: [1], datatype: 'FP32', data: [120] }, { name: 'weight', shape: [1], datatype: 'FP32', data: [3000] }, { name: 'origin', shape: [1], datatype: 'BYTES', data: ['Europe'] }] }),
    });
    expect(v2.status, v2.body).toBe(200);
    expect(v2.json.id).toBe('v2-call');
    const v2anon = await http(`${url}/v2/models/cars/infer`, { body: JSON.stringify({ inputs: [{ name: 'hp', shape: [1], datatype: 'FP32', data: [120] }, { name: 'weight', shape: [1], datatype: 'FP32', data: [3000] }, { name: 'origin', shape: [1], datatype: 'BYTES', data: ['Europe'] }] }) });
    expect(v2anon.json.id).toMatch(/^[0-9a-f-]{36}$/);

    const all = await logged(6);
    // Row ids follow the control plane's insert order (a batch is sorted for its rollup), not arrival: compare by prediction id.
    const ids = ['req-7/0', 'req-7/1', 'req-7/2', one.headers['x-request-id'] as string, 'v2-call', v2anon.json.id as string];
    expect(all.map((x) => x.predictionId).sort()).toEqual([...ids].sort());
    const rows = ids.map((id) => all.find((x) => x.predictionId === id)!);
    expect(rows[0]).toMatchObject({ version: 1, inputs: instances[0], outputs: { prediction: r.json.predictions[0] }, anomalies: [] });
    expect(rows[1]!.anomalies).toEqual([{ code: 'UNKNOWN_CATEGORY', column: 'origin' }]);
    // A compact one-instance body is logged from its own bytes, not re-serialised: the same record.
    expect(rows[3]).toMatchObject({ version: 1, inputs: instances[0], outputs: { prediction: one.json.predictions[0] }, anomalies: [] });
    expect(rows[0]!.latencyMs).toBeGreaterThan(0);
    expect(serving.predictionLog!.dropped).toBe(0);
  });

  it('a client id too long is a 400 naming it; sampling 0 logs nothing', async () => {
    const long = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 1, weight: 2, origin: 'USA' }] }), headers: { 'x-request-id': 'x'.repeat(191) } });
    expect(long.status).toBe(400);
    expect(long.json.error).toMatch(/X-Request-Id: at most 190 characters, got 191/);
    await setMonitoringSettings(kdb.db, 'cars', { sampleRate: 0 });
    for (let i = 0; i < 200 && serving.host.policies.get('cars')?.sampleRate !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    const before = (await kdb.db.select().from(predictions)).length;
    const r = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 1, weight: 2, origin: 'USA' }] }), headers: { 'x-request-id': 'unsampled' } });
    expect(r.headers['x-request-id']).toBe('unsampled');
    await serving.predictionLog!.flush();
    await new Promise((res) => setTimeout(res, 100));
    expect((await kdb.db.select().from(predictions)).length).toBe(before);
    await setMonitoringSettings(kdb.db, 'cars', { sampleRate: 1 });
  });

  it(':feedback reaches the control plane and reports unknown ids', async () => {
    const r = await http(`${url}/v1/models/cars:feedback`, { body: JSON.stringify({ feedback: [{ id: 'req-7/0', actual: 17 }, { id: 'unsampled', actual: 1 }, { id: 'v2-call', actual: 20 }] }) });
    expect(r.status, r.body).toBe(200);
    expect(r.json).toEqual({ accepted: 2, unknown: 1, unknownIds: ['unsampled'] });
    const bad = await http(`${url}/v1/models/cars:feedback`, { body: JSON.stringify({ feedback: [{ id: 'a' }] }) });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^feedback\[0\]\.actual: /);
    const row = await kdb.db.select().from(predictions).where(eq(predictions.predictionId, 'req-7/0'));
    expect(row).toHaveLength(1);
  });

  it('every answer, failed and unsampled ones too, reaches the control plane\'s per-minute request statistics', async () => {
    const window = () => ({ start: new Date(Date.now() - 3_600_000), end: new Date(Date.now() + 60_000) });
    await serving.requestStats!.flush();
    const before = await requestSeries(kdb.db, 'cars', window());
    const ok = { instances: [{ hp: 100, weight: 2000, origin: 'USA' }] };
    expect((await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify(ok) })).status).toBe(200);
    expect((await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify(ok) })).status).toBe(200);
    expect((await http(`${url}/v1/models/cars:predict`, { body: '{"instances": [{"hp": "fast"}]}' })).status).toBe(400);
    await serving.requestStats!.flush();
    const after = await requestSeries(kdb.db, 'cars', window());
    expect(after.total.requests - before.total.requests).toBe(3);
    expect(after.total.errors - before.total.errors).toBe(1);
    expect((after.total.codes['400'] ?? 0) - (before.total.codes['400'] ?? 0)).toBe(1);
    expect(after.total.latency!.p99).toBeGreaterThan(0);
  });
});
