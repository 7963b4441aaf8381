/**
 * Roles, MLflow's vocabulary: READ sees everything in a project; EDIT changes graphs, notebooks
 * and datasets, submits runs and registers versions; MANAGE moves production aliases, binds
 * endpoints, mints and revokes keys and changes members. Org admins (and the owner) hold MANAGE
 * on every project and may administer users and machine tokens.
 */
export const PROJECT_ROLES = ['READ', 'EDIT', 'MANAGE'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export type OrgRole = 'owner' | 'admin' | 'member';

const RANK: Record<ProjectRole, number> = { READ: 1, EDIT: 2, MANAGE: 3 };

/** True when `has` allows what `needs` asks. */
export function roleAllows(has: ProjectRole | null, needs: ProjectRole): boolean {
  return has !== null && RANK[has] >= RANK[needs];
}

/** The lesser of two roles (a token's scope caps its user's role). */
export function minRole(a: ProjectRole | null, b: ProjectRole | null): ProjectRole | null {
  if (a === null || b === null) return null;
  return RANK[a] <= RANK[b] ? a : b;
}

export function isOrgAdmin(role: OrgRole): boolean {
  return role === 'owner' || role === 'admin';
}
