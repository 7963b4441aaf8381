/**
 * The one permission check. Every tRPC procedure declares an {@link Access} (server/trpc/trpc.ts
 * refuses to build one without) and every REST route does too (server/http/router.ts); both
 * call {@link authorize}. Rules:
 *   - no credentials → 401;
 *   - a resource that does not exist, or lives in a project the caller cannot read → 404 with
 *     the same message (no existence leak);
 *   - a project the caller reads but needs more on → 403 naming the permission it needed.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { ensureProject } from '../db/catalog';
import type { Db } from '../db/client';
import { datasets, endpoints, projectMembers, projects, registeredModels, runs } from '../db/schema';
import { findProjectByName, projectNameSchema } from '../http/lookup';
import type { Principal, UserPrincipal } from './principal';
import { isOrgAdmin, minRole, roleAllows, type ProjectRole } from './roles';

export type ResourceKind = 'project' | 'run' | 'dataset' | 'model' | 'endpoint';

/** Where a procedure's input (or a route's path) names the resource it touches. */
export interface ResourceRef {
  kind: ResourceKind;
  /** the key(s) in the input: a name or id, several ids, or a project reference */
  key: (input: unknown) => unknown;
  /**
   * A project named but missing: `true` creates it for a caller who may create projects (CI
   * submits name theirs); `'later'` only checks that they may, and the handler creates it once
   * its input proved good ({@link createProjectFor}).
   */
  create?: boolean | 'later';
  /** a missing resource is fine (it will be created, e.g. a model's first registration) */
  optional?: boolean;
}

export type Access =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'admin' }
  /** `need` may depend on the input (moving `production` needs MANAGE, other aliases EDIT) */
  | { kind: 'project'; need: ProjectRole | ((input: unknown) => ProjectRole); on: ResourceRef[] }
  /** machine tokens: the runner protocol, or the serving data plane's config and packages */
  | { kind: 'machine'; purpose: 'runner' | 'serving' };

/** Building blocks for declarations: `need('EDIT', on.run('id'))`. */
export const access = {
  public: (): Access => ({ kind: 'public' }),
  signedIn: (): Access => ({ kind: 'signed-in' }),
  admin: (): Access => ({ kind: 'admin' }),
  machine: (purpose: 'runner' | 'serving'): Access => ({ kind: 'machine', purpose }),
  need: (need: ProjectRole | ((input: unknown) => ProjectRole), ...on: ResourceRef[]): Access => ({ kind: 'project', need, on }),
};

const field = (name: string) => (input: unknown) => (input && typeof input === 'object' ? (input as Record<string, unknown>)[name] : undefined);

export const on = {
  /** `{ projectId }` / `{ projectName }` (or `{ id }` / `{ name }` of the project itself with `self`) */
  project: (o: { create?: boolean; self?: boolean; optional?: boolean } = {}): ResourceRef => ({
    kind: 'project',
    create: o.create ?? false,
    optional: o.optional ?? false,
    key: (input) => {
      const x = (input ?? {}) as Record<string, unknown>;
      return o.self ? { projectId: x.id, projectName: x.name } : { projectId: x.projectId, projectName: x.projectName };
    },
  }),
  run: (name = 'id'): ResourceRef => ({ kind: 'run', key: field(name) }),
  dataset: (name = 'id'): ResourceRef => ({ kind: 'dataset', key: field(name) }),
  model: (name = 'name', o: { optional?: boolean } = {}): ResourceRef => ({ kind: 'model', key: field(name), optional: o.optional ?? false }),
  endpoint: (name = 'name', o: { optional?: boolean } = {}): ResourceRef => ({ kind: 'endpoint', key: field(name), optional: o.optional ?? false }),
  /** a key already taken from a REST path or query */
  value: (kind: ResourceKind, value: unknown, o: { create?: boolean | 'later' } = {}): ResourceRef => ({ kind, key: () => value, create: o.create ?? false }),
};

export interface Grant {
  user: UserPrincipal | null;
  /** the projects the checked resources live in, with the caller's role there */
  projects: { id: string; name: string; role: ProjectRole }[];
}

export interface AuthorizeOptions {
  projectCreators: 'members' | 'admins';
}

