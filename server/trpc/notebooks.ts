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
import { notebooks, notebookTrust, users } from '../db/schema';
import { resolveProject } from '../http/lookup';
import { projectRefSchema } from './graphs';
import { access, on, procedure, router } from './trpc';

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
  const [row] = await db.select({ version: notebooks.version, hash: notebooks.hash, savedBy: notebooks.savedBy, imported: notebooks.imported }).from(notebooks).where(eq(notebooks.projectId, projectId)).orderBy(desc(notebooks.version)).limit(1);
  return row ?? null;
}

/** Why a version does not run for a user without asking (as Jupyter's untrusted notebooks). */
export type Distrust = 'imported' | 'saved-by-other';

/**
 * Whether `userId` may run this version's code without asking: they saved it themselves (not by
 * importing a file), or they chose to trust exactly this content. Otherwise, why not.
 */
export async function distrustOf(db: Db, userId: string, row: { projectId: string; hash: string; savedBy: string | null; imported: boolean }): Promise<Distrust | null> {
  if (row.savedBy === userId && !row.imported) return null;
  const [t] = await db
    .select({ hash: notebookTrust.hash })
    .from(notebookTrust)
    .where(and(eq(notebookTrust.userId, userId), eq(notebookTrust.projectId, row.projectId), eq(notebookTrust.hash, row.hash)));
  if (t) return null;
  return row.imported ? 'imported' : 'saved-by-other';
}

/** Appends `doc` as the next version unless it equals the newest one; safe under concurrent saves. */
export async function saveNotebook(db: Db, projectId: string, doc: NotebookDoc, by: { userId: string | null; imported?: boolean } = { userId: null }): Promise<{ version: number; created: boolean; hash: string }> {
  const hash = notebookHash(doc);
  for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
    const top = await newest(db, projectId);
    // The same content again is no new version, unless an import brings it (it must open untrusted).
    if (top && top.hash === hash && !(by.imported && !top.imported)) return { version: top.version, created: false, hash };
    const version = (top?.version ?? 0) + 1;
    // The primary key (project, version) arbitrates: a concurrent save that took this number
    // makes the insert a no-op, and the loop reads the new newest version.
    const rows = await db.insert(notebooks).values({ projectId, version, hash, doc, savedBy: by.userId, imported: by.imported ?? false }).onConflictDoNothing().returning({ version: notebooks.version });
    if (rows.length > 0) return { version, created: true, hash };
  }
  throw new KilnError('NOTEBOOK_CONFLICT', `could not save the notebook: ${SAVE_ATTEMPTS} concurrent saves in a row took the next version; try again`);
}

export const notebooksRouter = router({
  /**
   * The newest version (or `version`), or null when the project has no saved notebook. `trusted`:
   * the caller may run it without asking; else `untrustedBecause` says why (`imported` from a
   * file, or `saved-by-other`: `savedBy`, the email of who saved it, when known).
   */
  get: procedure(access.need('READ', on.project())).input(projectRefSchema.extend({ version: z.number().int().positive().optional() })).query(async ({ ctx, input }) => {
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
    const distrust = await distrustOf(ctx.db, ctx.user.id, row);
    const [saver] = row.savedBy ? await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, row.savedBy)) : [];
    return { version: row.version, hash: row.hash, doc: doc.data, createdAt: row.createdAt.toISOString(), savedBy: saver?.email ?? null, trusted: distrust === null, untrustedBecause: distrust };
  }),

  /**
   * Validates and stores the document; a new version only when it differs from the newest.
   * `imported`: the content is not the caller's own work (a file they imported, a notebook they
   * have not trusted yet), so it opens untrusted, for them too.
   */
  save: procedure(access.need('EDIT', on.project({ create: true })))
    .input(projectRefSchema.extend({ doc: z.unknown(), imported: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const doc = parseDoc(input.doc);
      const project = await resolveProject(ctx.db, input, true);
      if (!project) throw new KilnError('BAD_REQUEST', 'give projectId or projectName');
      return saveNotebook(ctx.db, project.id, doc, { userId: ctx.user.id, imported: input.imported });
    }),

  /**
   * "Trust and run": the caller trusts this content of the project's notebook (by hash), as
   * Jupyter signs a notebook; a later change by someone else is untrusted again.
   */
  trust: procedure(access.need('READ', on.project()))
    .input(projectRefSchema.extend({ hash: z.string().regex(/^[0-9a-f]{64}$/, 'a notebook hash is 64 lowercase hex digits') }))
    .mutation(async ({ ctx, input }) => {
      const project = await resolveProject(ctx.db, input, false);
      if (!project) throw new KilnError('BAD_REQUEST', 'give projectId or projectName');
      const [known] = await ctx.db.select({ v: notebooks.version }).from(notebooks).where(and(eq(notebooks.projectId, project.id), eq(notebooks.hash, input.hash))).limit(1);
      if (!known) throw new KilnError('NOT_FOUND', `project "${project.name}" has no notebook version with hash ${input.hash}`);
      await ctx.db.insert(notebookTrust).values({ userId: ctx.user.id, projectId: project.id, hash: input.hash }).onConflictDoNothing();
      return { trusted: true };
    }),

  /** Every version, newest first (no documents). */
  versions: procedure(access.need('READ', on.project())).input(projectRefSchema).query(async ({ ctx, input }) => {
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
