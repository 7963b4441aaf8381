/**
 * Registration as a state machine that survives a crash. A version is inserted PENDING with an
 * owner (this process) and a lease the owner renews while it copies the package and runs the
 * serveability check; it ends READY or FAILED only by its owner (a fenced update). When the owner
 * dies (SIGKILL, OOM, power), its lease runs out and the reaper (server/http/runtime.ts) claims
 * the version and resumes it from the stored package, or fails it with the reason; a version
 * interrupted `maxAttempts` times is failed rather than retried forever. Nothing stays PENDING
 * without a live owner.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, asc, eq, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { artifacts, modelVersions, type ModelVersion } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { sha256Hex } from './integrity';
import { checkServeability, type ServeabilityOptions } from './serveability';

/** The run artifact kind that holds the model package zip (server/http/artifact-routes). */
export const MODEL_ARTIFACT_KIND = 'model';

/** This process, as the owner of the registrations it runs (host, pid and a nonce against pid reuse). */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** How long an owner holds a PENDING version between renewals, and how often it renews. */
export interface RegistrationLease {
  /** default `KILN_LEASE_SECONDS` (30) */
  seconds: number;
  /** default a third of `seconds` */
  heartbeatSeconds?: number;
}

export const DEFAULT_REGISTRATION_LEASE: RegistrationLease = { seconds: 30 };

/** Claims of one registration (the first included) before it is failed instead of resumed. */
export const MAX_REGISTRATION_ATTEMPTS = 3;

export function leaseUntil(seconds: number): SQL {
  return sql`now() + make_interval(secs => ${seconds})`;
}

function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 300);
}

/** Ends a PENDING version, only while `owner` still holds it; returns the row as it is now. */
async function finish(db: Db, v: ModelVersion, owner: string, status: 'READY' | 'FAILED', reason: string, verified = false): Promise<ModelVersion> {
  const [done] = await db
    .update(modelVersions)
    .set({ status, statusReason: reason, ownerId: null, leaseExpiresAt: null, ...(verified ? { verifiedAt: sql`now()` } : {}) })
    .where(and(eq(modelVersions.id, v.id), eq(modelVersions.status, 'PENDING'), eq(modelVersions.ownerId, owner)))
    .returning();
  if (done) return done;
  // Our lease ran out and someone else resumed it (or it was already ended): theirs is the word.
  const [now] = await db.select().from(modelVersions).where(eq(modelVersions.id, v.id));
  return now ?? v;
}

/**
 * Copies the package to the version's own storage key (unless the copy there already matches),
 * checks it in the serving runtime and ends the version READY or FAILED, renewing the owner's
 * lease all along. Never throws for a package problem: it becomes the FAILED reason.
 */
export async function completeRegistration(
  db: Db,
  store: ArtifactStore,
  v: ModelVersion,
  zip: Uint8Array,
  o: { owner?: string; lease?: RegistrationLease; serveability?: ServeabilityOptions; copied?: boolean } = {},
): Promise<ModelVersion> {
  const owner = o.owner ?? PROCESS_OWNER;
  const lease = o.lease ?? DEFAULT_REGISTRATION_LEASE;
  const every = Math.max(1, lease.heartbeatSeconds ?? Math.floor(lease.seconds / 3)) * 1000;
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = db
      .update(modelVersions)
      .set({ leaseExpiresAt: leaseUntil(lease.seconds) })
      .where(and(eq(modelVersions.id, v.id), eq(modelVersions.status, 'PENDING'), eq(modelVersions.ownerId, owner)))
      .catch(() => undefined);
  }, every);
  timer.unref();
  try {
    if (!o.copied) {
      try {
        // The registry keeps its own copy: a version outlives the run's artifact being replaced.
        const put = await store.put(v.storageKey, zip);
        if (put.sha256 !== v.sha256) return await finish(db, v, owner, 'FAILED', `artifact sha256 mismatch: stored ${put.sha256.slice(0, 12)}…, expected ${v.sha256.slice(0, 12)}…`);
      } catch (e) {
        return await finish(db, v, owner, 'FAILED', `could not store the package (${firstLine(e)})`);
      }
    }
    const check = await checkServeability(zip, o.serveability);
    if (!check.ok) return await finish(db, v, owner, 'FAILED', check.reason);
    return await finish(db, v, owner, 'READY', `serveable: answered a sample request in ${check.latencyMs.toFixed(0)} ms`, true);
  } finally {
    clearInterval(timer);
    await renewing;
  }
}

