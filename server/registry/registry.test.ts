import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { isKilnError } from '../../lib/errors';
import { openTestDb, DB_KINDS } from '../db/testing';
import { createRunnerToken } from '../jobs/runners';
import { apiConfig } from '../http/config';
import { loadConfig } from '../config';
import { openAuth } from '../auth';
import { createApi } from '../http/router';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import { createEndpointKey, createOrBindEndpoint, getEndpoint, hashEndpointKey, listEndpoints, revokeEndpointKey } from './endpoints';
import { aliasHistory, createModel, getModelByName, listModels, listVersions, moveAlias, registerVersion } from './registry';
import { servingConfig } from './serving-config';
import { endpointSnippets } from './snippets';
import { packageZip, seedRun, testGraph } from './test-fixtures';

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected ${code}`).not.toBeNull();
  expect(isKilnError(e) ? e.code : String(e)).toBe(code);
  if (re) expect((e as Error).message).toMatch(re);
}

describe.each(DB_KINDS)('registry on %s', (kind) => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let store: ArtifactStore;
  const actor = 'test:alice@host';

  beforeAll(async () => {
    kdb = await openTestDb(kind, { poolMax: 12 });
    dir = await mkdtemp(join(tmpdir(), 'kiln-registry-'));
    store = createLocalStore(dir);
  }, 60_000);
  afterAll(async () => {
    await kdb?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates models with valid names only', async () => {
    const m = await createModel(kdb.db, { name: 'houses', description: 'prices', tags: { team: 'a' } });
    expect(m.name).toBe('houses');
    expect((await getModelByName(kdb.db, 'houses'))?.tags).toEqual({ team: 'a' });
    await rejects(createModel(kdb.db, { name: 'houses' }), 'REGISTRY_MODEL_EXISTS');
    await rejects(createModel(kdb.db, { name: 'Bad Name' }), 'REGISTRY_BAD_NAME');
    await rejects(createModel(kdb.db, { name: '-x' }), 'REGISTRY_BAD_NAME');
  });

  it('registers a succeeded run: copies the package, records lineage, PENDING → READY', async () => {
    const runId = await seedRun(kdb.db, store);
    const v = await registerVersion(kdb.db, store, { modelName: 'mpg', runId, actor, description: 'first' });
    expect(v.version).toBe(1);
    expect(v.status).toBe('READY');
    expect(v.statusReason).toMatch(/sample request in \d+ ms/);
    expect(v.storageKey).toBe(`models/${v.modelId}/1/model.zip`);
    // The registry's copy is byte-identical to the run's package, and the run's artifact stays.
    expect(await store.getBytes(v.storageKey)).toEqual(await packageZip());
    expect(await store.exists(`runs/${runId}/model.zip`)).toBe(true);
    expect(v.metrics.rmse).toBe(3.4);
    expect(v.datasets).toEqual({ cars: 'ds-cars-1' });
    expect((v.params as Record<string, { seed?: number }>).split?.seed).toBe(3);
    expect(Array.isArray(v.gates) && (v.gates as unknown[]).length).toBe(1);
    expect(v.backend).toBe('cpu');
    const models = await listModels(kdb.db);
    expect(models.find((m) => m.name === 'mpg')?.latestVersion).toBe(1);
    // The studio's Models tab shows a project's own models: the project behind each version.
    expect(models.find((m) => m.name === 'mpg')?.projects).toEqual(['registry-test']);
    expect(models.find((m) => m.name === 'houses')?.projects).toEqual([]);
  });

  it('refuses runs that did not succeed or have no package', async () => {
    await rejects(registerVersion(kdb.db, store, { modelName: 'mpg', runId: await seedRun(kdb.db, store, { status: 'failed' }), actor }), 'REGISTRY_RUN_NOT_SUCCEEDED');
    await rejects(registerVersion(kdb.db, store, { modelName: 'mpg', runId: await seedRun(kdb.db, store, { zip: null }), actor }), 'REGISTRY_NO_PACKAGE');
    await rejects(registerVersion(kdb.db, store, { modelName: 'mpg', runId: 'nope', actor }), 'REGISTRY_RUN_NOT_FOUND');
    await rejects(registerVersion(kdb.db, store, { modelName: 'Not OK', runId: 'nope', actor }), 'REGISTRY_BAD_NAME');
  });

  it('a corrupt package is FAILED with the reason, and never takes an alias', async () => {
    const garbage = zipSync({ 'kiln-model.json': new TextEncoder().encode('{"formatVersion": 1}') });
    const v = await registerVersion(kdb.db, store, { modelName: 'broken', runId: await seedRun(kdb.db, store, { zip: garbage }), actor });
    expect(v.status).toBe('FAILED');
    expect(v.statusReason).toMatch(/^serveability: .*kiln-model\.json/);
    const notZip = await registerVersion(kdb.db, store, { modelName: 'broken', runId: await seedRun(kdb.db, store, { zip: new Uint8Array([1, 2, 3, 4]) }), actor });
    expect(notZip.status).toBe('FAILED');
    expect(notZip.statusReason).toMatch(/not a readable zip/);
    const r = await moveAlias(kdb.db, store, { modelName: 'broken', alias: 'production', version: v.version, actor, reason: 'try', force: true });
    expect(r.moved).toBe(false);
    expect(r.gates[0]).toMatchObject({ gate: 'serveable', passed: false });
    expect(r.gates[0]!.detail).toMatch(/FAILED its serveability check/);
  });

  it('a package over the latency budget is FAILED', async () => {
    const v = await registerVersion(kdb.db, store, { modelName: 'slow', runId: await seedRun(kdb.db, store), actor, serveability: { budgetMs: 0.001 } });
    expect(v.status).toBe('FAILED');
    expect(v.statusReason).toMatch(/budget/);
  });

  it('numbers versions without gaps or duplicates under concurrent registration', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => seedRun(kdb.db, store)));
    const vs = await Promise.all(ids.map((runId) => registerVersion(kdb.db, store, { modelName: 'race', runId, actor })));
    expect(vs.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await listVersions(kdb.db, 'race')).map((v) => v.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  }, 60_000);

  describe('alias gates', () => {
    const reg = async (model: string, o: Parameters<typeof seedRun>[2]) => (await registerVersion(kdb.db, store, { modelName: model, runId: await seedRun(kdb.db, store, o), actor })).version;

    it('a failed metric gate blocks the move and says by how much; the history records it', async () => {
      const v = await reg('gated', {
        metrics: { rmse: 5.61 },
        gates: [{ expr: 'rmse <= 5', metric: 'rmse', op: '<=', threshold: 5, value: 5.61, passed: false, margin: 0.61 }],
      });
      const r = await moveAlias(kdb.db, store, { modelName: 'gated', alias: 'production', version: v, actor, reason: 'ship it' });
      expect(r.moved).toBe(false);
      const g = r.gates.find((x) => x.gate === 'metric_gates')!;
      expect(g.passed).toBe(false);
      expect(g.detail).toBe('metric gates: rmse <= 5 failed with rmse = 5.61, off by 0.61');
      const h = await aliasHistory(kdb.db, 'gated');
      expect(h).toHaveLength(1);
      expect(h[0]).toMatchObject({ alias: 'production', fromVersion: null, toVersion: v, outcome: 'blocked', actor, reason: 'ship it' });
      // --force moves it and is recorded as forced.
      const f = await moveAlias(kdb.db, store, { modelName: 'gated', alias: 'production', version: v, actor, reason: 'hotfix', force: true });
      expect(f.moved).toBe(true);
      expect(f.gates.find((x) => x.gate === 'metric_gates')).toMatchObject({ passed: false, forced: true });
      const h2 = await aliasHistory(kdb.db, 'gated');
      expect(h2[0]).toMatchObject({ outcome: 'moved', reason: 'hotfix' });
      expect((h2[0]!.gateResults as { forced: boolean }[]).some((x) => x.forced)).toBe(true);
    });

    it('must beat the current holder on the same test data, with min_absolute_change', async () => {
      const v1 = await reg('cars', { metrics: { rmse: 3.4, r2: 0.8 }, graph: testGraph({ epochs: 10 }) });
      const first = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: v1, actor, reason: 'initial' });
      expect(first).toMatchObject({ moved: true, from: null, to: v1 });

      // Worse on rmse, same test data (only the training epochs differ): blocked with the numbers.
      const worse = await reg('cars', { metrics: { rmse: 3.61, r2: 0.79 }, graph: testGraph({ epochs: 20 }) });
      const b = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: worse, actor, reason: 'retrain' });
      expect(b.moved).toBe(false);
      const beat = b.gates.find((g) => g.gate === 'beats_current')!;
      expect(beat).toMatchObject({ passed: false, metric: 'rmse', candidate: 3.61, baseline: 3.4, required: 3.4 });
      expect(beat.shortBy).toBeCloseTo(0.21, 10);
      expect(beat.detail).toBe(`beats production (v${v1}) on rmse: 3.61 vs 3.4, needs ≤ 3.4 − 0 (short by 0.21)`);

      // Better by 0.1: passes plainly, but not with min_absolute_change 0.2.
      const better = await reg('cars', { metrics: { rmse: 3.3, r2: 0.81 }, graph: testGraph({ epochs: 30 }) });
      const dry = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: better, actor, minAbsoluteChange: 0.2, dryRun: true });
      expect(dry.moved).toBe(false);
      expect(dry.gates.find((g) => g.gate === 'beats_current')!.detail).toMatch(/needs ≤ 3\.4 − 0\.2 \(short by 0\.1\)/);
      expect(await aliasHistory(kdb.db, 'cars')).toHaveLength(2); // the dry run is not recorded
      const rel = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: better, actor, minRelativeChange: 0.05, reason: 'rel' });
      expect(rel.moved).toBe(false); // 3.3 > 3.4 × 0.95 = 3.23
      const ok = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: better, actor, minAbsoluteChange: 0.05, reason: 'better' });
      expect(ok).toMatchObject({ moved: true, from: v1, to: better });
      expect(ok.gates.every((g) => g.passed)).toBe(true);
      // A higher-is-better metric compares the other way.
      const r2 = await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: worse, actor, metric: 'r2', dryRun: true });
      expect(r2.gates.find((g) => g.gate === 'beats_current')!.detail).toMatch(/on r2: 0\.79 vs 0\.81, needs ≥ 0\.81 \+ 0/);

      const h = await aliasHistory(kdb.db, 'cars', { alias: 'production' });
      expect(h.map((e) => [e.outcome, e.fromVersion, e.toVersion, e.reason])).toEqual([
        ['moved', v1, better, 'better'],
        ['blocked', v1, better, 'rel'],
        ['blocked', v1, worse, 'retrain'],
        ['moved', null, v1, 'initial'],
      ]);
    });

    it('different test data is not comparable and blocks unless forced', async () => {
      const v1 = await reg('split', { metrics: { rmse: 3.4 } });
      await moveAlias(kdb.db, store, { modelName: 'split', alias: 'production', version: v1, actor });
      for (const o of [{ graph: testGraph({ splitSeed: 4 }) }, { datasets: { cars: 'ds-cars-2' } }, { graph: testGraph({ filter: 'Horsepower > 50' }) }]) {
        const v = await reg('split', { metrics: { rmse: 2.0 }, ...o });
        const r = await moveAlias(kdb.db, store, { modelName: 'split', alias: 'production', version: v, actor });
        expect(r.moved).toBe(false);
        expect(r.gates.find((g) => g.gate === 'beats_current')!.detail).toMatch(/not comparable/);
        const f = await moveAlias(kdb.db, store, { modelName: 'split', alias: 'production', version: v, actor, force: true });
        expect(f.moved).toBe(true);
        await moveAlias(kdb.db, store, { modelName: 'split', alias: 'production', version: v1, actor, force: true });
      }
    });
  });

  describe('endpoints and serving config', () => {
    it('binds to an alias or version and validates traffic', async () => {
      const vs = await listVersions(kdb.db, 'cars');
      const ready = vs.filter((v) => v.status === 'READY').map((v) => v.version).sort((a, b) => a - b);
      const ep = await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } });
      expect(ep.defaultVersion).toBe(3);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' }, traffic: [{ version: 1, weight: 90 }, { version: 2, weight: 20 }] }), 'ENDPOINT_BAD_TRAFFIC', /sum to 100, got 110/);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' }, traffic: [{ version: 1, weight: 50.5 }, { version: 2, weight: 49.5 }] }), 'ENDPOINT_BAD_TRAFFIC', /non-negative integer/);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' }, traffic: [{ version: 1, weight: 50 }, { version: 1, weight: 50 }] }), 'ENDPOINT_BAD_TRAFFIC', /twice/);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' }, traffic: [{ version: 1, weight: 50 }, { version: 99, weight: 50 }] }), 'ENDPOINT_BAD_TRAFFIC', /no version 99/);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'nope' } }), 'ENDPOINT_BAD_TARGET');
      await rejects(createOrBindEndpoint(kdb.db, { name: 'bad', modelName: 'broken', target: { version: 1 } }), 'ENDPOINT_BAD_TARGET', /FAILED, not READY/);
      await rejects(createOrBindEndpoint(kdb.db, { name: 'x', modelName: 'nope', target: { version: 1 } }), 'REGISTRY_MODEL_NOT_FOUND');
      const split = await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' }, traffic: [{ version: 3, weight: 90 }, { version: 1, weight: 10 }] });
      expect(split.traffic).toEqual([{ version: 3, weight: 90 }, { version: 1, weight: 10 }]);
      expect(ready).toContain(1);
      await createOrBindEndpoint(kdb.db, { name: 'pinned', modelName: 'cars', target: { version: 2 } });
      expect((await listEndpoints(kdb.db)).map((e) => e.name)).toEqual(['cars', 'pinned']);
    });

    it('keys: shown once, stored hashed, revocable', async () => {
      const k = await createEndpointKey(kdb.db, 'cars', 'ci');
      expect(k.key).toMatch(/^kiln_ek_[A-Za-z0-9_-]{43}$/);
      const ep = await getEndpoint(kdb.db, 'cars');
      expect(ep!.keys).toHaveLength(1);
      expect(JSON.stringify(ep)).not.toContain(k.key);
      const cfg = await servingConfig(kdb.db);
      expect(cfg.endpoints.find((e) => e.name === 'cars')!.keyHashes).toEqual([hashEndpointKey(k.key)]);
      const k2 = await createEndpointKey(kdb.db, 'cars', '', 'user:bob');
      expect((await getEndpoint(kdb.db, 'cars'))!.keys.find((x) => x.id === k2.id)!.createdBy).toBe('user:bob');
      const revoked = await revokeEndpointKey(kdb.db, 'cars', k2.prefix);
      expect(revoked!.revision).toBeGreaterThan(k2.revision);
      expect(await revokeEndpointKey(kdb.db, 'cars', k2.id)).toBeNull();
      expect((await servingConfig(kdb.db)).endpoints.find((e) => e.name === 'cars')!.keyHashes).toEqual([hashEndpointKey(k.key)]);
      await rejects(createEndpointKey(kdb.db, 'nope'), 'ENDPOINT_NOT_FOUND');
    });

    it('servingConfig has the documented shape, and its revision changes on an alias move', async () => {
      const cfg = await servingConfig(kdb.db);
      const cars = cfg.endpoints.find((e) => e.name === 'cars')!;
      expect(Number.isInteger(cfg.revision) && cfg.revision > 0).toBe(true);
      expect(Object.keys(cfg).sort()).toEqual(['endpoints', 'revision', 'studioOrigins']);
      expect(Object.keys(cars).sort()).toEqual(['access', 'corsOrigins', 'default', 'keyHashes', 'log', 'model', 'name', 'rejectAnomalies', 'traffic', 'versions']);
      expect(cars.log).toEqual({ sampleRate: 1 });
      expect(cars.rejectAnomalies).toEqual([]);
      expect(cars).toMatchObject({ name: 'cars', model: 'cars', default: 3, traffic: [{ version: 3, weight: 90 }, { version: 1, weight: 10 }] });
      expect(cars.versions.map((v) => v.version)).toEqual([1, 3]);
      const v3 = cars.versions.find((v) => v.version === 3)!;
      expect(v3.aliases).toEqual(['production']);
      expect(v3.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(v3.url).toMatch(/^\/api\/serving\/versions\/[0-9a-f-]{36}\/package$/);
      expect(cfg.endpoints.find((e) => e.name === 'pinned')).toMatchObject({ default: 2, traffic: [] });
      expect((await servingConfig(kdb.db)).revision).toBe(cfg.revision); // stable when nothing changes

      await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'staging', version: 2, actor });
      const after = await servingConfig(kdb.db);
      expect(after.revision).toBe(cfg.revision + 1);
      expect(after.endpoints.find((e) => e.name === 'cars')!.versions.map((v) => [v.version, v.aliases])).toEqual([
        [1, []],
        [2, ['staging']],
        [3, ['production']],
      ]);
    });

    it('serving routes need a machine token; the package streams with its sha256', async () => {
      const api = createApi({ db: kdb.db, store, config: apiConfig(loadConfig({})), log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
      const url = 'http://kiln.test/api/serving/config';
      expect((await api.handleApi(new Request(url))).status).toBe(401);
      expect((await api.handleApi(new Request(url, { headers: { authorization: 'Bearer kiln_rt_wrong' } }))).status).toBe(401);
      // A runner token cannot read the serving config.
      const runnerToken = (await createRunnerToken(kdb.db, 'runner')).token;
      expect((await api.handleApi(new Request(url, { headers: { authorization: `Bearer ${runnerToken}` } }))).status).toBe(403);
      const { token } = await createRunnerToken(kdb.db, 'serving', 'serving');
      const auth = { authorization: `Bearer ${token}` };
      const res = await api.handleApi(new Request(url, { headers: auth }));
      expect(res.status).toBe(200);
      const cfg = (await res.json()) as Awaited<ReturnType<typeof servingConfig>>;
      const studioOrigins = apiConfig(loadConfig({})).studioOrigins;
      expect(studioOrigins).toEqual(['http://127.0.0.1:3000', 'http://[::1]:3000', 'http://localhost:3000']);
      expect(cfg).toEqual(JSON.parse(JSON.stringify(await servingConfig(kdb.db, { studioOrigins }))));
      expect((await api.handleApi(new Request(url, { headers: { ...auth, 'if-none-match': res.headers.get('etag')! } }))).status).toBe(304);
      const v = cfg.endpoints[0]!.versions[0]!;
      expect((await api.handleApi(new Request(`http://kiln.test${v.url}`))).status).toBe(401);
      const pkg = await api.handleApi(new Request(`http://kiln.test${v.url}`, { headers: auth }));
      expect(pkg.status).toBe(200);
      expect(pkg.headers.get('x-kiln-sha256')).toBe(v.sha256);
      expect(new Uint8Array(await pkg.arrayBuffer())).toEqual(await packageZip());
      expect((await api.handleApi(new Request('http://kiln.test/api/serving/versions/00000000-0000-0000-0000-000000000000/package', { headers: auth }))).status).toBe(404);
    });

    it('snippets carry a real sample record and the key header when the endpoint has keys', async () => {
      const s = await endpointSnippets(kdb.db, store, 'cars', 'http://127.0.0.1:9999');
      expect(s.url).toBe('http://127.0.0.1:9999/v1/models/cars:predict');
      expect(Object.keys(s.record).sort()).toEqual(['hp', 'origin', 'weight']);
      expect(typeof s.record.hp).toBe('number');
      expect(s.record.origin).toMatch(/^(Europe|Japan|USA)$/);
      expect(s.needsKey).toBe(true);
      expect(s.curl).toContain('Authorization: Bearer $KILN_API_KEY');
      expect(s.python).toContain('os.environ["KILN_API_KEY"]');
      const pinned = await endpointSnippets(kdb.db, store, 'pinned', 'http://127.0.0.1:9999');
      expect(pinned.needsKey).toBe(false);
      expect(pinned.curl).not.toContain('Authorization');
    });
  });
});
