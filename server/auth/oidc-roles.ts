/**
 * Group → role mapping at each OIDC sign-in (`KILN_OIDC_ROLE_MAP`, e.g.
 * `ml-admins=admin,forecasting=demand:EDIT`): the identity provider stays the source of truth.
 *   - org role: `admin` when a group maps to admin, else `member` (the owner stays owner; a
 *     password user without an OIDC account is never touched);
 *   - for each project the map names: the highest role the user's groups give, or no
 *     membership when none does. Projects the map does not name keep their hand-made roles.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accounts, projectMembers, users } from '../db/schema';
import { findProjectByName } from '../http/lookup';
import { OIDC_PROVIDER_ID } from './auth';
import { roleAllows, type ProjectRole } from './roles';

export interface RoleMapEntry {
  group: string;
  role: 'admin' | 'member' | { project: string; role: ProjectRole };
}

export function parseRoleMap(entries: readonly string[]): RoleMapEntry[] {
  return entries.map((e) => {
    const [group, target] = [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)];
    if (target === 'admin' || target === 'member') return { group, role: target };
    const i = target.lastIndexOf(':');
    return { group, role: { project: target.slice(0, i), role: target.slice(i + 1) as ProjectRole } };
  });
}

/** The groups a profile's claim lists: a list of strings, or one string. */
export function groupsOfClaim(profile: Record<string, unknown>, claim: string): string[] {
  const raw = profile[claim];
  return Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
}

/** How long the groups of a sign-in wait for its session. */
const PENDING_MS = 120_000;

/**
 * The groups the identity provider reported at a sign-in, by email, until that sign-in's session
 * is created. better-auth stores no profile field that users may not set themselves (as
 * `groups`), so the profile mapping hands them over here.
 */
export class PendingGroups {
  private readonly byEmail = new Map<string, { groups: string[]; at: number }>();

  put(email: string, groups: string[]): void {
    const now = Date.now();
    for (const [k, p] of this.byEmail) if (now - p.at > PENDING_MS) this.byEmail.delete(k);
    this.byEmail.set(email.toLowerCase(), { groups, at: now });
  }

  take(email: string): string[] | undefined {
    const p = this.byEmail.get(email.toLowerCase());
    this.byEmail.delete(email.toLowerCase());
    return p && Date.now() - p.at <= PENDING_MS ? p.groups : undefined;
  }
}

/**
 * Stores the groups an OIDC sign-in reported (`groups`; none: the stored ones stay) and applies
 * the role map to them. Does nothing for a user without an OIDC account.
 */
export async function applyOidcGroups(db: Db, userId: string, map: readonly string[], o: { groups?: string[]; log?: (m: string) => void } = {}): Promise<void> {
  const log = o.log;
  const [sso] = await db.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.userId, userId), eq(accounts.providerId, OIDC_PROVIDER_ID)));
  if (!sso) return;
  if (o.groups) await db.update(users).set({ groups: o.groups }).where(eq(users.id, userId));
  const [u] = await db.select().from(users).where(eq(users.id, userId));
  if (!u) return;
  const groups = new Set(u.groups);
  const entries = parseRoleMap(map);
  if (u.role !== 'owner' && entries.some((e) => e.role === 'admin')) {
    const role = entries.some((e) => e.role === 'admin' && groups.has(e.group)) ? 'admin' : 'member';
    if (role !== u.role) await db.update(users).set({ role }).where(eq(users.id, userId));
  }
  const byProject = new Map<string, ProjectRole | null>();
  for (const e of entries) {
    if (typeof e.role !== 'object') continue;
    const best = byProject.get(e.role.project) ?? null;
    const mine = groups.has(e.group) ? e.role.role : null;
    byProject.set(e.role.project, mine && !roleAllows(best, mine) ? mine : best);
  }
  for (const [name, role] of byProject) {
    const project = await findProjectByName(db, name);
    if (!project) {
      log?.(`kiln auth: KILN_OIDC_ROLE_MAP names project "${name}", which does not exist; skipped`);
      continue;
    }
    if (role) {
      await db.insert(projectMembers).values({ projectId: project.id, userId, role }).onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } });
    } else {
      await db.delete(projectMembers).where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, userId)));
    }
  }
}
