/**
 * Crash recovery of the registry: a registration whose process died (kill -9 mid-check leaves a
 * PENDING version with an owner whose lease runs out) is resumed or failed by the reaper and at
 * the next start; a tampered stored package fails its version before an alias move and in the
 * reaper's periodic pass.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { openDb, type Db } from '../db/client';
import { modelVersions, registeredModels, type ModelVersion } from '../db/schema';
import { DB_KINDS, openTestDb } from '../db/testing';
import { openApiRuntime } from '../http/runtime';
import { createMaintenance } from '../jobs/maintenance';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import { sha256Hex } from './integrity';
import { moveAlias, registerVersion, versionKey } from './registry';
import { completeRegistration } from './registration';
import { readServingRevision } from './serving-revision';
import { packageZip, seedRun } from './test-fixtures';

const actor = 'test:recovery';
const DEAD_OWNER = 'gone-host:999999:deadbeef';

/**
 * What a registration leaves when its process is killed mid-check: the PENDING row it inserted
 * (owned by that process, lease `leaseSeconds` from now; negative: already run out) and, when
 * `copied`, the registry's copy of the package.
 */
async function pendingOfDeadOwner(db: Db, store: ArtifactStore, model: string, o: { leaseSeconds: number; copied: boolean; attempts?: number; zip?: Uint8Array }): Promise<ModelVersion> {
  const zip = o.zip ?? (await packageZip());
  const runId = await seedRun(db, store, { zip });
  const modelId = randomUUID();
  await db.insert(registeredModels).values({ id: modelId, name: model });
  const [v] = await db
    .insert(modelVersions)
    .values({
      id: randomUUID(),
      modelId,
      version: 1,
      runId,
      graphHash: 'g',
      status: 'PENDING',
      storageKey: versionKey(modelId, 1),
      sha256: sha256Hex(zip),
      ownerId: DEAD_OWNER,
      leaseExpiresAt: sql`now() + make_interval(secs => ${o.leaseSeconds})`,
      attempts: o.attempts ?? 1,
    })
    .returning();
  if (o.copied) await store.put(v!.storageKey, zip);
  return v!;
}

async function statusOf(db: Db, id: string): Promise<ModelVersion> {
  const [v] = await db.select().from(modelVersions).where(eq(modelVersions.id, id));
  return v!;
}

