/**
 * A real kill -9 in the middle of a registration: a server registering a model version is
 * SIGKILLed while the version is PENDING (its package being copied and checked); the version is
 * left PENDING with the dead process as owner, and the next server on the same database and data
 * directory resumes it at start — READY, with a log line saying so. Nothing stays PENDING.
 *
 * PostgreSQL, so this test can watch the row while the server works (PGlite has one writer).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type KilnDb } from '../db/client';
import { modelVersions, registeredModels } from '../db/schema';
import { createTestDbTarget, type TestDbTarget } from '../db/testing';
import { startServer, trpcClient, type StartedServer } from '../runner/harness';
import { createLocalStore } from '../storage/local';
import { packageZip, seedRun } from './test-fixtures';

describe('kill -9 during registration (PostgreSQL, real server processes)', () => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dataDir: string;
  const servers: StartedServer[] = [];

  beforeAll(async () => {
    target = await createTestDbTarget('postgres');
    kdb = await openDb(target.options);
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-kill-register-'));
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.proc.stop(10_000).catch(() => undefined);
    await kdb?.close();
    await target?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the version the killed server left PENDING is resumed to READY by the next server at start', async () => {
    // A package with 48 MiB of incompressible padding: copying and hashing it keeps the version
    // PENDING long enough to be caught (the model itself is the usual test model).
    const files = unzipSync(await packageZip());
    files['padding.bin'] = randomBytes(48 * 1024 * 1024);
    const zip = zipSync(files, { level: 0 });
    const store = createLocalStore(join(dataDir, 'artifacts'));
    const runId = await seedRun(kdb.db, store, { zip });

    const databaseUrl = (target.options as { databaseUrl: string }).databaseUrl;
    const first = await startServer({ dataDir, databaseUrl });
    servers.push(first);
    const registering = trpcClient(first.url)
      .registry.register.mutate({ model: 'killed', runId })
      .then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    let pending: typeof modelVersions.$inferSelect | undefined;
    for (let i = 0; i < 20_000 && !pending; i++) {
      const rows = await kdb.db.select({ v: modelVersions }).from(modelVersions).innerJoin(registeredModels, eq(registeredModels.id, modelVersions.modelId)).where(eq(registeredModels.name, 'killed'));
      if (rows[0]?.v.status === 'PENDING') pending = rows[0].v;
      else if (rows[0]) throw new Error(`the registration ended (${rows[0].v.status}) before it could be killed: make the package bigger`);
    }
    expect(pending, 'the version never showed as PENDING').toBeDefined();
    first.proc.child.kill('SIGKILL');
    const answer = await registering;
    expect(answer.ok).toBe(false); // the client saw the connection die, not an answer
    await first.proc.exited;

    // Dead: its row stays PENDING with the dead process as owner, lease still running.
    const [left] = await kdb.db.select().from(modelVersions).where(eq(modelVersions.id, pending!.id));
    expect(left!.status).toBe('PENDING');
    expect(left!.ownerId).toContain(`:${first.proc.child.pid}:`);

    const second = await startServer({ dataDir, databaseUrl });
    servers.push(second);
    let now = left!;
    for (let i = 0; i < 300 && now.status === 'PENDING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [now] = await kdb.db.select().from(modelVersions).where(eq(modelVersions.id, pending!.id)) as [typeof now];
    }
    expect(now.status, now.statusReason ?? '').toBe('READY');
    expect(now.ownerId).toBeNull();
    expect(second.proc.output).toContain(`model version ${pending!.id} (v1): its registration had no live owner; resumed: READY`);
    // The registry's copy is whole: the resumed check verified its sha256.
    expect(now.verifiedAt).not.toBeNull();
  }, 180_000);
});
