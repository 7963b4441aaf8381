/**
 * Group → role mapping at OIDC sign-in: the groups claim read from a profile, handed from the
 * profile mapping to the session, stored on the user and mapped to the org role and project roles.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { accounts, projectMembers, users } from '../db/schema';
import { openTestCaller } from '../trpc/test-utils';
import { OIDC_PROVIDER_ID } from './auth';
import { applyOidcGroups, groupsOfClaim, PendingGroups } from './oidc-roles';
import { createTestUser } from './testing';

describe('groupsOfClaim', () => {
  it('reads a list of strings or one string, and nothing else', () => {
    expect(groupsOfClaim({ groups: ['a', 3, 'b'] }, 'groups')).toEqual(['a', 'b']);
    expect(groupsOfClaim({ roles: 'admins' }, 'roles')).toEqual(['admins']);
    expect(groupsOfClaim({ groups: { a: 1 } }, 'groups')).toEqual([]);
    expect(groupsOfClaim({}, 'groups')).toEqual([]);
  });
});

describe('PendingGroups', () => {
  afterEach(() => vi.useRealTimers());

  it('hands a sign-in’s groups over once, by email in any case, and forgets them after two minutes', () => {
    vi.useFakeTimers();
    const p = new PendingGroups();
    p.put('Ada@IdP.test', ['x']);
    expect(p.take('ada@idp.test')).toEqual(['x']);
    expect(p.take('ada@idp.test')).toBeUndefined();
    p.put('ada@idp.test', ['y']);
    vi.advanceTimersByTime(121_000);
    expect(p.take('ada@idp.test')).toBeUndefined();
  });
});

describe('applyOidcGroups', () => {
  let ctx: Awaited<ReturnType<typeof openTestCaller>>;
  const MAP = ['kiln-admins=admin', 'forecasters=demand:EDIT', 'analysts=demand:READ', 'analysts=ghost:READ'];

  beforeAll(async () => {
    ctx = await openTestCaller('pglite');
    await ctx.api.projects.create({ name: 'demand' });
  }, 60_000);
  afterAll(async () => {
    await ctx?.kdb.dispose();
  });

  async function ssoUser() {
    const u = await createTestUser(ctx.kdb.db);
    await ctx.kdb.db.insert(accounts).values({ id: randomUUID(), userId: u.id, accountId: `sub-${u.id}`, providerId: OIDC_PROVIDER_ID });
    return u;
  }
  const row = async (id: string) => (await ctx.kdb.db.select().from(users).where(eq(users.id, id)))[0]!;
  const demandRole = async (id: string) => (await ctx.kdb.db.select().from(projectMembers).where(eq(projectMembers.userId, id)))[0]?.role ?? null;

  it('stores the groups and gives the highest role they map to; new groups take roles away', async () => {
    const u = await ssoUser();
    const log: string[] = [];
    await applyOidcGroups(ctx.kdb.db, u.id, MAP, { groups: ['kiln-admins', 'analysts', 'forecasters'], log: (m) => log.push(m) });
    expect(await row(u.id)).toMatchObject({ role: 'admin', groups: ['kiln-admins', 'analysts', 'forecasters'] });
    expect(await demandRole(u.id)).toBe('EDIT');
    expect(log).toEqual(['kiln auth: KILN_OIDC_ROLE_MAP names project "ghost", which does not exist; skipped']);

    await applyOidcGroups(ctx.kdb.db, u.id, MAP, { groups: ['analysts'] });
    expect(await row(u.id)).toMatchObject({ role: 'member', groups: ['analysts'] });
    expect(await demandRole(u.id)).toBe('READ');

    await applyOidcGroups(ctx.kdb.db, u.id, MAP, { groups: [] });
    expect(await demandRole(u.id)).toBeNull();
  });

  it('leaves a user without an OIDC account, and the owner’s org role, alone', async () => {
    const local = await createTestUser(ctx.kdb.db);
    await applyOidcGroups(ctx.kdb.db, local.id, MAP, { groups: ['kiln-admins', 'forecasters'] });
    expect(await row(local.id)).toMatchObject({ role: 'member', groups: [] });
    expect(await demandRole(local.id)).toBeNull();

    const owner = await ssoUser();
    await ctx.kdb.db.update(users).set({ role: 'owner' }).where(eq(users.id, owner.id));
    await applyOidcGroups(ctx.kdb.db, owner.id, MAP, { groups: ['forecasters'] });
    expect(await row(owner.id)).toMatchObject({ role: 'owner' });
    expect(await demandRole(owner.id)).toBe('EDIT');
  });
});
