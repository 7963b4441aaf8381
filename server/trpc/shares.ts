/**
 * Read-only share links for a run, a model version or a notebook: `/share/<token>` shows the
 * thing to anyone holding the link, until it expires or is revoked. The token is the link's id
 * and expiry, signed with the server's secret; the row makes it revocable.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { notebookSchema } from '../../lib/notebook/schema';
import { sameText, sign } from '../auth/secrets';
import { getRun, listRunEvents } from '../jobs/queue';
import type { Db } from '../db/client';
import { modelVersions, notebooks, projects, registeredModels, shareLinks } from '../db/schema';
import { access, on, procedure, publicProcedure, router } from './trpc';

const kindSchema = z.enum(['run', 'model-version', 'notebook']);

function tokenOf(secret: string, id: string, expiresAt: Date): string {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `${id}.${exp}.${sign(secret, `share:${id}:${exp}`)}`;
}

/** The live link a token names, or null (bad signature, expired, revoked, unknown). */
async function linkOf(db: Db, secret: string, token: string) {
  const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const [, id, exp, sig] = m;
  if (!sameText(sig!, sign(secret, `share:${id}:${exp}`))) return null;
  if (Number(exp) * 1000 <= Date.now()) return null;
  const [row] = await db
    .select()
    .from(shareLinks)
    .where(and(eq(shareLinks.id, id!), isNull(shareLinks.revokedAt), gt(shareLinks.expiresAt, sql`now()`)));
  return row ?? null;
}

export const sharesRouter = router({
  /** A link to one run, model version (`model` + `version`) or the project's notebook version. */
  create: procedure(access.need('READ', on.project()))
    .input(
      z.object({
        projectName: z.string().min(1).max(64),
        kind: kindSchema,
        /** run id; or model version number with `model`; or notebook version */
        id: z.union([z.string().min(1).max(64), z.number().int().min(1)]),
        model: z.string().min(1).max(64).optional(),
        expiresInDays: z.number().int().min(1).max(365).default(7),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const project = ctx.grant.projects[0]!;
      let resourceId: string;
      if (input.kind === 'run') {
        const run = await getRun(ctx.db, String(input.id));
        if (!run || run.projectId !== project.id) throw new KilnError('NOT_FOUND', `project "${project.name}" has no run ${input.id}`);
        resourceId = run.id;
      } else if (input.kind === 'model-version') {
        const [v] = await ctx.db
          .select({ id: modelVersions.id })
          .from(modelVersions)
          .innerJoin(registeredModels, eq(registeredModels.id, modelVersions.modelId))
          .where(and(eq(registeredModels.name, input.model ?? ''), eq(registeredModels.projectId, project.id), eq(modelVersions.version, Number(input.id))));
        if (!v) throw new KilnError('NOT_FOUND', `project "${project.name}" has no model version ${input.model ?? '?'} v${input.id}`);
        resourceId = v.id;
      } else {
        const [n] = await ctx.db.select({ v: notebooks.version }).from(notebooks).where(and(eq(notebooks.projectId, project.id), eq(notebooks.version, Number(input.id))));
        if (!n) throw new KilnError('NOT_FOUND', `project "${project.name}" has no notebook version ${input.id}`);
        resourceId = `${project.id}:${n.v}`;
      }
      const id = randomUUID();
      const expiresAt = new Date(Date.now() + input.expiresInDays * 86400_000);
      await ctx.db.insert(shareLinks).values({ id, projectId: project.id, kind: input.kind, resourceId, createdBy: ctx.user.email, expiresAt });
      const token = tokenOf(ctx.authSecret, id, expiresAt);
      return { id, token, path: `/share/${token}`, expiresAt };
    }),

  list: procedure(access.need('READ', on.project()))
    .input(z.object({ projectName: z.string().min(1).max(64) }))
    .query(({ ctx }) => ctx.db.select().from(shareLinks).where(eq(shareLinks.projectId, ctx.grant.projects[0]!.id)).orderBy(desc(shareLinks.createdAt)).limit(500)),

  /** Revoking needs MANAGE, or being the one who made the link. */
  revoke: procedure(access.need('READ', on.project()))
    .input(z.object({ projectName: z.string().min(1).max(64), id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const project = ctx.grant.projects[0]!;
      const [row] = await ctx.db.select().from(shareLinks).where(and(eq(shareLinks.id, input.id), eq(shareLinks.projectId, project.id)));
      if (!row) throw new KilnError('NOT_FOUND', `project "${project.name}" has no share link ${input.id}`);
      if (project.role !== 'MANAGE' && row.createdBy !== ctx.user.email) throw new KilnError('PERMISSION_DENIED', `needs MANAGE on project "${project.name}" to revoke another person's link`);
      await ctx.db.update(shareLinks).set({ revokedAt: sql`now()` }).where(eq(shareLinks.id, row.id));
      return { id: row.id, revoked: true };
    }),

  /** What a share link shows, to anyone holding it: read-only, nothing else of the project. */
  view: publicProcedure.input(z.object({ token: z.string().min(10).max(300) })).query(async ({ ctx, input }) => {
    const link = await linkOf(ctx.db, ctx.authSecret, input.token);
    if (!link) throw new KilnError('SHARE_LINK_INVALID', 'this share link is unknown, expired or revoked');
    const [project] = await ctx.db.select({ name: projects.name }).from(projects).where(eq(projects.id, link.projectId));
    const base = { kind: link.kind, project: project?.name ?? '', expiresAt: link.expiresAt, sharedBy: link.createdBy };
    if (link.kind === 'run') {
      const run = await getRun(ctx.db, link.resourceId);
      if (!run) throw new KilnError('SHARE_LINK_INVALID', 'the shared run no longer exists');
      const events = await listRunEvents(ctx.db, run.id, { afterId: 0, limit: 5000 });
      const epochs = events.filter((e) => e.type === 'epoch').map((e) => e.payload);
      return { ...base, run: { id: run.id, status: run.status, metrics: run.metrics, gates: run.gates, backend: run.backend, device: run.device, queuedAt: run.queuedAt, finishedAt: run.finishedAt, epochs } };
    }
    if (link.kind === 'model-version') {
      const [v] = await ctx.db
        .select({ v: modelVersions, model: registeredModels.name })
        .from(modelVersions)
        .innerJoin(registeredModels, eq(registeredModels.id, modelVersions.modelId))
        .where(eq(modelVersions.id, link.resourceId));
      if (!v) throw new KilnError('SHARE_LINK_INVALID', 'the shared model version no longer exists');
      return { ...base, version: { model: v.model, version: v.v.version, status: v.v.status, metrics: v.v.metrics, gates: v.v.gates, description: v.v.description, createdAt: v.v.createdAt, createdBy: v.v.createdBy } };
    }
    const [projectId, version] = link.resourceId.split(':');
    const [n] = await ctx.db.select().from(notebooks).where(and(eq(notebooks.projectId, projectId!), eq(notebooks.version, Number(version))));
    const doc = n ? notebookSchema.safeParse(n.doc) : null;
    if (!doc?.success) throw new KilnError('SHARE_LINK_INVALID', 'the shared notebook version no longer exists');
    return { ...base, notebook: { version: n!.version, doc: doc.data } };
  }),
});
