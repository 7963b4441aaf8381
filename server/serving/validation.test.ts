/**
 * Data validation at serving. A package built from a frame that carries the raw inputs' data
 * schema keeps it (`inputDataSchema`), so serving tags OUT_OF_RANGE in the prediction log; older
 * packages without it still get the range-less schema. End to end (a control plane API on
 * PostgreSQL, serving fed by it over HTTP): the endpoint setting `rejectAnomalies` reaches
 * serving and turns the chosen codes into 400s naming the instance index, column, code and
 * observed value, while other anomalies stay tags.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { initNodeBackend } from '../../lib/backend/node';
import { makeTable } from '../../lib/nodes/kinds/test-utils';
import { buildPackage } from '../../lib/package/package';
import { parseManifest as readManifest } from '../../lib/package/validate';
import { makeTrained, RAW } from '../../lib/package/test-utils';
import { inferDataSchema } from '../../lib/sketch/data-schema';
import { sketchTable } from '../../lib/sketch/table-sketch';
import { openAuth } from '../auth';
import { loadConfig } from '../config';
import { endpoints, predictions } from '../db/schema';
import { openTestDb } from '../db/testing';
import { apiConfig } from '../http/config';
import { nodeHandler } from '../http/node-adapter';
import { createApi } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import { setMonitoringSettings } from '../monitoring/prediction-log';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import { createLocalStore } from '../storage/local';
import { schemaFromManifest } from './prediction-log';
import { createServingServer, type ServingServer } from './server';
import { ControlPlaneSource } from './sources';
import { http } from './test-utils';

/** A package whose frame carries the raw data schema of RAW (hp 130..225 with a missing value, weight 3433..4425, 3 origins). */
async function packageWithDataSchema(): Promise<Uint8Array> {
  await initNodeBackend('cpu');
  const trained = await makeTrained(tf, { task: 'regression' });
  trained.frame.rawSchema = inferDataSchema(sketchTable(makeTable({ hp: RAW.hp, weight: RAW.weight, origin: RAW.origin, mpg: RAW.mpg })));
  const files = buildPackage(trained, { name: 'cars', kilnVersion: 'test', createdAt: '2024-01-01T00:00:00.000Z', lineage: { graphHash: 'test', backend: 'cpu', device: 'cpu' } });
  return zipSync(Object.fromEntries(files));
}

describe('packaged data schema', () => {
  it('a package keeps the input columns of the raw data schema (not the target), and serving checks against it', async () => {
    await initNodeBackend('cpu');
    const trained = await makeTrained(tf, { task: 'regression' });
    const old = readManifest(buildPackage(trained, { name: 'cars', kilnVersion: 'test', lineage: { graphHash: 'test', backend: 'cpu', device: 'cpu' } }));
    expect(old.inputDataSchema).toBeUndefined();
    // Old packages: the schema derived from the input schema has no ranges.
    expect(schemaFromManifest(old).columns.find((c) => c.name === 'hp')!.max).toBeUndefined();

    trained.frame.rawSchema = inferDataSchema(sketchTable(makeTable({ hp: RAW.hp, weight: RAW.weight, origin: RAW.origin, mpg: RAW.mpg })));
    const m = readManifest(buildPackage(trained, { name: 'cars', kilnVersion: 'test', lineage: { graphHash: 'test', backend: 'cpu', device: 'cpu' } }));
    expect(m.inputDataSchema!.columns.map((c) => c.name)).toEqual(m.inputSchema.map((c) => c.name));
    expect(m.inputDataSchema!.columns.map((c) => c.name)).not.toContain('mpg');
    const hp = schemaFromManifest(m).columns.find((c) => c.name === 'hp')!;
    expect(hp).toMatchObject({ min: 130, max: 225, nullable: true });
    expect(hp.maxMissingRate).toBeCloseTo(0.1 + 0.05, 12); // one of ten missing, plus the default slack
    expect(schemaFromManifest(m).columns.find((c) => c.name === 'origin')!.categories).toEqual(['Europe', 'Japan', 'USA']);
    // A domain too large for the data schema (none recorded) falls back to the fitted vocabulary.
    const wide = { ...m, inputDataSchema: { ...m.inputDataSchema!, columns: m.inputDataSchema!.columns.map(({ categories: _c, ...c }) => c) } };
    expect(schemaFromManifest(wide).columns.find((c) => c.name === 'origin')!.categories!.sort()).toEqual(['Europe', 'Japan', 'USA']);
    expect(schemaFromManifest(wide).columns.find((c) => c.name === 'hp')!.max).toBe(225);
  });
});

