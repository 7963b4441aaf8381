import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Graph } from '../../lib/graph/schema';
import type { KilnDb } from '../db/client';
import { artifacts, runners, runs } from '../db/schema';
import { DB_KINDS, openTestDb } from '../db/testing';
import {
  appendEvents,
  authenticateRunner,
  cancelRun,
  claimRun,
  completeRun,
  countRunsByStatus,
  createRunnerToken,
  ensureProject,
  findDatasetByHash,
  getGraph,
  getRun,
  heartbeat,
  insertDatasetVersion,
  listArtifacts,
  listRunEvents,
  listRuns,
  reapExpiredLeases,
  recordArtifact,
  registerRunner,
  releaseRun,
  revokeRunner,
  saveGraph,
  submitRun,
  toPublicRun,
  type ClaimedRow,
} from './queue';

const LEASE = 50;
/** long enough for a 50 ms lease to have expired by the database's clock */
const EXPIRE = 120;

const graph: Graph = {
  version: 1,
  seed: 7,
  nodes: [
    { id: 'data', kind: 'dataset', params: { name: 'train' }, position: { x: 0, y: 0 }, label: 'Training data' },
    { id: 'fit', kind: 'linear', params: { target: 'y' }, position: { x: 200, y: 0 } },
  ],
  edges: [{ source: 'data', sourcePort: 'out', target: 'fit', targetPort: 'in' }],
};

