/**
 * First start, as Jupyter does it: when no user exists, the server creates the owner account
 * and prints a one-time sign-in URL; the owner opens it, is signed in and sets a password.
 * With `KILN_BOOTSTRAP_TOKEN` the secret becomes the owner's personal access token instead (CI,
 * scripts, tests: no browser needed). Until the owner can sign in some other way (a password,
 * single sign-on or a token), every start prints a fresh link.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accounts, personalTokens, users } from '../db/schema';
import { createSignInLink } from './links';
import { createPersonalToken } from './pats';

export const OWNER_EMAIL = 'owner@kiln.local';
/** How long a first-start link works. */
const FIRST_START_LINK_HOURS = 24 * 7;

export type BootstrapOutcome =
  | { kind: 'ready' }
  | { kind: 'token'; ownerId: string }
  /** print `signInUrl(base, token)` */
  | { kind: 'link'; ownerId: string; token: string; created: boolean };

export async function bootstrapOwner(db: Db, o: { bootstrapToken?: string | undefined }): Promise<BootstrapOutcome> {
  return db.transaction(async (tx) => {
    // One first start at a time, across every control plane over this database.
    await tx.execute(sql`select pg_advisory_xact_lock(${0x6b696c6f})`);
    const [owner] = await tx.select().from(users).where(eq(users.role, 'owner')).limit(1);
    const [anyUser] = owner ? [owner] : await tx.select({ id: users.id }).from(users).limit(1);
    if (!anyUser) {
      const id = randomUUID();
      await tx.insert(users).values({ id, name: 'Owner', email: OWNER_EMAIL, role: 'owner', emailVerified: true });
      if (o.bootstrapToken) {
        await createPersonalToken(tx as unknown as Db, { userId: id, name: 'KILN_BOOTSTRAP_TOKEN', scope: 'MANAGE', token: o.bootstrapToken });
        return { kind: 'token', ownerId: id };
      }
      const { token } = await createSignInLink(tx as unknown as Db, { userId: id, purpose: 'first-start', ttlHours: FIRST_START_LINK_HOURS });
      return { kind: 'link', ownerId: id, token, created: true };
    }
    if (!owner) return { kind: 'ready' };
    // The owner has no way in yet: no password, no SSO account, no live token.
    const [account] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.userId, owner.id)).limit(1);
    const [pat] = await tx
      .select({ id: personalTokens.id })
      .from(personalTokens)
      .where(and(eq(personalTokens.userId, owner.id), isNull(personalTokens.revokedAt)))
      .limit(1);
    if (account || pat) return { kind: 'ready' };
    const { token } = await createSignInLink(tx as unknown as Db, { userId: owner.id, purpose: 'first-start', ttlHours: FIRST_START_LINK_HOURS });
    return { kind: 'link', ownerId: owner.id, token, created: false };
  });
}