describe('serving: OUT_OF_RANGE tags and rejected anomalies (PostgreSQL control plane, serving over HTTP)', () => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let cp: Server;
  let serving: ServingServer;
  let url: string;

  beforeAll(async () => {
    kdb = await openTestDb('postgres');
    dir = await mkdtemp(join(tmpdir(), 'kiln-serving-validation-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store, { zip: await packageWithDataSchema() });
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

  const logged = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const rows = await kdb.db.select().from(predictions).where(eq(predictions.predictionId, id)).orderBy(asc(predictions.id));
      if (rows.length) return rows[0]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`prediction ${id} was not logged`);
  };
  const policyHas = async (code: string | null) => {
    for (let i = 0; i < 250; i++) {
      const set = serving.host.policies.get('cars')?.rejectAnomalies;
      if (set && (code === null ? set.size === 0 : set.has(code))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`serving never saw rejectAnomalies ${code ?? '(none)'}`);
  };

  it('tags a value outside the training range OUT_OF_RANGE (and answers it)', async () => {
    const r = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }, { hp: 500, weight: 3500, origin: 'Mars' }] }), headers: { 'x-request-id': 'range' } });
    expect(r.status, r.body).toBe(200);
    expect((await logged('range/0')).anomalies).toEqual([]);
    expect((await logged('range/1')).anomalies).toEqual([
      { code: 'OUT_OF_RANGE', column: 'hp' },
      { code: 'UNKNOWN_CATEGORY', column: 'origin' },
    ]);
  });

  it('an endpoint setting turns chosen codes into 400s naming instance, column, code and value; others stay tags', async () => {
    const bad = await setMonitoringSettings(kdb.db, 'cars', { rejectAnomalies: ['OUT_OF_RANGE', 'NOT_A_CODE'] }).catch((e: Error) => e);
    expect((bad as Error).message).toMatch(/^rejectAnomalies\[1\]: unknown anomaly code "NOT_A_CODE" \(codes: SCHEMA_NEW_COLUMN, /);
    const set = await setMonitoringSettings(kdb.db, 'cars', { rejectAnomalies: ['OUT_OF_RANGE'] });
    expect(set.rejectAnomalies).toEqual(['OUT_OF_RANGE']);
    expect((await kdb.db.select({ r: endpoints.rejectAnomalies }).from(endpoints))[0]!.r).toEqual(['OUT_OF_RANGE']);
    await policyHas('OUT_OF_RANGE');

    const r = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }, { hp: 150, weight: 9000, origin: 'USA' }] }), headers: { 'x-request-id': 'refused' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'ANOMALY_REJECTED',
      error: 'instances[1] column "weight": OUT_OF_RANGE (observed 9000); endpoint "cars" rejects OUT_OF_RANGE',
      index: 1,
      column: 'weight',
      anomaly: 'OUT_OF_RANGE',
      observed: '9000',
    });
    // KServe V2 too.
    const v2 = await http(`${url}/v2/models/cars/infer`, {
      body: JSON.stringify({ inputs: [{ name: 'hp', shape: [1], datatype: 'FP32', data: [10] }, { name: 'weight', shape: [1], datatype: 'FP32', data: [3500] }, { name: 'origin', shape: [1], datatype: 'BYTES', data: ['USA'] }] }),
    });
    expect(v2.status).toBe(400);
    expect(v2.json.error).toBe('instances[0] column "hp": OUT_OF_RANGE (observed 10); endpoint "cars" rejects OUT_OF_RANGE');

    // An unknown category is not among the rejected codes: answered and tagged.
    const ok = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'Mars' }] }), headers: { 'x-request-id': 'tagged' } });
    expect(ok.status, ok.body).toBe(200);
    expect((await logged('tagged')).anomalies).toEqual([{ code: 'UNKNOWN_CATEGORY', column: 'origin' }]);

    await setMonitoringSettings(kdb.db, 'cars', { rejectAnomalies: ['UNKNOWN_CATEGORY'] });
    await policyHas('UNKNOWN_CATEGORY');
    const cat = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'Mars' }] }) });
    expect(cat.status).toBe(400);
    expect(cat.json.error).toBe('instances[0] column "origin": UNKNOWN_CATEGORY (observed "Mars"); endpoint "cars" rejects UNKNOWN_CATEGORY');

    await setMonitoringSettings(kdb.db, 'cars', { rejectAnomalies: [] });
    await policyHas(null);
    const back = await http(`${url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [{ hp: 500, weight: 3500, origin: 'Mars' }] }) });
    expect(back.status, back.body).toBe(200);
  });
});