/** The user's role in a project: admins hold MANAGE everywhere; a token's scope and project cap it. */
export async function projectRoleOf(db: Db, user: UserPrincipal, projectId: string | null): Promise<ProjectRole | null> {
  if (user.tokenProjectId && user.tokenProjectId !== projectId) return null;
  let role: ProjectRole | null;
  if (isOrgAdmin(user.orgRole)) role = 'MANAGE';
  else if (projectId === null) role = null;
  else {
    const [m] = await db
      .select({ role: projectMembers.role })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, user.id)));
    role = m?.role ?? null;
  }
  return user.scope ? minRole(role, user.scope) : role;
}

/**
 * The user's role in every project they can read, in one query: `'all'` for an admin without a
 * project-limited token (MANAGE everywhere, capped by the token's scope), else project id → role.
 */
export async function projectRoles(db: Db, user: UserPrincipal): Promise<'all' | Map<string, ProjectRole>> {
  if (isOrgAdmin(user.orgRole) && !user.tokenProjectId) return 'all';
  const rows = isOrgAdmin(user.orgRole)
    ? [{ projectId: user.tokenProjectId!, role: 'MANAGE' as ProjectRole }]
    : await db.select({ projectId: projectMembers.projectId, role: projectMembers.role }).from(projectMembers).where(eq(projectMembers.userId, user.id));
  const out = new Map<string, ProjectRole>();
  for (const r of rows) {
    if (user.tokenProjectId && r.projectId !== user.tokenProjectId) continue;
    const role = user.scope ? minRole(r.role, user.scope) : r.role;
    if (role) out.set(r.projectId, role);
  }
  return out;
}

/** Projects the user can read: `'all'` for an unlimited admin, else their ids. */
export async function readableProjectIds(db: Db, user: UserPrincipal): Promise<'all' | string[]> {
  const roles = await projectRoles(db, user);
  return roles === 'all' ? 'all' : [...roles.keys()];
}

/** Whether the user may create projects (`KILN_PROJECT_CREATORS`); a project-limited token never may. */
export function mayCreateProjects(user: UserPrincipal, o: AuthorizeOptions): boolean {
  if (user.tokenProjectId) return false;
  if (user.scope && !roleAllows(user.scope, 'EDIT')) return false;
  return o.projectCreators === 'members' || isOrgAdmin(user.orgRole);
}

/** Creates a project for its creator, who gets MANAGE on it. */
export async function createProjectFor(db: Db, user: UserPrincipal, name: string, description = '') {
  const project = await ensureProject(db, name, description);
  await db.insert(projectMembers).values({ projectId: project.id, userId: user.id, role: 'MANAGE' }).onConflictDoNothing();
  return project;
}

const KIND_WORD: Record<ResourceKind, string> = { project: 'project', run: 'run', dataset: 'dataset version', model: 'registered model', endpoint: 'endpoint' };

function notFound(kind: ResourceKind, key: string): KilnError {
  const code = kind === 'project' ? 'PROJECT_NOT_FOUND' : kind === 'model' ? 'REGISTRY_MODEL_NOT_FOUND' : kind === 'endpoint' ? 'ENDPOINT_NOT_FOUND' : 'NOT_FOUND';
  return new KilnError(code, `no ${KIND_WORD[kind]} ${JSON.stringify(key)}`);
}

function badKey(kind: ResourceKind): KilnError {
  return new KilnError('BAD_REQUEST', `input: names no ${KIND_WORD[kind]}`);
}

const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200;

/** The project (id and name) each key lives in; null entries for keys that do not exist. */
async function projectsOf(db: Db, kind: Exclude<ResourceKind, 'project'>, keys: string[]): Promise<Map<string, { id: string | null; name: string } | null>> {
  const out = new Map<string, { id: string | null; name: string } | null>(keys.map((k) => [k, null]));
  const rows =
    kind === 'run'
      ? await db.select({ key: runs.id, id: projects.id, name: projects.name }).from(runs).innerJoin(projects, eq(projects.id, runs.projectId)).where(inArray(runs.id, keys))
      : kind === 'dataset'
        ? await db.select({ key: datasets.id, id: projects.id, name: projects.name }).from(datasets).innerJoin(projects, eq(projects.id, datasets.projectId)).where(inArray(datasets.id, keys))
        : kind === 'model'
          ? await db.select({ key: registeredModels.name, id: registeredModels.projectId, name: projects.name }).from(registeredModels).leftJoin(projects, eq(projects.id, registeredModels.projectId)).where(inArray(registeredModels.name, keys))
          : await db
              .select({ key: endpoints.name, id: registeredModels.projectId, name: projects.name })
              .from(endpoints)
              .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
              .leftJoin(projects, eq(projects.id, registeredModels.projectId))
              .where(inArray(endpoints.name, keys));
  for (const r of rows) out.set(r.key, { id: r.id, name: r.name ?? '(no project)' });
  return out;
}