describe.each(DB_KINDS)('queue on %s', (kind) => {
  let kdb: KilnDb & { dispose(): Promise<void> };
  let projectId: string;
  let graphHash: string;
  let datasetId: string;

  const submit = (extra: { priority?: number; maxAttempts?: number; options?: { backend?: string } } = {}) =>
    submitRun(kdb.db, { projectId, graphHash, datasets: { train: datasetId }, ...extra });
  const claim = (runnerId = 'runner-a', leaseMs = LEASE) => claimRun(kdb.db, { runnerId, leaseMs });
  const mustClaim = async (runnerId = 'runner-a', leaseMs = LEASE): Promise<ClaimedRow> => {
    const c = await claim(runnerId, leaseMs);
    if (!c) throw new Error('expected a queued run to claim');
    return c;
  };

  beforeAll(async () => {
    kdb = await openTestDb(kind, { poolMax: 20 });
    projectId = (await ensureProject(kdb.db, 'default')).id;
    graphHash = (await saveGraph(kdb.db, projectId, graph)).hash;
    const ds = await insertDatasetVersion(kdb.db, {
      projectId,
      name: 'train',
      hash: 'a'.repeat(64),
      format: 'csv',
      bytes: 10,
      rows: 2,
      schema: { columns: [] },
      stats: {},
      storageKey: `datasets/${'a'.repeat(64)}`,
    });
    datasetId = ds.id;
  });
  afterAll(async () => {
    await kdb?.dispose();
  });
  beforeEach(async () => {
    // runs cascade to their events and artifacts; every test starts with an empty queue
    await kdb.db.delete(runs);
  });

  describe('catalog', () => {
    it('ensureProject returns one project per name, also when callers race', async () => {
      const all = await Promise.all([ensureProject(kdb.db, 'racy'), ensureProject(kdb.db, 'racy'), ensureProject(kdb.db, 'racy')]);
      expect(new Set(all.map((p) => p.id)).size).toBe(1);
      expect((await ensureProject(kdb.db, 'default')).id).toBe(projectId);
    });

    it('stores a graph by its execution hash; moving a node updates the layout, not the version', async () => {
      const moved: Graph = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: { x: 5, y: 9 } })) };
      const again = await saveGraph(kdb.db, projectId, moved);
      expect(again).toEqual({ hash: graphHash, created: false });
      const stored = await getGraph(kdb.db, projectId, graphHash);
      expect(stored?.doc.nodes.map((n) => n.position)).toEqual([undefined, undefined]);
      expect(stored?.graph.nodes.find((n) => n.id === 'fit')?.position).toEqual({ x: 5, y: 9 });
      expect(stored?.graph.nodes.find((n) => n.id === 'data')?.label).toBe('Training data');
      const changed = await saveGraph(kdb.db, projectId, { ...graph, seed: 8 });
      expect(changed.created).toBe(true);
      expect(changed.hash).not.toBe(graphHash);
      expect(await getGraph(kdb.db, projectId, 'f'.repeat(64))).toBeNull();
    });

    it('deduplicates dataset versions by (project, name, hash)', async () => {
      const base = { projectId, name: 'train', hash: 'a'.repeat(64), format: 'csv' as const, bytes: 10, rows: 2, schema: {}, stats: {}, storageKey: 'x' };
      expect((await insertDatasetVersion(kdb.db, base)).id).toBe(datasetId);
      const other = await insertDatasetVersion(kdb.db, { ...base, name: 'holdout' });
      expect(other.id).not.toBe(datasetId);
      expect((await findDatasetByHash(kdb.db, projectId, 'a'.repeat(64)))?.hash).toBe('a'.repeat(64));
      expect(await findDatasetByHash(kdb.db, projectId, 'b'.repeat(64))).toBeNull();
    });
  });

  describe('submit and claim', () => {
    it('refuses runs of unknown graphs, unknown datasets and bad options', async () => {
      await expect(submitRun(kdb.db, { projectId, graphHash: 'f'.repeat(64), datasets: {} })).rejects.toMatchObject({ code: 'RUN_GRAPH_NOT_FOUND' });
      await expect(submitRun(kdb.db, { projectId, graphHash, datasets: { train: 'nope' } })).rejects.toMatchObject({
        code: 'RUN_DATASET_NOT_FOUND',
        message: expect.stringContaining('"train"'),
      });
      await expect(submit({ maxAttempts: 0 })).rejects.toMatchObject({ code: 'RUN_BAD_OPTION' });
      expect(await listRuns(kdb.db, { limit: 10 })).toEqual([]);
    });

    it('claims by priority, then oldest first, and returns null on an empty queue', async () => {
      const a = await submit();
      const b = await submit();
      const c = await submit({ priority: 5 });
      expect(a.status).toBe('queued');
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await mustClaim()).id);
      expect(order).toEqual([c.id, a.id, b.id]);
      expect(await claim()).toBeNull();
    });

    it('a claim sets status, attempt, a fresh 64-hex token, runner and a lease in the future', async () => {
      const r = await submit();
      const c = await mustClaim('runner-x', 10_000);
      expect(c).toMatchObject({ id: r.id, status: 'running', attempts: 1, runnerId: 'runner-x' });
      expect(c.attemptToken).toMatch(/^[0-9a-f]{64}$/);
      expect(c.leaseExpiresAt.getTime()).toBeGreaterThan(Date.now() + 5000);
      expect(c.startedAt).toBeInstanceOf(Date);
      expect(toPublicRun(c)).not.toHaveProperty('attemptToken');
    });

    it('concurrent claimers never get the same run', async () => {
      const submitted = await Promise.all(Array.from({ length: 10 }, () => submit()));
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(`runner-${i}`, 10_000)));
      const got = claims.filter((c): c is ClaimedRow => c !== null);
      expect(got).toHaveLength(10);
      expect(new Set(got.map((c) => c.id))).toEqual(new Set(submitted.map((r) => r.id)));
      expect(new Set(got.map((c) => c.attemptToken)).size).toBe(10);
      expect(got.every((c) => c.attempts === 1)).toBe(true);
    });

    it('honours a requested backend when the runner names its backends', async () => {
      const r = await submit({ options: { backend: 'webgpu' } });
      expect(await claimRun(kdb.db, { runnerId: 'cpu-only', leaseMs: LEASE, backends: ['wasm', 'cpu'] })).toBeNull();
      expect((await claimRun(kdb.db, { runnerId: 'gpu', leaseMs: LEASE, backends: ['webgpu', 'wasm'] }))?.id).toBe(r.id);
    });
  });

  describe('leases', () => {
    it('heartbeat renews the lease, so the reaper leaves the run alone, and marks the runner alive', async () => {
      const { runnerId } = await createRunnerToken(kdb.db, 'hb');
      await submit();
      const c = await mustClaim(runnerId);
      const hb = await heartbeat(kdb.db, { runId: c.id, attemptToken: c.attemptToken, leaseMs: 10_000 });
      expect(hb).toMatchObject({ ok: true, cancelRequested: false });
      await sleep(EXPIRE);
      expect(await reapExpiredLeases(kdb.db)).toEqual({ requeued: [], failed: [], cancelled: [] });
      expect((await getRun(kdb.db, c.id))?.status).toBe('running');
      const [runner] = await kdb.db.select().from(runners).where(eq(runners.id, runnerId));
      expect(runner?.lastHeartbeatAt).toBeInstanceOf(Date);
      expect(await heartbeat(kdb.db, { runId: 'no-such-run', attemptToken: c.attemptToken, leaseMs: LEASE })).toEqual({ ok: false, reason: 'not_found' });
    });

    it('an expired lease requeues the run; the old token is stale everywhere, the new holder completes', async () => {
      const r = await submit();
      const first = await mustClaim('runner-old');
      await sleep(EXPIRE);
      expect(await reapExpiredLeases(kdb.db)).toEqual({ requeued: [r.id], failed: [], cancelled: [] });
      const requeued = await getRun(kdb.db, r.id);
      expect(requeued).toMatchObject({ status: 'queued', attempts: 1, attemptToken: null, leaseExpiresAt: null });
      expect(requeued?.lastAttemptError).toBe('lease expired (runner runner-old stopped heartbeating)');

      const second = await mustClaim('runner-new', 10_000);
      expect(second.id).toBe(r.id);
      expect(second.attempts).toBe(2);
      expect(second.attemptToken).not.toBe(first.attemptToken);

      const old = { runId: r.id, attemptToken: first.attemptToken };
      expect(await heartbeat(kdb.db, { ...old, leaseMs: LEASE })).toEqual({ ok: false, reason: 'lease_lost' });
      expect(await appendEvents(kdb.db, { ...old, events: [{ seq: 0, type: 'log', payload: 'late' }] })).toEqual({ ok: false, reason: 'lease_lost' });
      expect(await recordArtifact(kdb.db, { ...old, kind: 'model', storageKey: 'k', bytes: 1, sha256: 's' })).toEqual({ ok: false, reason: 'lease_lost' });
      expect(await completeRun(kdb.db, { ...old, status: 'succeeded', metrics: { rmse: 9 } })).toEqual({ ok: false, reason: 'stale' });
      expect(await releaseRun(kdb.db, { ...old, reason: 'bye' })).toEqual({ ok: false, reason: 'lease_lost' });

      const done = await completeRun(kdb.db, { runId: r.id, attemptToken: second.attemptToken, status: 'succeeded', metrics: { rmse: 1.5 }, backend: 'wasm', device: 'cpu' });
      expect(done).toEqual({ ok: true, status: 'succeeded' });
      expect(await completeRun(kdb.db, { ...old, status: 'failed', error: 'late' })).toEqual({ ok: false, reason: 'stale' });
      const final = await getRun(kdb.db, r.id);
      expect(final).toMatchObject({ status: 'succeeded', metrics: { rmse: 1.5 }, backend: 'wasm', device: 'cpu', leaseExpiresAt: null, error: null });
      expect(final?.finishedAt).toBeInstanceOf(Date);
      expect(await listRunEvents(kdb.db, r.id)).toEqual([]);
    });

    it('completing twice with the same token answers ok both times and changes nothing', async () => {
      await submit();
      const c = await mustClaim('r', 10_000);
      const args = { runId: c.id, attemptToken: c.attemptToken };
      expect(await completeRun(kdb.db, { ...args, status: 'succeeded', metrics: { acc: 0.9 } })).toEqual({ ok: true, status: 'succeeded' });
      const before = await getRun(kdb.db, c.id);
      expect(await completeRun(kdb.db, { ...args, status: 'failed', error: 'retry with other body' })).toEqual({ ok: true, status: 'succeeded' });
      const after = await getRun(kdb.db, c.id);
      expect(after).toEqual(before);
      expect(after?.metrics).toEqual({ acc: 0.9 });
      expect(await completeRun(kdb.db, { runId: 'missing', attemptToken: c.attemptToken, status: 'succeeded' })).toEqual({ ok: false, reason: 'not_found' });
    });

    it('fails the run with the reason once max attempts are used up', async () => {
      const r = await submit({ maxAttempts: 2 });
      await mustClaim('r1');
      await sleep(EXPIRE);
      expect((await reapExpiredLeases(kdb.db)).requeued).toEqual([r.id]);
      await mustClaim('r2');
      await sleep(EXPIRE);
      expect(await reapExpiredLeases(kdb.db)).toEqual({ requeued: [], failed: [r.id], cancelled: [] });
      const failed = await getRun(kdb.db, r.id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 2, attemptToken: null });
      expect(failed?.error).toBe('failed after 2 attempts: lease expired (runner r2 stopped heartbeating)');
      expect(failed?.finishedAt).toBeInstanceOf(Date);
      expect(await claim()).toBeNull();
    });

    it('release hands the run back without burning an attempt', async () => {
      const r = await submit({ maxAttempts: 1 });
      const c = await mustClaim('r1', 10_000);
      expect(await releaseRun(kdb.db, { runId: r.id, attemptToken: c.attemptToken, reason: 'runner shutting down (SIGTERM)' })).toEqual({ ok: true, status: 'queued' });
      expect(await getRun(kdb.db, r.id)).toMatchObject({ status: 'queued', attempts: 0, attemptToken: null, runnerId: null, lastAttemptError: 'runner shutting down (SIGTERM)' });
      const again = await mustClaim('r2', 10_000);
      expect(again.attempts).toBe(1);
      expect(await completeRun(kdb.db, { runId: r.id, attemptToken: c.attemptToken, status: 'succeeded' })).toEqual({ ok: false, reason: 'stale' });
      expect(await completeRun(kdb.db, { runId: r.id, attemptToken: again.attemptToken, status: 'succeeded' })).toEqual({ ok: true, status: 'succeeded' });
    });
  });

  describe('cancel', () => {
    it('cancels a queued run at once; it is never claimed', async () => {
      const r = await submit();
      const cancelled = await cancelRun(kdb.db, r.id);
      expect(cancelled).toMatchObject({ status: 'cancelled' });
      expect(cancelled?.finishedAt).toBeInstanceOf(Date);
      expect(await claim()).toBeNull();
      expect(await cancelRun(kdb.db, 'missing')).toBeNull();
    });

    it('asks a running run to stop through the heartbeat; the runner completes it as cancelled', async () => {
      const r = await submit();
      const c = await mustClaim('r', 10_000);
      expect(await cancelRun(kdb.db, r.id)).toMatchObject({ status: 'running', cancelRequested: true });
      expect(await heartbeat(kdb.db, { runId: r.id, attemptToken: c.attemptToken, leaseMs: 10_000 })).toMatchObject({ ok: true, cancelRequested: true });
      expect(await completeRun(kdb.db, { runId: r.id, attemptToken: c.attemptToken, status: 'cancelled' })).toEqual({ ok: true, status: 'cancelled' });
      // cancelling a finished run changes nothing
      expect(await cancelRun(kdb.db, r.id)).toMatchObject({ status: 'cancelled' });
      const done = await submit();
      const dc = await mustClaim('r', 10_000);
      await completeRun(kdb.db, { runId: done.id, attemptToken: dc.attemptToken, status: 'succeeded' });
      expect(await cancelRun(kdb.db, done.id)).toMatchObject({ status: 'succeeded' });
    });

    it('a cancel pending when the lease expires or the run is released ends it as cancelled, not requeued', async () => {
      const a = await submit();
      await mustClaim('r');
      const b = await submit();
      const cb = await mustClaim('r', 10_000);
      await cancelRun(kdb.db, a.id);
      await cancelRun(kdb.db, b.id);
      await sleep(EXPIRE);
      expect(await reapExpiredLeases(kdb.db)).toEqual({ requeued: [], failed: [], cancelled: [a.id] });
      expect(await releaseRun(kdb.db, { runId: b.id, attemptToken: cb.attemptToken, reason: 'SIGTERM' })).toEqual({ ok: true, status: 'cancelled' });
      expect(await countRunsByStatus(kdb.db, projectId)).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 2 });
    });
  });

  describe('events and artifacts', () => {
    it('keeps events in order, ignores re-sent seqs, and pages with a cursor', async () => {
      const r = await submit();
      const c = await mustClaim('r', 10_000);
      const held = { runId: r.id, attemptToken: c.attemptToken };
      const ev = (seq: number) => ({ seq, type: 'epoch', payload: { epoch: seq, loss: 1 / (seq + 1) } });
      expect(await appendEvents(kdb.db, { ...held, events: [ev(0), ev(1), ev(2)] })).toEqual({ ok: true, accepted: 3 });
      expect(await appendEvents(kdb.db, { ...held, events: [ev(1), ev(2), ev(3)] })).toEqual({ ok: true, accepted: 1 });
      expect(await appendEvents(kdb.db, { ...held, events: [] })).toEqual({ ok: true, accepted: 0 });
      const all = await listRunEvents(kdb.db, r.id);
      expect(all.map((e) => [e.attempt, e.seq])).toEqual([
        [1, 0],
        [1, 1],
        [1, 2],
        [1, 3],
      ]);
      expect(all[3]?.payload).toEqual({ epoch: 3, loss: 0.25 });
      const tail = await listRunEvents(kdb.db, r.id, { afterId: all[1]!.id, limit: 1 });
      expect(tail.map((e) => e.seq)).toEqual([2]);
      await expect(appendEvents(kdb.db, { ...held, events: [{ seq: -1, type: 'epoch', payload: {} }] })).rejects.toMatchObject({ code: 'RUN_EVENT_INVALID' });
      await expect(appendEvents(kdb.db, { ...held, events: [{ seq: 1.5, type: 'epoch', payload: {} }] })).rejects.toMatchObject({ code: 'RUN_EVENT_INVALID' });
      expect(await appendEvents(kdb.db, { runId: 'missing', attemptToken: c.attemptToken, events: [ev(0)] })).toEqual({ ok: false, reason: 'not_found' });
    });

    it('a retried attempt starts its own event sequence', async () => {
      const r = await submit();
      const first = await mustClaim('r1');
      await appendEvents(kdb.db, { runId: r.id, attemptToken: first.attemptToken, events: [{ seq: 0, type: 'log', payload: 'one' }] });
      await sleep(EXPIRE);
      await reapExpiredLeases(kdb.db);
      const second = await mustClaim('r2', 10_000);
      expect(await appendEvents(kdb.db, { runId: r.id, attemptToken: second.attemptToken, events: [{ seq: 0, type: 'log', payload: 'two' }] })).toEqual({ ok: true, accepted: 1 });
      expect((await listRunEvents(kdb.db, r.id)).map((e) => [e.attempt, e.payload])).toEqual([
        [1, 'one'],
        [2, 'two'],
      ]);
      expect((await listRunEvents(kdb.db, r.id, { attempt: 2 })).length).toBe(1);
    });

    it('keeps one artifact row per (run, kind), replaced by later uploads and attempts', async () => {
      const r = await submit();
      const first = await mustClaim('r1');
      const up = (token: string, sha256: string) => recordArtifact(kdb.db, { runId: r.id, attemptToken: token, kind: 'model', storageKey: `runs/${r.id}/model.zip`, bytes: 100, sha256 });
      const a1 = await up(first.attemptToken, 'sha-1');
      const a2 = await up(first.attemptToken, 'sha-2');
      expect(a1.ok && a2.ok && a1.artifact.id === a2.artifact.id).toBe(true);
      await sleep(EXPIRE);
      await reapExpiredLeases(kdb.db);
      const second = await mustClaim('r2', 10_000);
      expect(await up(second.attemptToken, 'sha-3')).toMatchObject({ ok: true, artifact: { attempt: 2, sha256: 'sha-3' } });
      const rows = await listArtifacts(kdb.db, r.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ kind: 'model', sha256: 'sha-3', attempt: 2, storageKey: `runs/${r.id}/model.zip` });
      expect(await kdb.db.select().from(artifacts).where(eq(artifacts.runId, r.id))).toHaveLength(1);
    });
  });

  describe('runners', () => {
    it('authenticates by token hash; unknown, malformed and revoked tokens get null', async () => {
      const { runnerId, token } = await createRunnerToken(kdb.db, 'gpu-box');
      expect(token).toMatch(/^kiln_rt_[A-Za-z0-9_-]{43}$/);
      const found = await authenticateRunner(kdb.db, token);
      expect(found?.id).toBe(runnerId);
      expect(found?.tokenHash).not.toContain(token.slice(8));
      expect(await authenticateRunner(kdb.db, token + 'x')).toBeNull();
      expect(await authenticateRunner(kdb.db, 'not-a-token')).toBeNull();
      expect(await registerRunner(kdb.db, runnerId, { backend: 'wasm', hostname: 'box' })).toMatchObject({ info: { backend: 'wasm', hostname: 'box' } });
      expect(await revokeRunner(kdb.db, runnerId)).toBe(true);
      expect(await revokeRunner(kdb.db, runnerId)).toBe(false);
      expect(await authenticateRunner(kdb.db, token)).toBeNull();
      expect(await registerRunner(kdb.db, runnerId, {})).toBeNull();
    });
  });

  it('a claimed run shows the backend and device its runner registered with', async () => {
    const { runnerId } = await createRunnerToken(kdb.db, 'wasm-box');
    await registerRunner(kdb.db, runnerId, { backend: 'wasm', device: 'WebAssembly SIMD, 1 thread' });
    const r = await submit();
    const claimed = await claimRun(kdb.db, { runnerId, leaseMs: LEASE });
    expect(claimed?.id).toBe(r.id);
    expect(claimed).toMatchObject({ backend: 'wasm', device: 'WebAssembly SIMD, 1 thread' });
  });

  it('lists runs newest first, filtered by project and status', async () => {
    const a = await submit();
    const b = await submit();
    await mustClaim('r', 10_000); // takes a (older)
    expect((await listRuns(kdb.db, { projectId, limit: 10 })).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await listRuns(kdb.db, { status: 'running', limit: 10 })).map((r) => r.id)).toEqual([a.id]);
    expect((await listRuns(kdb.db, { status: ['queued', 'running'], limit: 1 })).length).toBe(1);
    expect(await listRuns(kdb.db, { projectId: 'other', limit: 10 })).toEqual([]);
  });
});
