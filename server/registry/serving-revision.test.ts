/**
 * Issue 11's serving half on the control plane: endpoint access is explicit (the last key's
 * revocation closes a keyed endpoint), CORS origins are validated, every change bumps the
 * serving revision, the config route long-polls on it, and replicas' reports decide when a
 * change is confirmed.
 */
import { openAuth } from '../auth';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKilnError } from '../../lib/errors';
import { loadConfig } from '../config';
import { openDb, type KilnDb } from '../db/client';
import { servingReplicas } from '../db/schema';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { apiConfig } from '../http/config';
import { createApi, type Api } from '../http/router';
import { createRunnerToken } from '../jobs/runners';
import { createLocalStore } from '../storage/local';
import { createEndpointKey, createOrBindEndpoint, getEndpoint, hashEndpointKey, revokeEndpointKey, setEndpointAccess, setEndpointCors } from './endpoints';
import { normalizeOrigin } from './origins';
import { moveAlias, registerVersion } from './registry';
import { servingConfig, type ServingConfig } from './serving-config';
import { bumpServingRevision, confirmServingRevision, readServingRevision, RECHECK_MS, reportReplica } from './serving-revision';
import { seedRun } from './test-fixtures';

const actor = 'test:alice@host';

describe('normalizeOrigin', () => {
  it('keeps scheme://host[:port] in the form browsers send, and refuses everything else by name', () => {
    expect(normalizeOrigin('https://App.Example.com')).toBe('https://app.example.com');
    expect(normalizeOrigin('https://app.example.com:443/')).toBe('https://app.example.com');
    expect(normalizeOrigin('http://localhost:5173')).toBe('http://localhost:5173');
    expect(normalizeOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
    for (const [bad, why] of [
      ['*', /wildcard/],
      ['https://*.example.com', /wildcard/],
      ['https://app.example.com/path', /path/],
      ['https://app.example.com/?q=1', /query/],
      ['https://u:p@app.example.com', /user/],
      ['ftp://app.example.com', /http/],
      ['app.example.com', /not an origin/],
      ['null', /not an origin/],
    ] as const) {
      let err: unknown;
      try {
        normalizeOrigin(bad, 2);
      } catch (e) {
        err = e;
      }
      expect(isKilnError(err) && err.code, bad).toBe('ENDPOINT_BAD_ORIGIN');
      expect((err as Error).message, bad).toMatch(why);
      expect((err as Error).message).toContain('corsOrigins[2]');
    }
  });
});

describe.each(DB_KINDS)('serving revision on %s', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let api: Api;
  let token: string;
  const cars = (c: ServingConfig) => c.endpoints.find((e) => e.name === 'cars')!;

  beforeAll(async () => {
    target = await createTestDbTarget(kind, { poolMax: 8 });
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-revision-'));
    const store = createLocalStore(dir);
    const runId = await seedRun(kdb.db, store);
    await registerVersion(kdb.db, store, { modelName: 'cars', runId, actor });
    await moveAlias(kdb.db, store, { modelName: 'cars', alias: 'production', version: 1, actor });
    api = createApi({ db: kdb.db, store, config: apiConfig(loadConfig({})), log: () => undefined, ...(await openAuth(kdb.db, loadConfig({}).auth)) });
    token = (await createRunnerToken(kdb.db, 'serving', 'serving')).token;
  }, 60_000);
  afterAll(async () => {
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('access is explicit: a key makes an endpoint keyed, revoking the last key closes it, only setAccess opens it', async () => {
    const ep = await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } }, 'user:carol');
    expect([ep.access, ep.boundBy, ep.corsOrigins]).toEqual(['public', 'user:carol', []]);
    expect(cars(await servingConfig(kdb.db))).toMatchObject({ access: 'public', keyHashes: [] });

    const k = await createEndpointKey(kdb.db, 'cars', 'ci', 'user:carol');
    expect((await getEndpoint(kdb.db, 'cars'))!.access).toBe('keys');
    expect(cars(await servingConfig(kdb.db))).toMatchObject({ access: 'keys', keyHashes: [hashEndpointKey(k.key)] });

    await revokeEndpointKey(kdb.db, 'cars', k.id);
    expect((await getEndpoint(kdb.db, 'cars'))!.access).toBe('keys');
    // Closed, not public: serving refuses every request until someone decides otherwise.
    expect(cars(await servingConfig(kdb.db))).toMatchObject({ access: 'keys', keyHashes: [] });

    // A rebind keeps the access mode.
    expect((await createOrBindEndpoint(kdb.db, { name: 'cars', modelName: 'cars', target: { version: 1 } })).access).toBe('keys');
    const open = await setEndpointAccess(kdb.db, 'cars', 'public');
    expect(open.access).toBe('public');
    expect(cars(await servingConfig(kdb.db)).access).toBe('public');
    await setEndpointAccess(kdb.db, 'cars', 'keys');
    expect(cars(await servingConfig(kdb.db))).toMatchObject({ access: 'keys', keyHashes: [] });
    await expect(setEndpointAccess(kdb.db, 'nope', 'public')).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
  });

  it('CORS origins are validated, normalised and served sorted', async () => {
    const ep = await setEndpointCors(kdb.db, 'cars', ['https://b.example', 'HTTPS://A.example:443', 'https://b.example/']);
    expect(ep.corsOrigins).toEqual(['https://b.example', 'https://a.example']);
    expect(cars(await servingConfig(kdb.db, { studioOrigins: ['http://localhost:3000'] }))).toMatchObject({ corsOrigins: ['https://a.example', 'https://b.example'] });
    await expect(setEndpointCors(kdb.db, 'cars', ['https://ok.example', 'https://bad.example/x'])).rejects.toMatchObject({ code: 'ENDPOINT_BAD_ORIGIN' });
    expect((await getEndpoint(kdb.db, 'cars'))!.corsOrigins).toEqual(['https://b.example', 'https://a.example']);
    await setEndpointCors(kdb.db, 'cars', []);
  });

  it('every change bumps the revision once; nothing changed, nothing bumps; a change nobody bumped for gets a revision from the content', async () => {
    const r0 = (await servingConfig(kdb.db)).revision;
    expect((await servingConfig(kdb.db)).revision).toBe(r0);
    const k = await createEndpointKey(kdb.db, 'cars');
    expect(k.revision).toBe(r0 + 1);
    expect((await revokeEndpointKey(kdb.db, 'cars', k.id))!.revision).toBe(r0 + 2);
    expect((await setEndpointCors(kdb.db, 'cars', ['https://a.example'])).revision).toBe(r0 + 3);
    expect((await setEndpointAccess(kdb.db, 'cars', 'keys')).revision).toBe(r0 + 4);
    expect((await servingConfig(kdb.db)).revision).toBe(r0 + 4);
    // Behind the registry's back: the next config computation notices and moves on.
    await kdb.db.execute(sql`UPDATE endpoints SET cors_origins = '[]'::jsonb WHERE name = 'cars'`);
    const c = await servingConfig(kdb.db);
    expect([c.revision, cars(c).corsOrigins]).toEqual([r0 + 5, []]);
    expect((await readServingRevision(kdb.db)).revision).toBe(r0 + 5);
  });

  const url = (q: string) => `http://kiln.test/api/serving/config${q}`;
  const get = (q: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    api.handleApi(new Request(url(q), { headers: { authorization: `Bearer ${token}`, ...headers }, ...(signal ? { signal } : {}) }));

  it('the config route long-polls: answered at once on a change, 304 after `wait` without one', async () => {
    const first = await get('?replica=r-1');
    expect(first.status).toBe(200);
    const cfg = (await first.json()) as ServingConfig;
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+-[0-9a-f]{16}"$/);

    let t0 = performance.now();
    const idle = await get(`?after=${cfg.revision}&replica=r-1&wait=1`, { 'if-none-match': etag });
    const idleMs = performance.now() - t0;
    expect(idle.status).toBe(304);
    expect(idleMs).toBeGreaterThan(900);

    t0 = performance.now();
    const pending = get(`?after=${cfg.revision}&replica=r-1&wait=20`, { 'if-none-match': etag });
    await new Promise((r) => setTimeout(r, 100));
    const k = await createEndpointKey(kdb.db, 'cars');
    const woke = await pending;
    const wokeMs = performance.now() - t0;
    expect(woke.status).toBe(200);
    const next = (await woke.json()) as ServingConfig;
    expect(next.revision).toBe(k.revision);
    expect(cars(next).keyHashes).toContain(hashEndpointKey(k.key));
    // Woken by this process's notification, not by a re-check or the deadline.
    expect(wokeMs).toBeLessThan(100 + RECHECK_MS);

    // A poll from a replica that is behind is answered at once.
    t0 = performance.now();
    expect((await get(`?after=${cfg.revision}&replica=r-1`)).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(RECHECK_MS);
    // Same revision, another ETag (the studio origins changed with a restart): answered at once too.
    t0 = performance.now();
    const moved = await get(`?after=${next.revision}&replica=r-1&wait=20`, { 'if-none-match': '"0-stale"' });
    expect(moved.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(RECHECK_MS);
    expect((await get('?after=x')).status).toBe(400);
    expect((await get('?replica=bad%20id')).status).toBe(400);
  });

  it('a revocation is confirmed only by live replicas that applied it; the rest are named', async () => {
    await kdb.db.delete(servingReplicas);
    const before = (await readServingRevision(kdb.db)).revision;
    await reportReplica(kdb.db, { id: 'a', runnerId: null, appliedRevision: before });
    await reportReplica(kdb.db, { id: 'b', runnerId: null, appliedRevision: before });
    await reportReplica(kdb.db, { id: 'gone', runnerId: null, appliedRevision: 0 });
    await kdb.db.execute(sql`UPDATE serving_replicas SET last_seen_at = now() - interval '1 hour' WHERE id = 'gone'`);
    const k = await createEndpointKey(kdb.db, 'cars');
    const revoked = (await revokeEndpointKey(kdb.db, 'cars', k.id))!;

    // b applies it while we wait; a never does.
    setTimeout(() => void reportReplica(kdb.db, { id: 'b', runnerId: null, appliedRevision: revoked.revision }), 100);
    const t0 = performance.now();
    const c = await confirmServingRevision(kdb.db, revoked.revision, 600);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(590);
    expect(c).toEqual({ revision: revoked.revision, confirmed: ['b'], unconfirmed: ['a'] });

    // Once a has applied it too, the answer comes as soon as it reports.
    setTimeout(() => void reportReplica(kdb.db, { id: 'a', runnerId: null, appliedRevision: revoked.revision }), 50);
    const t1 = performance.now();
    expect(await confirmServingRevision(kdb.db, revoked.revision, 5000)).toEqual({ revision: revoked.revision, confirmed: ['a', 'b'], unconfirmed: [] });
    expect(performance.now() - t1).toBeLessThan(1000);
    await kdb.db.delete(servingReplicas);
    expect(await confirmServingRevision(kdb.db, revoked.revision + 100, 5000)).toEqual({ revision: revoked.revision + 100, confirmed: [], unconfirmed: [] });
  });

  it.runIf(kind === 'postgres')('with two control planes on one database, a long poll on one sees a bump on the other within a re-check', async () => {
    const other = await openDb(target.options);
    try {
      const { revision } = await readServingRevision(kdb.db);
      const t0 = performance.now();
      const pending = get(`?after=${revision}&replica=r-2&wait=20`);
      await new Promise((r) => setTimeout(r, 200));
      const bumped = await bumpServingRevision(other.db);
      const res = await pending;
      const ms = performance.now() - t0;
      expect(res.status).toBe(200);
      expect(((await res.json()) as ServingConfig).revision).toBe(bumped);
      expect(ms).toBeLessThan(200 + RECHECK_MS + 500);
    } finally {
      await other.close();
    }
  });

  it('a long poll whose client went away stops waiting', async () => {
    const { revision } = await readServingRevision(kdb.db);
    const ac = new AbortController();
    const t0 = performance.now();
    const pending = get(`?after=${revision}&replica=r-3&wait=20`, {}, ac.signal);
    setTimeout(() => ac.abort(), 100);
    await pending.catch(() => undefined);
    expect(performance.now() - t0).toBeLessThan(100 + RECHECK_MS + 500);
  });
});
