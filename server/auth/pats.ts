/**
 * Personal access tokens: what the `kiln` CLI, scripts and CI send (`Authorization: Bearer
 * kiln_pat_…`). Each has a scope (READ / EDIT / MANAGE: the most it may do, whatever its user's
 * roles allow), optionally one project, and optionally an expiry. Shown once; stored hashed.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { personalTokens, users, type PersonalToken, type User } from '../db/schema';
import type { ProjectRole } from './roles';
import { newToken, sha256 } from './secrets';

export const PAT_PREFIX = 'kiln_pat_';

export interface NewToken {
  userId: string;
  name: string;
  scope: ProjectRole;
  projectId?: string | null;
  expiresAt?: Date | null;
  /** a token chosen by the operator (KILN_BOOTSTRAP_TOKEN) instead of a random one */
  token?: string;
}

export type TokenView = Omit<PersonalToken, 'tokenHash'>;

export async function createPersonalToken(db: Db, t: NewToken): Promise<{ token: string; view: TokenView }> {
  const token = t.token ?? newToken(PAT_PREFIX);
  const [row] = await db
    .insert(personalTokens)
    .values({
      id: randomUUID(),
      userId: t.userId,
      name: t.name,
      tokenHash: sha256(token),
      prefix: token.slice(0, PAT_PREFIX.length + 4),
      scope: t.scope,
      projectId: t.projectId ?? null,
      expiresAt: t.expiresAt ?? null,
    })
    .returning();
  const { tokenHash: _, ...view } = row!;
  return { token, view };
}

/** A live token and its (active) user, or null. Touches `lastUsedAt` at most once a minute. */
export async function verifyPersonalToken(db: Db, token: string): Promise<{ token: PersonalToken; user: User } | null> {
  if (token.length > 300) return null;
  const [row] = await db
    .select({ t: personalTokens, u: users })
    .from(personalTokens)
    .innerJoin(users, eq(users.id, personalTokens.userId))
    .where(eq(personalTokens.tokenHash, sha256(token)));
  if (!row || row.t.revokedAt || row.u.deactivatedAt) return null;
  if (row.t.expiresAt && row.t.expiresAt.getTime() <= Date.now()) return null;
  if (!row.t.lastUsedAt || Date.now() - row.t.lastUsedAt.getTime() > 60_000) {
    await db.update(personalTokens).set({ lastUsedAt: sql`now()` }).where(eq(personalTokens.id, row.t.id));
  }
  return { token: row.t, user: row.u };
}

export async function listPersonalTokens(db: Db, userId: string): Promise<TokenView[]> {
  const rows = await db.select().from(personalTokens).where(eq(personalTokens.userId, userId)).orderBy(desc(personalTokens.createdAt));
  return rows.map(({ tokenHash: _, ...v }) => v);
}

/** Revokes one of the user's tokens; false when there is no such live token of theirs. */
export async function revokePersonalToken(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(personalTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(personalTokens.id, id), eq(personalTokens.userId, userId), isNull(personalTokens.revokedAt)))
    .returning({ id: personalTokens.id });
  return rows.length > 0;
}
