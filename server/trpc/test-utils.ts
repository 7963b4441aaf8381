/**
 * Test-only helpers for the router suites: a server-side caller on a test database, and the
 * error a call fails with. Nothing outside tests imports this file.
 */
import { expect } from 'vitest';
import { loadConfig } from '../config';
import { type DbKind, openTestDb } from '../db/testing';
import { apiConfig } from '../http/config';
import type { ArtifactStore } from '../storage/types';
import { createCaller } from './root';
import type { Db } from '../db/client';
import type { Principal } from '../auth/principal';
import { createTestUser } from '../auth/testing';

/** A caller on `db` acting as `principal` (default settings). */
export function callerAs(db: Db, principal: Principal | null, store: ArtifactStore = {} as ArtifactStore) {
  return createCaller({ db, store, config: apiConfig(loadConfig({})), principal, authOptions: { projectCreators: 'members' }, authSecret: 'test-secret-test-secret-test-secret' });
}

/**
 * A fresh test database of `kind` and a caller on it acting as the org owner (default settings,
 * no artifact store); dispose `kdb` after.
 */
export async function openTestCaller(kind: DbKind, opts: { poolMax?: number } = {}) {
  const kdb = await openTestDb(kind, opts);
  const owner = await createTestUser(kdb.db, { email: 'owner@kiln.test', orgRole: 'owner' });
  const api = callerAs(kdb.db, owner);
  return { kdb, api, owner };
}

/** The error a call rejects with; a call that succeeds fails the test. */
export async function rejectionOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err as { code?: string; message: string },
  );
  expect(e, 'expected the call to fail').not.toBeNull();
  return e!;
}
