/** Projects: named containers of graphs, datasets and runs. */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { parseTable } from '../../lib/data/infer';
import { KilnError } from '../../lib/errors';
import { initGraphFromTable } from '../../lib/graph/templates';
import '../../lib/nodes/catalog';
import { getDataset, getProject, listProjects, saveGraph } from '../db/catalog';
import { createSampleProject, SAMPLES } from '../db/samples';
import { projectMembers, projects } from '../db/schema';
import { findProjectByName, projectNameSchema } from '../http/lookup';
import { access, on, procedure, router } from './trpc';
import { authorize, createProjectFor, mayCreateProjects, projectRoles, type AuthorizeOptions } from '../auth/access';
import type { UserPrincipal } from '../auth/principal';

export { projectNameSchema };

function assertMayCreate(user: UserPrincipal, o: AuthorizeOptions): void {
  if (!mayCreateProjects(user, o)) throw new KilnError('PERMISSION_DENIED', o.projectCreators === 'admins' ? 'needs org admin to create projects (KILN_PROJECT_CREATORS=admins)' : 'needs a token with EDIT scope and no project limit to create projects');
}

async function assertNewName(db: Parameters<typeof findProjectByName>[0], name: string) {
  if (await findProjectByName(db, name)) throw new KilnError('PROJECT_EXISTS', `a project named "${name}" already exists`);
}

export const projectsRouter = router({
  /** The projects the caller can read, with their role there. */
  list: procedure(access.signedIn()).query(async ({ ctx }) => {
    const roles = await projectRoles(ctx.db, ctx.user);
    return (await listProjects(ctx.db)).flatMap((p) => {
      const role = roles === 'all' ? (ctx.user.scope ?? 'MANAGE') : roles.get(p.id);
      return role ? [{ ...p, role }] : [];
    });
  }),

  /** A new project; its creator gets MANAGE on it (`KILN_PROJECT_CREATORS` says who may). */
  create: procedure(access.signedIn())
    .input(z.object({ name: projectNameSchema, description: z.string().max(2000).default('') }))
    .mutation(async ({ ctx, input }) => {
      assertMayCreate(ctx.user, ctx.authOptions);
      if (await findProjectByName(ctx.db, input.name)) {
        // An existing project the caller can read is answered as before (idempotent create); others do not exist for them.
        const a = await authorize(ctx.db, ctx.user, access.need('READ', on.project()), { projectName: input.name }, ctx.authOptions);
        return (await getProject(ctx.db, a.projects[0]!.id))!;
      }
      return createProjectFor(ctx.db, ctx.user, input.name, input.description);
    }),

  get: procedure(access.need('READ', on.project({ self: true }))).input(z.union([z.object({ id: z.string().min(1).max(64) }), z.object({ name: projectNameSchema })])).query(async ({ ctx, input }) => {
    const row = 'id' in input ? await getProject(ctx.db, input.id) : ((await ctx.db.select().from(projects).where(eq(projects.name, input.name)))[0] ?? null);
    if (!row) throw new KilnError('NOT_FOUND', `no project ${JSON.stringify('id' in input ? input.id : input.name)}`);
    return row;
  }),

  /** The samples "New project" offers. */
  samples: procedure(access.signedIn()).query(() => SAMPLES.map(({ id, title, description, dataset, target }) => ({ id, title, description, dataset, target }))),

  /** A new project holding a sample's pipeline (built-in data). */
  createFromSample: procedure(access.signedIn())
    .input(z.object({ name: projectNameSchema, sample: z.enum(SAMPLES.map((s) => s.id) as [string, ...string[]]) }))
    .mutation(async ({ ctx, input }) => {
      assertMayCreate(ctx.user, ctx.authOptions);
      await assertNewName(ctx.db, input.name);
      const p = await createSampleProject(ctx.db, input.sample as (typeof SAMPLES)[number]['id'], input.name);
      await ctx.db.insert(projectMembers).values({ projectId: p.id, userId: ctx.user.id, role: 'MANAGE' }).onConflictDoNothing();
      return { id: p.id, name: p.name, graphHash: p.graphHash };
    }),

  /**
   * The starting pipeline for a dataset uploaded to the project (`PUT /api/datasets`), built as
   * `kiln init` would: the target picks the task, high-cardinality text columns are dropped.
   */
  initFromDataset: procedure(access.need('EDIT', on.project({ self: true }), on.dataset('datasetId')))
    .input(
      z.object({
        name: projectNameSchema,
        datasetId: z.string().min(1).max(64),
        target: z.string().min(1).max(200),
        model: z.enum(['linear', 'mlp']).default('mlp'),
        task: z.enum(['regression', 'classification']).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const project = await findProjectByName(ctx.db, input.name);
      if (!project) throw new KilnError('NOT_FOUND', `no project "${input.name}"`);
      const d = await getDataset(ctx.db, input.datasetId);
      if (!d || d.projectId !== project.id) throw new KilnError('NOT_FOUND', `project "${input.name}" has no dataset version ${input.datasetId}`);
      const bytes = await ctx.store.getBytes(d.storageKey);
      if (!bytes) throw new KilnError('NOT_FOUND', `the file of dataset ${d.name} is missing from the artifact store`);
      // A file or target that does not fit throws a KilnError, answered with its catalog status.
      const table = parseTable({ name: d.name, text: new TextDecoder().decode(bytes), format: d.format });
      const { graph, task } = initGraphFromTable(table, {
        target: input.target,
        model: input.model,
        source: { source: 'input', name: d.name },
        file: d.name,
        ...(input.task ? { task: input.task } : {}),
      });
      const { hash } = await saveGraph(ctx.db, project.id, { ...graph, name: `${d.name}: ${input.target} (${input.model})` });
      return { graphHash: hash, task };
    }),
});
