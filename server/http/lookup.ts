/** Lookups shared by the REST routes and the tRPC routers. */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { ensureProject, getProject } from '../db/catalog';
import type { Db } from '../db/client';
import { projects, type Project } from '../db/schema';

/** Project names: what `?project=` and `kiln submit --project` carry, so URL- and shell-safe. */
export const projectNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'project names use letters, digits, _ . - and start with a letter or digit');

/** The project with this name, or null (never creates one). */
export async function findProjectByName(db: Db, name: string): Promise<Project | null> {
  const [row] = await db.select().from(projects).where(eq(projects.name, name));
  return row ?? null;
}

/**
 * Resolves `{ projectId }` or `{ projectName }`. A name that does not exist yet is created when
 * `create` is set (uploads and submits from CI name their project and expect it to appear).
 */
export async function resolveProject(db: Db, ref: { projectId?: string | undefined; projectName?: string | undefined }, create: boolean): Promise<Project | null> {
  if (ref.projectId !== undefined) return getProject(db, ref.projectId);
  if (ref.projectName !== undefined) return create ? ensureProject(db, ref.projectName) : findProjectByName(db, ref.projectName);
  return null;
}
