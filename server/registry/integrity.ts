/**
 * A registered version's package is only as good as the bytes in the store. Serving refuses a
 * package whose sha256 differs from the registry's, so a READY version with altered or missing
 * bytes would pass alias gates and then serve nothing: the stored package is verified before an
 * alias move, when a registration resumes, and periodically by the reaper (the version verified
 * longest ago, one per tick), and a mismatch marks the version FAILED with the reason.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { modelVersions, type ModelVersion } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { bumpServingRevision } from './serving-revision';

/** Lowercase hex SHA-256 of bytes in memory. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of a stored object, streamed (a package may be hundreds of MiB); null when it is missing. */
export async function hashStoredObject(store: ArtifactStore, key: string): Promise<string | null> {
  const body = await store.get(key);
  if (!body) return null;
  const hash = createHash('sha256');
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

export type IntegrityResult = { ok: true } | { ok: false; reason: string };

/** Why the stored bytes do not match, or null when they do. */
async function mismatch(store: ArtifactStore, v: Pick<ModelVersion, 'storageKey' | 'sha256'>): Promise<string | null> {
  const got = await hashStoredObject(store, v.storageKey);
  if (got === null) return `stored package ${v.storageKey} is missing from the artifact store`;
  if (got !== v.sha256) return `artifact sha256 mismatch: stored ${got.slice(0, 12)}…, expected ${v.sha256.slice(0, 12)}…`;
  return null;
}

/**
 * Hashes a READY version's stored package. A match records `verified_at`; a mismatch (or
 * missing bytes) marks the version FAILED with the reason. A store that cannot be read throws
 * and changes nothing (the bytes may be fine).
 */
export async function verifyVersionPackage(db: Db, store: ArtifactStore, v: ModelVersion): Promise<IntegrityResult> {
  if (v.status !== 'READY') return { ok: true };
  const reason = await mismatch(store, v);
  if (reason) {
    const failed = await db
      .update(modelVersions)
      .set({ status: 'FAILED', statusReason: reason })
      .where(and(eq(modelVersions.id, v.id), eq(modelVersions.status, 'READY')))
      .returning({ id: modelVersions.id });
    // Serving configs list READY versions only: tell the replicas this one is out.
    if (failed.length) await bumpServingRevision(db);
    return { ok: false, reason };
  }
  await db.update(modelVersions).set({ verifiedAt: sql`now()` }).where(eq(modelVersions.id, v.id));
  return { ok: true };
}

/**
 * The reaper's periodic pass: verifies up to `limit` READY versions (default 1) not verified
 * within `intervalMs`, longest-unverified first. Returns those it failed.
 */
export async function verifyStalePackages(db: Db, store: ArtifactStore, o: { intervalMs: number; limit?: number }): Promise<{ checked: number; failed: { id: string; reason: string }[] }> {
  const due = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.status, 'READY'), or(isNull(modelVersions.verifiedAt), lt(modelVersions.verifiedAt, sql`now() - make_interval(secs => ${o.intervalMs / 1000})`))))
    .orderBy(sql`${modelVersions.verifiedAt} asc nulls first`, asc(modelVersions.createdAt))
    .limit(o.limit ?? 1);
  const failed: { id: string; reason: string }[] = [];
  for (const v of due) {
    const r = await verifyVersionPackage(db, store, v);
    if (!r.ok) failed.push({ id: v.id, reason: r.reason });
  }
  return { checked: due.length, failed };
}
