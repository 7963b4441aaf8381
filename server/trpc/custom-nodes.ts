/**
 * A project's custom node kinds: defined from a notebook cell (or the API), listed in the canvas
 * palette. The code is only compiled here to report syntax errors early; it runs in the browser's
 * run worker or in the runner's sandbox process, never in the server.
 */
import { Script } from 'node:vm';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { customNodeDefSchema, type CustomNodeDef } from '../../lib/nodes/custom-def';
import { customNodeKinds } from '../db/schema';
import { resolveProject } from '../http/lookup';
import { projectNameSchema } from './projects';
import { access, on, procedure, router } from './trpc';

/** Compiles (never runs) the code as the sandbox will: a function expression. Null when it parses. */
export function codeSyntaxError(code: string): string | null {
  try {
    new Script(`(${code}\n)`, { filename: 'custom-node.js' });
    return null;
  } catch (e) {
    const line = /custom-node\.js:(\d+)/.exec(String((e as Error).stack ?? ''))?.[1];
    return `${(e as Error).message}${line ? ` (line ${line})` : ''}`;
  }
}

function issueMessage(error: z.ZodError): string {
  const i = error.issues[0]!;
  return `def.${i.path.join('.') || '(root)'}: ${i.message}`;
}

export const customNodesRouter = router({
  /** The project's custom node kinds, by name. An unknown project has none. */
  list: procedure(access.need('READ', on.project())).input(z.object({ projectName: projectNameSchema })).query(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) return [];
    const rows = await ctx.db.select().from(customNodeKinds).where(eq(customNodeKinds.projectId, project.id)).orderBy(asc(customNodeKinds.name));
    return rows.flatMap((r) => {
      // A row written by an older Kiln that no longer parses is skipped rather than breaking the palette.
      const p = customNodeDefSchema.safeParse(r.def);
      return p.success ? [{ ...p.data, updatedAt: r.updatedAt.toISOString() }] : [];
    });
  }),

  /** Creates or replaces a kind (by name). BAD_REQUEST names the field, or the line of a syntax error. */
  define: procedure(access.need('EDIT', on.project({ create: true }))).input(z.object({ projectName: projectNameSchema, def: z.unknown() })).mutation(async ({ ctx, input }) => {
    const parsed = customNodeDefSchema.safeParse(input.def);
    if (!parsed.success) throw new KilnError('CUSTOM_NODE_INVALID', `custom node: ${issueMessage(parsed.error)}`);
    const def: CustomNodeDef = parsed.data;
    const syntax = codeSyntaxError(def.code);
    if (syntax) throw new KilnError('CUSTOM_NODE_INVALID', `custom node "${def.name}": the code does not parse as a function: ${syntax}`);
    const project = await resolveProject(ctx.db, input, true);
    if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectName}`);
    const now = new Date();
    await ctx.db
      .insert(customNodeKinds)
      .values({ projectId: project.id, name: def.name, def, updatedAt: now })
      .onConflictDoUpdate({ target: [customNodeKinds.projectId, customNodeKinds.name], set: { def, updatedAt: now } });
    return { ...def, updatedAt: now.toISOString() };
  }),

  /** Deletes a kind; graphs that already hold its code keep working (the code travels with the graph). */
  remove: procedure(access.need('EDIT', on.project())).input(z.object({ projectName: projectNameSchema, name: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) return { removed: false };
    const gone = await ctx.db
      .delete(customNodeKinds)
      .where(and(eq(customNodeKinds.projectId, project.id), eq(customNodeKinds.name, input.name)))
      .returning({ name: customNodeKinds.name });
    return { removed: gone.length > 0 };
  }),
});
