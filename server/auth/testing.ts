/** Test-only: users of each kind, as principals, on a test database. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client';
import { projectMembers, users } from '../db/schema';
import type { UserPrincipal } from './principal';
import type { OrgRole, ProjectRole } from './roles';

export async function createTestUser(db: Db, o: { email?: string; orgRole?: OrgRole; projects?: Record<string, ProjectRole> } = {}): Promise<UserPrincipal> {
  const id = randomUUID();
  const email = o.email ?? `${id.slice(0, 8)}@kiln.test`;
  const orgRole = o.orgRole ?? 'member';
  await db.insert(users).values({ id, name: email.split('@')[0]!, email, role: orgRole });
  for (const [projectId, role] of Object.entries(o.projects ?? {})) await db.insert(projectMembers).values({ projectId, userId: id, role });
  return { kind: 'user', id, email, name: email.split('@')[0]!, orgRole, via: 'session', scope: null, tokenProjectId: null };
}