/**
 * Checks `a` for `principal` against the raw input; returns who and where, or throws the
 * catalog's 401 / 403 / 404. Creates a project named with `create` when the caller may.
 */
export async function authorize(db: Db, principal: Principal | null, a: Access, input: unknown, o: AuthorizeOptions): Promise<Grant> {
  if (a.kind === 'public') return { user: principal?.kind === 'user' ? principal : null, projects: [] };
  if (!principal) throw new KilnError('SIGN_IN_REQUIRED', 'sign in, or send a token (Authorization: Bearer <token>)');
  if (a.kind === 'machine') {
    if (principal.kind !== 'machine' || principal.purpose !== a.purpose) throw new KilnError('PERMISSION_DENIED', `needs a ${a.purpose} machine token`);
    return { user: null, projects: [] };
  }
  if (principal.kind !== 'user') throw new KilnError('PERMISSION_DENIED', `a ${principal.purpose} machine token cannot use the studio API`);
  const user = principal;
  if (a.kind === 'signed-in') return { user, projects: [] };
  if (a.kind === 'admin') {
    if (!isOrgAdmin(user.orgRole) || user.tokenProjectId || (user.scope && user.scope !== 'MANAGE')) throw new KilnError('PERMISSION_DENIED', 'needs org admin');
    return { user, projects: [] };
  }
  const found: Grant['projects'] = [];
  const need = typeof a.need === 'function' ? a.need(input) : a.need;
  const roles = new Map<string, ProjectRole | null>();
  for (const ref of a.on) {
    const raw = ref.key(input);
    let targets: { id: string | null; name: string; key: string }[];
    if (ref.kind === 'project') {
      const r = (raw ?? {}) as { projectId?: unknown; projectName?: unknown };
      let project;
      if (str(r.projectId)) project = (await db.select().from(projects).where(eq(projects.id, r.projectId)))[0] ?? null;
      else if (str(r.projectName)) project = await findProjectByName(db, r.projectName);
      else if (ref.optional && r.projectId === undefined && r.projectName === undefined) continue;
      else throw badKey('project');
      const shown = String(r.projectName ?? r.projectId);
      if (!project) {
        if (!ref.create || !str(r.projectName)) throw notFound('project', shown);
        if (!mayCreateProjects(user, o)) throw new KilnError('PERMISSION_DENIED', `needs permission to create projects (project "${shown}" does not exist)`);
        const name = projectNameSchema.safeParse(r.projectName);
        if (!name.success) throw new KilnError('BAD_REQUEST', `projectName: ${name.error.issues[0]!.message}`);
        if (ref.create === 'later') continue;
        project = await createProjectFor(db, user, name.data);
      }
      targets = [{ id: project.id, name: project.name, key: project.name }];
    } else {
      const keys = Array.isArray(raw) ? raw : [raw];
      if (keys.length === 0 || !keys.every(str)) {
        if (ref.optional && raw === undefined) continue;
        throw badKey(ref.kind);
      }
      const map = await projectsOf(db, ref.kind, [...new Set(keys)]);
      targets = [];
      for (const k of keys) {
        const t = map.get(k);
        if (!t) {
          if (ref.optional) continue;
          throw notFound(ref.kind, k);
        }
        targets.push({ ...t, key: k });
      }
    }
    for (const t of targets) {
      // One lookup per project, however many of its runs a call names (runs.compare).
      const key = t.id ?? '';
      if (!roles.has(key)) roles.set(key, await projectRoleOf(db, user, t.id));
      const role = roles.get(key)!;
      // Unknown and unreadable answer alike.
      if (role === null) throw notFound(ref.kind, t.key);
      if (!roleAllows(role, need)) throw new KilnError('PERMISSION_DENIED', `needs ${need} on project "${t.name}" (you have ${role}${user.scope ? `, token scope ${user.scope}` : ''})`);
      if (t.id && !found.some((f) => f.id === t.id)) found.push({ id: t.id, name: t.name, role });
    }
  }
  return { user, projects: found };
}
