/**
 * Acceptance of issue 11's permission model:
 *   - every procedure of the router and every REST route declares who may call it, and without
 *     credentials each answers 401 (except health, sign-in and share links);
 *   - a role × action table: READ / EDIT / MANAGE / org admin / outsider against each kind of
 *     action → allowed, 403 (the permission named) or 404 (no existence leak).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestUser } from '../auth/testing';
import type { UserPrincipal } from '../auth/principal';
import { loadConfig } from '../config';
import { ensureProject } from '../db/catalog';
import { endpoints, modelAliases, modelVersions, registeredModels, runs } from '../db/schema';
import { openTestDb } from '../db/testing';
import { nodeHandler } from '../http/node-adapter';
import { ROUTES } from '../http/router';
import { openApiRuntime, type ApiRuntime } from '../http/runtime';
import { appRouter } from './root';
import { callerAs } from './test-utils';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';

/** Procedures anyone may call: what a share link shows. */
const PUBLIC_PROCEDURES = ['shares.view'];
/** REST routes without credentials: health and email + password → token. */
const PUBLIC_ROUTES = ['/api/health', '/api/tokens/login', '/api/login-options'];

type Proc = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: { access?: { kind: string } } } };
const procedures = Object.entries((appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures);

describe('every procedure and route declares its access', () => {
  it('the router has procedures, each with an access declaration; only the listed ones are public', () => {
    expect(procedures.length).toBeGreaterThan(40);
    for (const [path, p] of procedures) {
      expect(p._def.meta?.access, `procedure ${path} declares no access`).toBeDefined();
      if (p._def.meta!.access!.kind === 'public') expect(PUBLIC_PROCEDURES, `procedure ${path} is public`).toContain(path);
    }
  });

  it('every REST route declares access; only health and token login are public', () => {
    for (const r of ROUTES) {
      const a = typeof r.access === 'function' ? r.access(new URL('http://x/'), ['x']) : r.access;
      const sample = r.pattern.source;
      if (a.kind === 'public' && !sample.includes('trpc')) expect(PUBLIC_ROUTES.some((p) => r.pattern.test(p)), `route ${sample} is public`).toBe(true);
    }
  });

  describe('over HTTP, without credentials', () => {
    let runtime: ApiRuntime;
    let server: Server;
    let base: string;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'kiln-access-'));
      runtime = await openApiRuntime({ dataDir, config: loadConfig({}), reapIntervalMs: 0, log: () => undefined });
      server = createServer(nodeHandler((req) => runtime.api.handleApi(req)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise<void>((r) => server?.close(() => r()));
      await runtime?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('answers 401 from every procedure but the public ones', async () => {
      const answers: string[] = [];
      for (const [path, p] of procedures) {
        const input = encodeURIComponent(JSON.stringify({}));
        const res =
          p._def.type === 'mutation'
            ? await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
            : await fetch(`${base}/api/trpc/${path}?input=${input}`, { signal: AbortSignal.timeout(5000) });
        const status = res.status;
        await res.body?.cancel();
        if (PUBLIC_PROCEDURES.includes(path)) expect(status, path).not.toBe(401);
        else answers.push(`${path} ${status}`);
      }
      expect(answers.filter((a) => !a.endsWith(' 401'))).toEqual([]);
    });

    it('answers 401 from every REST route but the public ones', async () => {
      const id = randomUUID();
      const samples: [string, string][] = [
        ['POST', '/api/runner/register'],
        ['POST', '/api/runner/claim'],
        ['POST', `/api/runner/runs/${id}/heartbeat`],
        ['POST', `/api/runner/runs/${id}/events`],
        ['POST', `/api/runner/runs/${id}/complete`],
        ['POST', `/api/runner/runs/${id}/release`],
        ['PUT', `/api/runner/runs/${id}/artifacts/model`],
        ['GET', `/api/runner/datasets/${id}`],
        ['PUT', '/api/datasets?project=p&name=a.csv'],
        ['GET', '/api/datasets/builtin/cars'],
        ['GET', `/api/datasets/${id}/file`],
        ['GET', `/api/datasets/by-hash/${'0'.repeat(64)}?project=p`],
        ['GET', `/api/runs/${id}/artifacts/model`],
        ['GET', '/api/serving/config'],
        ['GET', `/api/serving/versions/${id}/package`],
        ['POST', '/api/serving/predictions'],
        ['POST', '/api/serving/request-stats'],
        ['POST', '/api/serving/feedback'],
        ['GET', '/api/monitoring/metrics'],
        ['GET', '/api/whoami'],
        ['POST', '/api/account/password'],
        ['GET', '/api/auth/get-session'],
      ];
      // Every guarded route has a sample here: a new route without one fails.
      for (const r of ROUTES) {
        if (PUBLIC_ROUTES.some((p) => r.pattern.test(p)) || r.pattern.source.includes('trpc')) continue;
        expect(samples.some(([, path]) => r.pattern.test(path.split('?')[0]!)), `no sample for route ${r.pattern.source}`).toBe(true);
      }
      for (const [method, path] of samples) {
        const res = await fetch(`${base}${path}`, { method, ...(method === 'GET' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }) });
        const body = await res.text();
        // better-auth answers a missing session with 200 null; Kiln's routes with 401.
        if (path === '/api/auth/get-session') expect(body).toBe('null');
        else expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 401`);
      }
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
    });
  });
});

describe('role × action', () => {
  let tdb: Awaited<ReturnType<typeof openTestDb>>;
  let store: ArtifactStore;
  let storeDir = '';
  let projectId: string;
  let runId: string;
  const users: Record<string, UserPrincipal> = {};
  beforeAll(async () => {
    tdb = await openTestDb('pglite');
    const db = tdb.db;
    projectId = (await ensureProject(db, 'demand')).id;
    await ensureProject(db, 'other');
    users.read = await createTestUser(db, { projects: { [projectId]: 'READ' } });
    users.edit = await createTestUser(db, { projects: { [projectId]: 'EDIT' } });
    users.manage = await createTestUser(db, { projects: { [projectId]: 'MANAGE' } });
    users.admin = await createTestUser(db, { orgRole: 'admin' });
    users.outsider = await createTestUser(db);
    runId = randomUUID();
    await db.insert(runs).values({ id: runId, projectId, graphHash: 'f'.repeat(64), datasets: {}, status: 'queued' });
    const modelId = randomUUID();
    await db.insert(registeredModels).values({ id: modelId, name: 'demand-model', projectId });
    const versionId = randomUUID();
    // Alias moves hash the stored package first (registry/integrity): it must be there, intact.
    storeDir = await mkdtemp(join(tmpdir(), 'kiln-access-store-'));
    store = createLocalStore(storeDir);
    const put = await store.put('models/demand/1/model.zip', new TextEncoder().encode('package bytes'));
    await db.insert(modelVersions).values({ id: versionId, modelId, version: 1, graphHash: 'f'.repeat(64), status: 'READY', storageKey: 'models/demand/1/model.zip', sha256: put.sha256, metrics: { mape: 0.3 } });
    await db.insert(modelAliases).values({ modelId, alias: 'staging', versionId });
    await db.insert(endpoints).values({ id: randomUUID(), name: 'demand', modelId, target: { alias: 'staging' } });
  });
  afterAll(async () => {
    await tdb?.dispose();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  /** 'ok' when the permission check let the call through (whatever the action then answered). */
  async function outcome(who: string, call: (api: ReturnType<typeof callerAs>) => Promise<unknown>): Promise<'ok' | 403 | 404> {
    try {
      await call(callerAs(tdb.db, users[who]!, store));
      return 'ok';
    } catch (e) {
      const err = e as { code?: string; cause?: { code?: string } };
      if (err.code === 'FORBIDDEN' && err.cause?.code === 'PERMISSION_DENIED') return 403;
      if (err.code === 'NOT_FOUND' && /^no (project|run|registered model|endpoint)/.test((e as Error).message)) return 404;
      return 'ok';
    }
  }

  const table: [string, (api: ReturnType<typeof callerAs>) => Promise<unknown>, Record<string, 'ok' | 403 | 404>][] = [
    ['read a run', (api) => api.runs.get({ id: runId }), { read: 'ok', edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['list the project\'s datasets', (api) => api.datasets.list({ projectName: 'demand' }), { read: 'ok', edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['export a dataset schema', (api) => api.datasets.schema({ projectName: 'demand', name: 'demand.csv' }), { read: 'ok', edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['save a dataset schema', (api) => api.datasets.setSchema({ projectName: 'demand', name: 'demand.csv', schema: { version: 1, columns: [] } }), { read: 403, edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['set which anomalies an endpoint rejects', (api) => api.endpoints.setMonitoring({ name: 'demand', rejectAnomalies: ['OUT_OF_RANGE'] }), { read: 403, edit: 403, manage: 'ok', admin: 'ok', outsider: 404 }],
    ['save a graph', (api) => api.graphs.putDraft({ projectName: 'demand', graph: { version: 1, nodes: [], edges: [] } }), { read: 403, edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['cancel a run', (api) => api.runs.cancel({ id: runId }), { read: 403, edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['register a version', (api) => api.registry.register({ model: 'demand-model', runId }), { read: 403, edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['move staging', (api) => api.registry.moveAlias({ model: 'demand-model', alias: 'staging', version: 1, dryRun: true }), { read: 403, edit: 'ok', manage: 'ok', admin: 'ok', outsider: 404 }],
    ['move production', (api) => api.registry.moveAlias({ model: 'demand-model', alias: 'production', version: 1, dryRun: true }), { read: 403, edit: 403, manage: 'ok', admin: 'ok', outsider: 404 }],
    ['mint an endpoint key', (api) => api.endpoints.createKey({ name: 'demand' }), { read: 403, edit: 403, manage: 'ok', admin: 'ok', outsider: 404 }],
    ['bind an endpoint', (api) => api.endpoints.bind({ name: 'demand', model: 'demand-model', target: { alias: 'staging' } }), { read: 403, edit: 403, manage: 'ok', admin: 'ok', outsider: 404 }],
    ['change members', (api) => api.users.members.set({ projectName: 'demand', email: 'nobody@kiln.test', role: 'READ' }), { read: 403, edit: 403, manage: 'ok', admin: 'ok', outsider: 404 }],
    ['mint a runner token', (api) => api.runners.createToken({ name: 'gpu-1' }), { read: 403, edit: 403, manage: 403, admin: 'ok', outsider: 403 }],
    ['list users', (api) => api.users.list(), { read: 403, edit: 403, manage: 403, admin: 'ok', outsider: 403 }],
    ['read another project', (api) => api.graphs.current({ projectName: 'other' }), { read: 404, edit: 404, manage: 404, admin: 'ok', outsider: 404 }],
  ];

  it.each(table)('%s', async (_what, call, expected) => {
    const got: Record<string, 'ok' | 403 | 404> = {};
    for (const who of Object.keys(expected)) got[who] = await outcome(who, call);
    expect(got).toEqual(expected);
  });

  it('a denied call names the permission it needed', async () => {
    const e = await callerAs(tdb.db, users.edit!, store).registry.moveAlias({ model: 'demand-model', alias: 'production', version: 1, dryRun: true }).catch((x: Error) => x);
    expect((e as Error).message).toBe('needs MANAGE on project "demand" (you have EDIT)');
  });

  it('histories record the real user, not "studio"', async () => {
    const edit = callerAs(tdb.db, users.edit!, store);
    await edit.registry.moveAlias({ model: 'demand-model', alias: 'candidate', version: 1, force: true, reason: 'try it' });
    const [event] = await edit.registry.aliasHistory({ model: 'demand-model', alias: 'candidate' });
    expect(event!.actor).toBe(users.edit!.email);
    const manage = callerAs(tdb.db, users.manage!, store);
    await manage.endpoints.bind({ name: 'demand', model: 'demand-model', target: { alias: 'staging' } });
    await manage.endpoints.createKey({ name: 'demand', keyName: 'app' });
    const ep = await manage.endpoints.get({ name: 'demand' });
    expect(ep.boundBy).toBe(users.manage!.email);
    expect(ep.keys.find((k) => k.name === 'app')!.createdBy).toBe(users.manage!.email);
  });

  it('lists show only what the caller can read', async () => {
    expect((await callerAs(tdb.db, users.outsider!, store).projects.list()).map((p) => p.name)).toEqual([]);
    expect((await callerAs(tdb.db, users.read!, store).projects.list()).map((p) => [p.name, p.role])).toEqual([['demand', 'READ']]);
    expect((await callerAs(tdb.db, users.admin!, store).projects.list()).map((p) => p.name).sort()).toEqual(['demand', 'other']);
    expect(await callerAs(tdb.db, users.outsider!, store).runs.list({})).toEqual([]);
    expect((await callerAs(tdb.db, users.read!, store).runs.list({})).map((r) => r.id)).toEqual([runId]);
    expect(await callerAs(tdb.db, users.outsider!, store).registry.models.list()).toEqual([]);
    expect(await callerAs(tdb.db, users.outsider!, store).endpoints.list()).toEqual([]);
  });

  it('a token scope caps the role, and a project-limited token sees one project', async () => {
    const scoped = { ...users.manage!, via: 'token' as const, scope: 'READ' as const };
    const e = await callerAs(tdb.db, scoped).runs.cancel({ id: runId }).catch((x: Error) => x);
    expect((e as Error).message).toBe('needs EDIT on project "demand" (you have READ, token scope READ)');
    const other = (await callerAs(tdb.db, users.admin!, store).projects.list()).find((p) => p.name === 'other')!;
    const limited = { ...users.admin!, via: 'token' as const, scope: 'MANAGE' as const, tokenProjectId: other.id };
    expect((await callerAs(tdb.db, limited).projects.list()).map((p) => p.name)).toEqual(['other']);
    expect((await callerAs(tdb.db, limited).runs.get({ id: runId }).catch((x: Error) => x)) as Error).toHaveProperty('message', `no run "${runId}"`);
  });
});
