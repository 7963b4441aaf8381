/**
 * Notebooks: one per project, saved as numbered versions. A save appends a version only when the
 * content changed (canonical hash of the document), so autosave can call it freely.
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { sha256Hex } from '../../lib/data/hash';
import { canonicalJson } from '../../lib/graph/canonical';
import { notebookSchema, type NotebookDoc } from '../../lib/notebook/schema';
import type { Db } from '../db/client';
import { notebooks } from '../db/schema';
import { resolveProject } from '../http/lookup';
import { projectRefSchema } from './graphs';
import { publicProcedure, router } from './trpc';

/** How many times a save retries when a concurrent save took the same version number. */
const SAVE_ATTEMPTS = 8;

/** The content hash of a notebook document (key order does not matter). */
export function notebookHash(doc: NotebookDoc): string {
  return sha256Hex(canonicalJson(doc));
}

/** Parses a document, or a BAD_REQUEST naming the first bad path (`doc.cells.2.source: …`). */
function parseDoc(doc: unknown): NotebookDoc {
  const parsed = notebookSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new KilnError('BAD_REQUEST', `doc${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
}

async function newest(db: Db, projectId: string) {
  const [row] = await db.select({ version: notebooks.version, hash: notebooks.hash }).from(notebooks).where(eq(notebooks.projectId, projectId)).orderBy(desc(notebooks.version)).limit(1);
  return row ?? null;
}

/** Appends `doc` as the next version unless it equals the newest one; safe under concurrent saves. */
export async function saveNotebook(db: Db, projectId: string, doc: NotebookDoc): Promise<{ version: number; created: boolean }> {
  const hash = notebookHash(doc);
  for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
    const top = await newest(db, projectId);
    if (top && top.hash === hash) return { version: top.version, created: false };
    const version = (top?.version ?? 0) + 1;
    // The primary key (project, version) arbitrates: a concurrent save that took this number
    // makes the insert a no-op, and the loop reads the new newest version.
    const rows = await db.insert(notebooks).values({ projectId, version, hash, doc }).onConflictDoNothing().returning({ version: notebooks.version });
    if (rows.length > 0) return { version, created: true };
  }
  throw new KilnError('NOTEBOOK_CONFLICT', `could not save the notebook: ${SAVE_ATTEMPTS} concurrent saves in a row took the next version; try again`);
}

export const notebooksRouter = router({
  /** The newest version (or `version`), or null when the project has no saved notebook. */
  get: publicProcedure.input(projectRefSchema.extend({ version: z.number().int().positive().optional() })).query(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) return null;
    const where = input.version === undefined ? eq(notebooks.projectId, project.id) : and(eq(notebooks.projectId, project.id), eq(notebooks.version, input.version));
    const [row] = await ctx.db.select().from(notebooks).where(where).orderBy(desc(notebooks.version)).limit(1);
    if (!row) {
      if (input.version !== undefined) throw new KilnError('NOT_FOUND', `project "${project.name}" has no notebook version ${input.version}`);
      return null;
    }
    // Stored documents were validated on save; parsing again applies defaults of newer schemas.
    const doc = notebookSchema.safeParse(row.doc);
    if (!doc.success) throw new KilnError('NOTEBOOK_CORRUPT', `notebook version ${row.version} of "${project.name}" is not a valid document`);
    return { version: row.version, doc: doc.data, createdAt: row.createdAt.toISOString() };
  }),

  /** Validates and stores the document; a new version only when it differs from the newest. */
  save: publicProcedure.input(projectRefSchema.extend({ doc: z.unknown() })).mutation(async ({ ctx, input }) => {
    const doc = parseDoc(input.doc);
    const project = await resolveProject(ctx.db, input, true);
    if (!project) throw new KilnError('BAD_REQUEST', 'give projectId or projectName');
    return saveNotebook(ctx.db, project.id, doc);
  }),

  /** Every version, newest first (no documents). */
  versions: publicProcedure.input(projectRefSchema).query(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) return [];
    const rows = await ctx.db
      .select({ version: notebooks.version, hash: notebooks.hash, createdAt: notebooks.createdAt })
      .from(notebooks)
      .where(eq(notebooks.projectId, project.id))
      .orderBy(desc(notebooks.version))
      .limit(500);
    return rows.map((r) => ({ version: r.version, hash: r.hash, createdAt: r.createdAt.toISOString() }));
  }),
});
