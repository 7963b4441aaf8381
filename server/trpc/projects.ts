/** Projects: named containers of graphs, datasets and runs. */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { ensureProject, getProject, listProjects } from '../db/catalog';
import { projects } from '../db/schema';
import { publicProcedure, router, TRPCError } from './trpc';

/** Project names: what `?project=` and `kiln submit --project` carry, so URL- and shell-safe. */
export const projectNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'project names use letters, digits, _ . - and start with a letter or digit');

export const projectsRouter = router({
  list: publicProcedure.query(({ ctx }) => listProjects(ctx.db)),

  create: publicProcedure
    .input(z.object({ name: projectNameSchema, description: z.string().max(2000).default('') }))
    .mutation(({ ctx, input }) => ensureProject(ctx.db, input.name, input.description)),

  get: publicProcedure.input(z.union([z.object({ id: z.string().min(1).max(64) }), z.object({ name: projectNameSchema })])).query(async ({ ctx, input }) => {
    const row = 'id' in input ? await getProject(ctx.db, input.id) : ((await ctx.db.select().from(projects).where(eq(projects.name, input.name)))[0] ?? null);
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `no project ${JSON.stringify('id' in input ? input.id : input.name)}` });
    return row;
  }),
});
