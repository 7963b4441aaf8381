/**
 * Control plane acceptance: real server processes (PGlite and PostgreSQL), real `kiln runner`
 * processes and `kiln submit`, as CI and operators would run them.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePackage } from '../../lib/package/package';
import { createTestDatabase } from '../db/testing';
import { carsGraph, kiln, mintRunnerToken, Proc, REPO, startRunnerProc, startServer, TEST_OWNER_TOKEN, trpcClient, waitForRuns, type StartedServer } from './harness';

const FAST_EPOCHS = 8;

let work: string;
const procs: Proc[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-cp-'));
  await copyFile(join(REPO, 'node_modules/vega-datasets/data/cars.json'), join(work, 'cars.json'));
  await writeFile(join(work, 'fast.json'), JSON.stringify(carsGraph(FAST_EPOCHS)));
  await writeFile(join(work, 'medium.json'), JSON.stringify(carsGraph(60, 'linear')));
  await writeFile(join(work, 'slow.json'), JSON.stringify(carsGraph(150, 'mlp')));
  await writeFile(join(work, 'bad.json'), JSON.stringify({ ...carsGraph(3), edges: [{ source: 'data', sourcePort: 'data', target: 'nowhere', targetPort: 'data' }] }));
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.kill9();
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await rm(work, { recursive: true, force: true });
}, 60_000);

function track<T extends Proc>(p: T): T {
  procs.push(p);
  return p;
}

/** A server on a fresh data dir (and database) with `n` cpu runners, each with its own token and claim log. */
async function cluster(label: string, o: { databaseUrl?: string; runners: number; env?: Record<string, string>; port?: number }) {
  const dataDir = await mkdtemp(join(work, `${label}-`));
  const server = await startServer({ dataDir, ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}), ...(o.port ? { port: o.port } : {}), ...(o.env ? { env: o.env } : {}) });
  track(server.proc);
  const tokens = await Promise.all(Array.from({ length: o.runners }, (_, i) => mintRunnerToken(server.url, `${label}-${i}`)));
  const cacheDir = join(dataDir, 'runner-cache');
  const runners = await Promise.all(
    tokens.map((token, i) => startRunnerProc({ url: server.url, token, name: `${label}-${i}`, cacheDir, claimLog: join(dataDir, `claims-${i}.jsonl`) }).then(track)),
  );
  return { dataDir, server, tokens, runners, claimLog: (i: number) => join(dataDir, `claims-${i}.jsonl`) };
}

/** Uploads cars.json once through `kiln submit` (checking dedup on the way) and returns that run id. */
async function submitOne(url: string, project: string, graph = 'fast.json', extra: string[] = []) {
  const r = await kiln(['submit', join(work, graph), '--data', `cars=${join(work, 'cars.json')}`, '--server', url, '--project', project, '--backend', 'cpu', ...extra]);
  return r;
}

