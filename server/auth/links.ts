/**
 * One-time sign-in links (Jupyter's first-start URL; invitations): a random token whose SHA-256
 * is stored with an expiry; opening the link signs its user in once.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { signInLinks, users, type User } from '../db/schema';
import { newToken, sha256 } from './secrets';

export const SIGN_IN_LINK_PREFIX = 'kiln_link_';

/** Creates a link for `userId` (unused earlier links of the same purpose stop working). */
export async function createSignInLink(db: Db, o: { userId: string; purpose: 'first-start' | 'invite'; createdBy?: string | null; ttlHours: number }): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken(SIGN_IN_LINK_PREFIX);
  const expiresAt = new Date(Date.now() + o.ttlHours * 3600_000);
  await db.transaction(async (tx) => {
    await tx
      .update(signInLinks)
      .set({ expiresAt: sql`now()` })
      .where(and(eq(signInLinks.userId, o.userId), eq(signInLinks.purpose, o.purpose), isNull(signInLinks.usedAt)));
    await tx.insert(signInLinks).values({ id: randomUUID(), userId: o.userId, tokenHash: sha256(token), purpose: o.purpose, createdBy: o.createdBy ?? null, expiresAt });
  });
  return { token, expiresAt };
}

/** Marks the link used and returns its user, or null when it is unknown, used or expired. Atomic: a link signs in once. */
export async function consumeSignInLink(db: Db, token: string): Promise<User | null> {
  if (!token.startsWith(SIGN_IN_LINK_PREFIX) || token.length > 200) return null;
  const [link] = await db
    .update(signInLinks)
    .set({ usedAt: sql`now()` })
    .where(and(eq(signInLinks.tokenHash, sha256(token)), isNull(signInLinks.usedAt), gt(signInLinks.expiresAt, sql`now()`)))
    .returning({ userId: signInLinks.userId });
  if (!link) return null;
  const [user] = await db.select().from(users).where(eq(users.id, link.userId));
  return user ?? null;
}

/** The URL a person opens: `<base>/login?token=…`. */
export function signInUrl(base: string, token: string): string {
  return `${base.replace(/\/+$/, '')}/login?token=${encodeURIComponent(token)}`;
}
