/**
 * Issue 11's acceptance for endpoint keys, end to end with real processes on both databases: a
 * control plane (this process: the API over HTTP on a test database) and a spawned `kiln
 * serving` long-polling it. Predictions fire continuously with a key; the key is revoked through
 * tRPC; not one request sent after `revokeKey` returned succeeds, and every one is a 401 (the
 * endpoint had one key: it is now closed, not public). Then access and CORS changes, which also
 * apply to the very next request, and the admin listener of `KILN_SERVING_ADMIN_PORT`.
 */
import { bootstrapOwner } from '../auth/bootstrap';
import { openAuth } from '../auth';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { DB_KINDS, openTestDb } from '../db/testing';
import { apiConfig } from '../http/config';
import { nodeHandler } from '../http/node-adapter';
import { createApi } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import { KILN, Proc, TEST_OWNER_TOKEN, trpcClient } from '../runner/harness';
import { createLocalStore } from '../storage/local';

const actor = 'test:revoke';
const body = JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }] });

describe.each(DB_KINDS)('revoking a key under load (%s)', (kind) => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let cp: Server;
  let cpUrl: string;
  let serving: Proc;
  let servingUrl: string;
  let adminUrl: string;
  const config = apiConfig(loadConfig({}));

  beforeAll(async () => {
    kdb = await openTestDb(kind, { poolMax: 8 });
    dir = await mkdtemp(join(tmpdir(), 'kiln-revoke-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store);
    await registerVersion(kdb.db, store, { modelName: 'cars', runId, actor });
    await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: 1, actor });
    await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } });
    await bootstrapOwner(kdb.db, { bootstrapToken: TEST_OWNER_TOKEN });
    const api = createApi({ db: kdb.db, store, config, log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
    cp = createServer(nodeHandler((req) => api.handleApi(req), () => undefined));
    await new Promise<void>((r) => cp.listen(0, '127.0.0.1', () => r()));
    cpUrl = `http://127.0.0.1:${(cp.address() as AddressInfo).port}`;
    const { token } = await createRunnerToken(kdb.db, 'serving', 'serving');
    serving = new Proc('serving', [KILN, 'serving', '--server', cpUrl, '--port', '0', '--backend', 'cpu'], {
      KILN_SERVING_TOKEN: token,
      KILN_SERVE_NO_REEXEC: '1',
      KILN_SERVING_ADMIN_PORT: '0',
    });
    servingUrl = (await serving.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 90_000))[1]!;
    adminUrl = (await serving.waitFor(/\/metrics and \/v1\/requests\/recent on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    // Public until a key is made.
    for (let i = 0; ; i++) {
      const r = await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body }).catch(() => null);
      if (r?.status === 200) break;
      if (i > 600) throw new Error(`serving never served cars:\n${serving.output.slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }, 180_000);

  afterAll(async () => {
    await serving?.stop(10_000);
    cp?.closeAllConnections();
    await new Promise<void>((r) => (cp ? cp.close(() => r()) : r()));
    await kdb?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('no request sent after revokeKey returned succeeds; every one is 401', async () => {
    const trpc = trpcClient(cpUrl);
    const made = await trpc.endpoints.createKey.mutate({ name: 'cars', keyName: 'load' });
    // createKey answers once the replica applied it: the key works, and no key no longer does.
    expect(made.replicas.unconfirmed).toEqual([]);
    expect(made.replicas.confirmed).toHaveLength(1);
    const auth = { authorization: `Bearer ${made.key}`, 'content-type': 'application/json' };
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body, headers: auth })).status).toBe(200);
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body })).status).toBe(401);

    // Quiet first: another key, revoked with nothing else going on; the next request with it is refused.
    const spare = await trpc.endpoints.createKey.mutate({ name: 'cars', keyName: 'spare' });
    const spareAuth = { authorization: `Bearer ${spare.key}` };
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body, headers: spareAuth })).status).toBe(200);
    const q0 = performance.now();
    await trpc.endpoints.revokeKey.mutate({ name: 'cars', key: spare.prefix });
    const quietMs = performance.now() - q0;
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body, headers: spareAuth })).status).toBe(403);

    const log: { sent: number; status: number }[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const sent = performance.now();
        try {
          const r = await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body, headers: auth });
          await r.arrayBuffer();
          log.push({ sent, status: r.status });
        } catch (e) {
          log.push({ sent, status: -1 });
          throw e;
        }
      }
    };
    const load = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    const revoked = await trpc.endpoints.revokeKey.mutate({ name: 'cars', key: made.id });
    const returned = performance.now();
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(load);

    expect(revoked.replicas.unconfirmed).toEqual([]);
    expect(revoked.replicas.confirmed).toEqual(made.replicas.confirmed);
    const before = log.filter((l) => l.sent < t0);
    const after = log.filter((l) => l.sent > returned);
    const during = log.filter((l) => l.sent >= t0 && l.sent <= returned);
    const firstRefused = Math.min(...log.filter((l) => l.status === 401).map((l) => l.sent));
    console.log(
      `[${kind}] revokeKey took ${quietMs.toFixed(1)} ms quiet, ${(returned - t0).toFixed(1)} ms under load; requests: ${before.length} before (${before.filter((l) => l.status === 200).length} ok), ` +
        `${during.length} during (${during.filter((l) => l.status === 200).length} ok), ${after.length} after (${after.filter((l) => l.status === 200).length} ok); ` +
        `first 401 sent ${(firstRefused - t0).toFixed(1)} ms after the call`,
    );
    expect(before.length).toBeGreaterThan(100);
    expect(before.every((l) => l.status === 200)).toBe(true);
    expect(after.length).toBeGreaterThan(100);
    expect(after.filter((l) => l.status === 200)).toEqual([]);
    expect(new Set(after.map((l) => l.status))).toEqual(new Set([401]));
    const closed = await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body, headers: auth });
    expect(((await closed.json()) as { code: string }).code).toBe('ENDPOINT_CLOSED');
    expect(returned - t0).toBeLessThan(5000);
  }, 60_000);

  it('making it public, and keyed again, applies to the very next request', async () => {
    const trpc = trpcClient(cpUrl);
    const open = await trpc.endpoints.setAccess.mutate({ name: 'cars', access: 'public' });
    expect([open.endpoint.access, open.replicas.unconfirmed]).toEqual(['public', []]);
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body })).status).toBe(200);
    await trpc.endpoints.setAccess.mutate({ name: 'cars', access: 'keys' });
    expect((await fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'POST', body })).status).toBe(401);
    expect((await trpc.endpoints.get.query({ name: 'cars' })).access).toBe('keys');
  });

  it("answers the studio's origin and the endpoint's own, from the next request on", async () => {
    const studio = config.studioOrigins[0]!;
    const call = (origin: string) => fetch(`${servingUrl}/v1/models/cars:predict`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await call(studio)).headers.get('access-control-allow-origin')).toBe(studio);
    expect((await call('https://app.example.com')).status).toBe(403);
    await trpcClient(cpUrl).endpoints.setCors.mutate({ name: 'cars', origins: ['https://app.example.com'] });
    const now = await call('https://app.example.com');
    expect([now.status, now.headers.get('access-control-allow-origin')]).toEqual([204, 'https://app.example.com']);
  });

  it('serves /metrics on the admin port only', async () => {
    expect((await fetch(`${servingUrl}/metrics`)).status).toBe(404);
    const m = await fetch(`${adminUrl}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).toMatch(/kiln_serving_requests_total\{endpoint="cars",version="",code="401"\} \d+/);
  });
});