/** Submits the slow graph and returns its run id once its first epoch event has reached the server. */
async function submitSlowUntilFirstEpoch(url: string, project: string): Promise<string> {
  const sub = await submitOne(url, project, 'slow.json');
  expect(sub.code, sub.stderr).toBe(0);
  const runId = /run (\S+) queued/.exec(sub.stdout)![1]!;
  const t0 = Date.now();
  while (!(await eventsOf(url, runId)).some((e) => e.type === 'epoch')) {
    if (Date.now() - t0 > 60_000) throw new Error('no epoch event within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return runId;
}

/** Queues a run through the API directly (the studio's path), reusing an uploaded dataset. */
async function submitViaApi(url: string, project: string, graph: unknown, datasetId: string): Promise<string> {
  const r = await trpcClient(url).runs.submit.mutate({ projectName: project, graph, datasets: { cars: datasetId }, options: { backend: 'cpu' } });
  return r.runId;
}

async function datasetIdOf(url: string, runId: string): Promise<string> {
  const run = await trpcClient(url).runs.get.query({ id: runId });
  return (run.datasets as Record<string, string>).cars!;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

type EventRow = { id: number; attempt: number; seq: number; type: string; payload: unknown; createdAt: string | Date };
async function eventsOf(url: string, runId: string): Promise<EventRow[]> {
  const r = await trpcClient(url).runs.events.query({ runId, afterId: 0, limit: 5000 });
  return r.events as EventRow[];
}

/** Events of one attempt arrive with strictly increasing seq, and the train node's epochs are 1..N. */
function expectOrderedEvents(events: EventRow[], attempt: number, epochs: number) {
  const mine = events.filter((e) => e.attempt === attempt);
  expect(mine.length).toBeGreaterThan(epochs);
  for (let i = 1; i < mine.length; i++) expect(mine[i]!.seq).toBeGreaterThan(mine[i - 1]!.seq);
  const ep = mine.filter((e) => e.type === 'epoch').map((e) => (e.payload as { metrics: { epoch: number } }).metrics.epoch);
  expect(ep).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  expect(mine.some((e) => e.type === 'node-finish')).toBe(true);
}

async function integration(label: string, databaseUrl?: string) {
  const c = await cluster(label, { runners: 2, ...(databaseUrl ? { databaseUrl } : {}) });
  const { url } = c.server;
  // The first submit uploads the dataset; the five after it find it by hash.
  const first = await submitOne(url, label);
  expect(first.stderr).toContain('uploading');
  expect(first.code).toBe(0);
  const firstId = /run (\S+) queued/.exec(first.stdout)![1]!;
  const rest = await Promise.all(Array.from({ length: 5 }, () => submitOne(url, label, 'fast.json', ['--wait', '--json'])));
  const outs = rest.map((r) => {
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]!) as { runId: string; status: string; metrics: Record<string, number>; backend: string; device: string; gates: { passed: boolean }[]; uploads: { input: string; uploaded: boolean; anomalies: unknown[] }[]; skew: unknown };
  });
  for (const o of outs) {
    expect(Object.keys(o).sort()).toEqual(['backend', 'device', 'gates', 'metrics', 'runId', 'skew', 'status', 'uploads']);
    // One cars file for every run, no model in production: nothing to report.
    expect(o.skew).toBeNull();
    expect(o.uploads.map((u) => [u.input, u.anomalies])).toEqual([['cars', []]]);
    expect(o.status).toBe('succeeded');
    expect(o.backend).toBe('cpu');
    expect(o.metrics.r2).toBeGreaterThan(0.3);
    expect(o.gates.every((g) => g.passed)).toBe(true);
  }
  const ids = [firstId, ...outs.map((o) => o.runId)];
  expect(new Set(ids).size).toBe(6);
  const runs = await waitForRuns(url, ids, 60_000);
  for (const r of runs) {
    expect(r.status).toBe('succeeded');
    expect(r.attempts).toBe(1);
    expect(r.artifacts).toHaveLength(1);
    expect(r.device).toBe('JavaScript CPU');
    expectOrderedEvents(await eventsOf(url, r.id), 1, FAST_EPOCHS);
  }
  // Every run was finished by exactly one runner, once.
  const finished = c.runners.flatMap((p) => [...p.output.matchAll(/run (\w{8}): succeeded/g)].map((m) => m[1]));
  expect(finished.sort()).toEqual(ids.map((id) => id.slice(0, 8)).sort());
  // The model package the server stores is a valid package with the run's lineage.
  const res = await fetch(`${url}${runs[0]!.artifacts[0]!.url}`, { headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}` } });
  expect(res.status).toBe(200);
  const files = new Map(Object.entries(unzipSync(new Uint8Array(await res.arrayBuffer()))));
  const v = validatePackage(files);
  expect(v.ok).toBe(true);
  if (v.ok) expect(v.manifest.lineage.backend).toBe('cpu');
  // …naming the graph version the run was queued with.
  if (v.ok) expect(v.manifest.lineage.graphHash).toBe(runs[0]!.graphHash);
  // SIGTERM on idle runners: a clean exit.
  for (const p of c.runners) expect((await p.stop()).code).toBe(0);
  expect((await c.server.proc.stop()).code).toBe(0);
}

describe.sequential('control plane: server + runners + kiln submit', () => {
  it('PGlite: two runners, six runs, each completed once with ordered events', async () => {
    await integration('pglite');
  }, 150_000);

  it('PostgreSQL: the same on a fresh database', async () => {
    // Throws naming the URL when PostgreSQL is unreachable: this half must not skip quietly.
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    await integration('pg', db.url);
  }, 150_000);

  it('fault: kill -9 mid-training → re-claimed after the lease, late completion rejected, one artifact', async () => {
    const c = await cluster('fault', { runners: 2, env: { KILN_LEASE_SECONDS: '3', KILN_HEARTBEAT_SECONDS: '1' } });
    const { url } = c.server;
    // Once the first epoch has reached the server, kill whichever runner holds the run.
    const runId = await submitSlowUntilFirstEpoch(url, 'fault');
    const claims = await Promise.all([0, 1].map((i) => readFile(c.claimLog(i), 'utf8').catch(() => '')));
    const victim = claims.findIndex((t) => t.includes(runId));
    expect(victim).toBeGreaterThanOrEqual(0);
    const dead = JSON.parse(claims[victim]!.trim().split('\n')[0]!) as { attemptToken: string; attempt: number };
    expect(dead.attempt).toBe(1);
    c.runners[victim]!.kill9();
    await c.runners[victim]!.exited;
    expect((await trpcClient(url).runs.get.query({ id: runId })).status).toBe('running');

    const [run] = await waitForRuns(url, [runId], 90_000);
    expect(run!.status).toBe('succeeded');
    expect(run!.attempts).toBe(2);
    expect(run!.artifacts).toHaveLength(1);
    expect(run!.artifacts[0]!.attempt).toBe(2);
    const survivor = c.runners[1 - victim]!;
    expect(survivor.output).toContain(`run ${runId.slice(0, 8)}: succeeded`);
    // The dead runner's late calls carry a stale attempt token: all rejected with 409.
    const auth = { authorization: `Bearer ${c.tokens[victim]}`, 'content-type': 'application/json' };
    const late = await fetch(`${url}/api/runner/runs/${runId}/complete`, { method: 'POST', headers: auth, body: JSON.stringify({ attemptToken: dead.attemptToken, status: 'succeeded', metrics: { r2: 1 }, backend: 'cpu', device: 'x' }) });
    expect(late.status).toBe(409);
    const lateEvents = await fetch(`${url}/api/runner/runs/${runId}/events`, { method: 'POST', headers: auth, body: JSON.stringify({ attemptToken: dead.attemptToken, events: [{ seq: 999, type: 'log', payload: {} }] }) });
    expect(lateEvents.status).toBe(409);
    const after = await trpcClient(url).runs.get.query({ id: runId });
    expect(after.metrics?.r2).not.toBe(1);
    expect(after.artifacts).toHaveLength(1);
    const events = await eventsOf(url, runId);
    expect(events.some((e) => e.attempt === 1 && e.type === 'epoch')).toBe(true);
    expectOrderedEvents(events, 2, 150);
    expect((await survivor.stop()).code).toBe(0);
    await c.server.proc.stop();
  }, 150_000);

  it('drain: SIGTERM mid-training hands the run back after the epoch; the other runner finishes it', async () => {
    const c = await cluster('drain', { runners: 2 });
    const { url } = c.server;
    const runId = await submitSlowUntilFirstEpoch(url, 'drain');
    const holder = c.runners.findIndex((p) => p.output.includes(`run ${runId.slice(0, 8)} attempt 1: started`));
    expect(holder).toBeGreaterThanOrEqual(0);
    const tStop = Date.now();
    const exit = await c.runners[holder]!.stop();
    // Within an epoch or two, not the whole run (~150 epochs).
    expect(Date.now() - tStop).toBeLessThan(5_000);
    expect(exit.code).toBe(0);
    expect(c.runners[holder]!.output).toContain(`run ${runId.slice(0, 8)}: handed back to the queue`);
    const [run] = await waitForRuns(url, [runId], 90_000);
    expect(run!.status).toBe('succeeded');
    // A hand-back does not use up an attempt.
    expect(run!.attempts).toBe(1);
    expect(run!.artifacts).toHaveLength(1);
    expect(c.runners[1 - holder]!.output).toContain(`run ${runId.slice(0, 8)}: succeeded`);
    // The events of the attempt that finished are its own — the whole training, in order — and
    // none of the handed-back claim's events are mixed in with them.
    const events = (await eventsOf(url, runId)).filter((e) => e.attempt === run!.attempts);
    expectOrderedEvents(events, run!.attempts, 150);
    expect(events.filter((e) => new Date(e.createdAt).getTime() < tStop)).toEqual([]);
    expect((await c.runners[1 - holder]!.stop()).code).toBe(0);
    await c.server.proc.stop();
  }, 150_000);

  it('restart: SIGTERM the server with runs queued and running, start it again → every run completes', async () => {
    const c = await cluster('restart', { runners: 2, env: { KILN_LEASE_SECONDS: '10', KILN_HEARTBEAT_SECONDS: '1' } });
    const { url, port } = c.server;
    const sub = await submitOne(url, 'restart', 'medium.json');
    expect(sub.code, sub.stderr).toBe(0);
    const firstId = /run (\S+) queued/.exec(sub.stdout)![1]!;
    const datasetId = await datasetIdOf(url, firstId);
    const medium = JSON.parse(await readFile(join(work, 'medium.json'), 'utf8')) as unknown;
    const ids = [firstId];
    for (let i = 0; i < 5; i++) ids.push(await submitViaApi(url, 'restart', medium, datasetId));
    // Stop the server once two runs are training and the rest wait in the queue.
    const t0 = Date.now();
    for (;;) {
      const runs = await Promise.all(ids.map((id) => trpcClient(url).runs.get.query({ id })));
      if (runs.filter((r) => r.status === 'running').length >= 2) break;
      if (Date.now() - t0 > 60_000) throw new Error('runs did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stopped = await c.server.proc.stop();
    expect(stopped.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const again: StartedServer = await startServer({ dataDir: c.dataDir, port, env: { KILN_LEASE_SECONDS: '10', KILN_HEARTBEAT_SECONDS: '1' } });
    track(again.proc);
    expect(again.port).toBe(port);
    const runs = await waitForRuns(url, ids, 120_000);
    for (const r of runs) {
      expect(r.status, `${r.id}: ${r.error ?? r.lastAttemptError}`).toBe('succeeded');
      expect(r.artifacts).toHaveLength(1);
    }
    // The runners rode out the outage instead of dying.
    for (const p of c.runners) expect(p.child.exitCode).toBeNull();
    for (const p of c.runners) expect((await p.stop()).code).toBe(0);
    await again.proc.stop();
  }, 200_000);
});

describe.sequential('kiln submit / kiln runner: bad input', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer({ dataDir: await mkdtemp(join(work, 'bad-')) });
    track(server.proc);
  }, 90_000);
  afterAll(async () => {
    await server?.proc.stop();
  });

  it('a malformed graph exits 1 with its diagnostics and uploads nothing', async () => {
    const r = await kiln(['submit', join(work, 'bad.json'), '--data', join(work, 'cars.json'), '--server', server.url, '--project', 'bad']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nowhere');
    expect(r.stderr).not.toContain('uploading');
    // Nothing was made: not even the project.
    await expect(trpcClient(server.url).runs.list.query({ projectName: 'bad' })).rejects.toThrow('no project "bad"');
  }, 60_000);

  it('a --data name the graph does not read, and an unreachable server, are one-line errors', async () => {
    const r1 = await kiln(['submit', join(work, 'fast.json'), '--data', `nope=${join(work, 'cars.json')}`, '--server', server.url]);
    expect(r1.code).toBe(1);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    expect(r1.stderr).toContain('no input dataset "nope"');
    const closed = await closedPort();
    const r2 = await kiln(['submit', join(work, 'fast.json'), '--data', join(work, 'cars.json'), '--server', `http://127.0.0.1:${closed}`]);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toContain(`cannot reach http://127.0.0.1:${closed} (ECONNREFUSED)`);
  }, 60_000);

  it('a runner with an unknown token exits non-zero with one line', async () => {
    const r = await kiln(['runner', '--server', server.url, '--token', 'kiln_rt_not-a-real-token', '--backend', 'cpu']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('refused the runner token (401');
  }, 60_000);
});