/** The version's package bytes for a resume: its own copy, else the run's artifact, if either still matches. */
async function packageFor(db: Db, store: ArtifactStore, v: ModelVersion): Promise<{ zip: Uint8Array; copied: boolean } | { why: string }> {
  const own = await store.getBytes(v.storageKey);
  if (own && sha256Hex(own) === v.sha256) return { zip: own, copied: true };
  if (v.runId) {
    const [a] = await db
      .select()
      .from(artifacts)
      .where(and(eq(artifacts.runId, v.runId), eq(artifacts.kind, MODEL_ARTIFACT_KIND)));
    const zip = a ? await store.getBytes(a.storageKey) : null;
    if (zip && sha256Hex(zip) === v.sha256) return { zip, copied: false };
  }
  return { why: `its package (sha256 ${v.sha256.slice(0, 12)}…) is no longer in the artifact store, neither as ${v.storageKey} nor as the run's artifact` };
}

export interface RecoverOptions {
  owner?: string;
  lease?: RegistrationLease;
  serveability?: ServeabilityOptions;
  /** resume at most this many per call (the reaper's bounded work per tick; default 1) */
  limit?: number;
  /**
   * Claim every PENDING version not owned by `owner`, lease or not: right at the start of the
   * only process that can write this database (PGlite, whose data directory is locked), where
   * any other owner is a process that has died.
   */
  orphansOnly?: false | 'exclusive';
  maxAttempts?: number;
}

export interface RecoverResult {
  /** versions resumed, as they ended */
  resumed: ModelVersion[];
}

/**
 * Finds PENDING versions whose owner is gone (lease expired, or none recorded), claims each
 * (one UPDATE, so two control planes never resume the same one) and resumes it: READY, or FAILED
 * with the reason (the package is gone, or it was interrupted too often).
 */
export async function recoverRegistrations(db: Db, store: ArtifactStore, o: RecoverOptions = {}): Promise<RecoverResult> {
  const owner = o.owner ?? PROCESS_OWNER;
  const lease = o.lease ?? DEFAULT_REGISTRATION_LEASE;
  const maxAttempts = o.maxAttempts ?? MAX_REGISTRATION_ATTEMPTS;
  const orphan =
    o.orphansOnly === 'exclusive'
      ? and(eq(modelVersions.status, 'PENDING'), or(isNull(modelVersions.ownerId), ne(modelVersions.ownerId, owner)))
      : and(eq(modelVersions.status, 'PENDING'), or(isNull(modelVersions.leaseExpiresAt), lt(modelVersions.leaseExpiresAt, sql`now()`)));
  const candidates = await db.select({ id: modelVersions.id }).from(modelVersions).where(orphan).orderBy(asc(modelVersions.createdAt)).limit(o.limit ?? 1);
  const resumed: ModelVersion[] = [];
  for (const { id } of candidates) {
    const [v] = await db
      .update(modelVersions)
      .set({ ownerId: owner, leaseExpiresAt: leaseUntil(lease.seconds), attempts: sql`${modelVersions.attempts} + 1` })
      .where(and(eq(modelVersions.id, id), orphan))
      .returning();
    if (!v) continue; // claimed by another control plane first
    if (v.attempts > maxAttempts) {
      resumed.push(await finish(db, v, owner, 'FAILED', `registration interrupted ${v.attempts - 1} times (its process ended before the serveability check finished); not retried`));
      continue;
    }
    let pkg: Awaited<ReturnType<typeof packageFor>>;
    try {
      pkg = await packageFor(db, store, v);
    } catch (e) {
      // The store is unreachable: give the claim back to be retried when the lease runs out.
      await db.update(modelVersions).set({ leaseExpiresAt: sql`now()` }).where(and(eq(modelVersions.id, v.id), eq(modelVersions.ownerId, owner)));
      throw e;
    }
    if ('why' in pkg) {
      resumed.push(await finish(db, v, owner, 'FAILED', `registration interrupted and cannot resume: ${pkg.why}`));
      continue;
    }
    resumed.push(await completeRegistration(db, store, v, pkg.zip, { owner, lease, ...(o.serveability ? { serveability: o.serveability } : {}), copied: pkg.copied }));
  }
  return { resumed };
}
