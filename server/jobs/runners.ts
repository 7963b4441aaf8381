/**
 * Runner identities and their bearer tokens. A token is shown once, at creation; the database
 * keeps only its SHA-256, so a leaked database does not let anyone act as a runner.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { runners, type Runner } from '../db/schema';

/** Every runner token starts with this, so a token pasted in the wrong place is recognisable. */
export const RUNNER_TOKEN_PREFIX = 'kiln_rt_';

/** SHA-256 (hex) of a runner token: what the database stores and looks up. */
export function hashRunnerToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Creates a machine and its token (`kiln_rt_` + 32 random bytes, base64url), bound to what it
 * may do: a runner token claims and runs jobs, a serving token reads the serving config and
 * packages; neither can do the other's work. The token is not stored.
 */
export async function createRunnerToken(db: Db, name: string, purpose: 'runner' | 'serving' = 'runner', createdBy: string | null = null): Promise<{ runnerId: string; token: string }> {
  const runnerId = randomUUID();
  const token = RUNNER_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await db.insert(runners).values({ id: runnerId, name, purpose, createdBy, tokenHash: hashRunnerToken(token) });
  return { runnerId, token };
}

/**
 * The runner a bearer token belongs to, or null when the token is unknown, revoked or malformed.
 * Lookup is by hash, so timing reveals nothing about the stored token.
 */
export async function authenticateRunner(db: Db, token: string): Promise<Runner | null> {
  if (!token.startsWith(RUNNER_TOKEN_PREFIX) || token.length > 256) return null;
  const [row] = await db
    .select()
    .from(runners)
    .where(and(eq(runners.tokenHash, hashRunnerToken(token)), isNull(runners.revokedAt)));
  return row ?? null;
}

/** Revokes a runner's token for good. Returns false when no such (unrevoked) runner exists. */
export async function revokeRunner(db: Db, runnerId: string): Promise<boolean> {
  const rows = await db
    .update(runners)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(runners.id, runnerId), isNull(runners.revokedAt)))
    .returning({ id: runners.id });
  return rows.length > 0;
}

/**
 * Stores what a runner reported at register (backend, device, hostname, concurrency, version)
 * and marks it alive. Returns the updated runner, or null when it is unknown or revoked.
 */
export async function registerRunner(db: Db, runnerId: string, info: Record<string, unknown>): Promise<Runner | null> {
  const [row] = await db
    .update(runners)
    .set({ info, lastHeartbeatAt: sql`now()` })
    .where(and(eq(runners.id, runnerId), isNull(runners.revokedAt)))
    .returning();
  return row ?? null;
}

/** All runners (revoked ones included), oldest first. Token hashes are left out. */
export function listRunners(db: Db): Promise<Omit<Runner, 'tokenHash'>[]> {
  return db
    .select({
      id: runners.id,
      name: runners.name,
      purpose: runners.purpose,
      createdBy: runners.createdBy,
      revokedAt: runners.revokedAt,
      lastHeartbeatAt: runners.lastHeartbeatAt,
      info: runners.info,
      createdAt: runners.createdAt,
    })
    .from(runners)
    .orderBy(asc(runners.createdAt));
}