describe.each(DB_KINDS)('registry crash recovery on %s', (kind) => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let store: ArtifactStore;
  const logs: string[] = [];
  const maintenance = () =>
    createMaintenance({ db: kdb.db, kind: 'postgres', store, lease: { seconds: 30 }, serveability: { budgetMs: 5000 }, tempMaxAgeMs: 3_600_000, integrityIntervalMs: 0, log: (m) => logs.push(m) });

  beforeAll(async () => {
    kdb = await openTestDb(kind);
    dir = await mkdtemp(join(tmpdir(), 'kiln-recovery-'));
    store = createLocalStore(dir);
  }, 60_000);
  afterAll(async () => {
    await kdb?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes a PENDING version whose owner died (lease run out) to READY, and leaves one with a live owner alone', async () => {
    const dead = await pendingOfDeadOwner(kdb.db, store, 'resume-me', { leaseSeconds: -1, copied: false });
    const live = await pendingOfDeadOwner(kdb.db, store, 'still-owned', { leaseSeconds: 600, copied: true });
    await maintenance().tick();
    const after = await statusOf(kdb.db, dead.id);
    expect(after.status).toBe('READY');
    expect(after.statusReason).toMatch(/answered a sample request/);
    expect(after).toMatchObject({ ownerId: null, leaseExpiresAt: null, attempts: 2 });
    // The resume stored the registry's own copy the dead process never wrote.
    expect(sha256Hex((await store.getBytes(dead.storageKey))!)).toBe(dead.sha256);
    expect(logs.join('\n')).toContain(`model version ${dead.id} (v1): its registration had no live owner; resumed: READY`);
    expect((await statusOf(kdb.db, live.id)).status).toBe('PENDING');
  }, 30_000);

  it('fails, with the reason, a stalled version whose package is gone or that was interrupted too often', async () => {
    const gone = await pendingOfDeadOwner(kdb.db, store, 'gone', { leaseSeconds: -1, copied: false });
    await store.delete(`runs/${gone.runId}/model.zip`);
    const crashy = await pendingOfDeadOwner(kdb.db, store, 'crashy', { leaseSeconds: -1, copied: true, attempts: 3 });
    const m = maintenance();
    await m.tick();
    await m.tick();
    expect(await statusOf(kdb.db, gone.id)).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/^registration interrupted and cannot resume: its package \(sha256 [0-9a-f]{12}…\) is no longer in the artifact store/) });
    expect(await statusOf(kdb.db, crashy.id)).toMatchObject({ status: 'FAILED', statusReason: 'registration interrupted 3 times (its process ended before the serveability check finished); not retried' });
    const pending = await kdb.db.select().from(modelVersions).where(eq(modelVersions.status, 'PENDING'));
    expect(pending.map((v) => v.ownerId)).toEqual([DEAD_OWNER]); // only the live one from the first test
  }, 30_000);

  it('a registration whose lease another process took over cannot overwrite that outcome', async () => {
    // The old owner was only slow, not dead: the reaper resumed it, then the old owner finishes.
    const runId = await seedRun(kdb.db, store);
    const v = await registerVersion(kdb.db, store, { modelName: 'fenced', runId, actor, owner: 'slow-owner', serveability: { budgetMs: 0.001 } });
    // Its own (fenced) finish applied, since nobody had taken it over.
    expect(v.status).toBe('FAILED');
    const taken = await pendingOfDeadOwner(kdb.db, store, 'fenced-2', { leaseSeconds: -1, copied: true });
    await kdb.db.update(modelVersions).set({ ownerId: 'the-reaper' }).where(eq(modelVersions.id, taken.id));
    const r = await completeRegistration(kdb.db, store, taken, await packageZip(), { owner: DEAD_OWNER, copied: true, serveability: { budgetMs: 0.001 } });
    expect(r.status).toBe('PENDING'); // not FAILED: the slow owner's word no longer counts
    expect(r.ownerId).toBe('the-reaper');
    await kdb.db.delete(modelVersions).where(eq(modelVersions.id, taken.id));
  }, 30_000);

  it('a tampered stored package fails its version before an alias move, even forced, and in the periodic pass', async () => {
    const v = await registerVersion(kdb.db, store, { modelName: 'tamper', runId: await seedRun(kdb.db, store), actor });
    expect(v.status).toBe('READY');
    const bytes = (await store.getBytes(v.storageKey))!;
    const tampered = new Uint8Array(bytes);
    const mid = tampered.length >> 1;
    tampered[mid] = tampered[mid]! ^ 0xff;
    await writeFile(join(dir, ...v.storageKey.split('/')), tampered);

    const revision = (await readServingRevision(kdb.db)).revision;
    const r = await moveAlias(kdb.db, store, { modelName: 'tamper', alias: 'production', version: v.version, actor, force: true });
    expect(r.moved).toBe(false);
    expect(r.gates[0]).toMatchObject({ gate: 'serveable', passed: false });
    const reason = `artifact sha256 mismatch: stored ${sha256Hex(tampered).slice(0, 12)}…, expected ${v.sha256.slice(0, 12)}…`;
    expect(r.gates[0]!.detail).toContain(reason);
    expect(await statusOf(kdb.db, v.id)).toMatchObject({ status: 'FAILED', statusReason: reason });
    // Serving replicas are told (their config lists READY versions only).
    expect((await readServingRevision(kdb.db)).revision).toBeGreaterThan(revision);

    // The periodic pass: an intact version is marked verified, a tampered one FAILED.
    const ok = await registerVersion(kdb.db, store, { modelName: 'tamper', runId: await seedRun(kdb.db, store), actor });
    const bad = await registerVersion(kdb.db, store, { modelName: 'tamper', runId: await seedRun(kdb.db, store), actor });
    await writeFile(join(dir, ...bad.storageKey.split('/')), tampered);
    await kdb.db.update(modelVersions).set({ verifiedAt: null }).where(eq(modelVersions.status, 'READY'));
    const m = maintenance();
    for (let i = 0; i < 20 && (await statusOf(kdb.db, bad.id)).status === 'READY'; i++) await m.tick();
    expect(await statusOf(kdb.db, bad.id)).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/^artifact sha256 mismatch: stored /) });
    const intact = await statusOf(kdb.db, ok.id);
    expect(intact.status).toBe('READY');
    expect(intact.verifiedAt).not.toBeNull();
    expect(logs.join('\n')).toContain(`model version ${bad.id}: FAILED: artifact sha256 mismatch`);
  }, 60_000);
});

describe('at the next start (PGlite)', () => {
  it('resumes a PENDING version left by the previous process, even before its lease runs out', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kiln-recovery-start-'));
    try {
      // The previous process: registered, then was killed mid-check (its lease still has 10 minutes).
      const before = await openDb({ dataDir });
      const store = createLocalStore(join(dataDir, 'artifacts'));
      const v = await pendingOfDeadOwner(before.db, store, 'killed', { leaseSeconds: 600, copied: false });
      await before.close();

      const logs: string[] = [];
      const runtime = await openApiRuntime({ config: loadConfig({}), dataDir, log: (m) => logs.push(m) });
      try {
        let now = await statusOf(runtime.db.db, v.id);
        for (let i = 0; i < 100 && now.status === 'PENDING'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          now = await statusOf(runtime.db.db, v.id);
        }
        expect(now.status).toBe('READY');
        expect(logs.join('\n')).toContain(`model version ${v.id} (v1): its registration had no live owner; resumed: READY`);
      } finally {
        await runtime.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
