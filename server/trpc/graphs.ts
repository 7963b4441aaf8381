/** Graph versions: saved by hash after validation, with the layout kept apart. */
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { validateGraph } from '../../lib/graph/validate';
import '../../lib/nodes/catalog';
import { getGraph, getGraphDraft, listGraphs, putGraphDraft, saveGraph } from '../db/catalog';
import { GRAPH_LIMITS, graphSchema } from '../../lib/graph/schema';
import { resolveProject } from '../http/lookup';
import { projectNameSchema } from './projects';
import { access, graphInvalid, on, procedure, router } from './trpc';

/** `{ projectId }` or `{ projectName }`: every procedure that works in one project takes this. */
export const projectRefSchema = z.object({
  projectId: z.string().min(1).max(64).optional(),
  projectName: projectNameSchema.optional(),
});

export const graphHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a graph hash is 64 lowercase hex digits');

export const graphsRouter = router({
  /** Validates and stores a graph version; returns its hash. Invalid → BAD_REQUEST with every diagnostic. */
  save: procedure(access.need('EDIT', on.project({ create: true }))).input(projectRefSchema.extend({ graph: z.unknown() })).mutation(async ({ ctx, input }) => {
    const v = validateGraph(input.graph);
    if (!v.ok || !v.graph) throw graphInvalid(v.diagnostics);
    const project = await resolveProject(ctx.db, input, true);
    if (!project) throw new KilnError('BAD_REQUEST', 'give projectId or projectName');
    const saved = await saveGraph(ctx.db, project.id, v.graph);
    return { projectId: project.id, ...saved, warnings: v.diagnostics.filter((d) => d.severity === 'warning') };
  }),

  get: procedure(access.need('READ', on.project())).input(z.object({ projectId: z.string().min(1).max(64), hash: graphHashSchema })).query(async ({ ctx, input }) => {
    const g = await getGraph(ctx.db, input.projectId, input.hash);
    if (!g) throw new KilnError('NOT_FOUND', `graph ${input.hash} is not stored in project ${input.projectId}`);
    return g;
  }),

  versions: procedure(access.need('READ', on.project())).input(projectRefSchema.extend({ limit: z.number().int().min(1).max(1000).default(100) })).query(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) return [];
    return listGraphs(ctx.db, project.id, input.limit);
  }),

  /**
   * Stores the studio's working copy, valid or not (only its shape is checked), so unfinished
   * work survives a reload. Not a version: runs never point at drafts.
   */
  putDraft: procedure(access.need('EDIT', on.project())).input(projectRefSchema.extend({ graph: z.unknown() })).mutation(async ({ ctx, input }) => {
    const parsed = graphSchema.safeParse(input.graph);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new KilnError('BAD_REQUEST', `graph.${issue.path.join('.')}: ${issue.message}`);
    }
    if (parsed.data.nodes.length > GRAPH_LIMITS.maxNodes || parsed.data.edges.length > GRAPH_LIMITS.maxEdges) {
      throw new KilnError('GRAPH_TOO_LARGE', `graph too large: at most ${GRAPH_LIMITS.maxNodes} nodes and ${GRAPH_LIMITS.maxEdges} edges`);
    }
    const project = await resolveProject(ctx.db, input, false);
    if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectName ?? input.projectId}`);
    await putGraphDraft(ctx.db, project.id, parsed.data);
    return { ok: true };
  }),

  /**
   * What the studio opens: the working copy if there is one, else the newest version; plus the
   * newest version's hash. `graph` is null for a project with neither.
   */
  current: procedure(access.need('READ', on.project())).input(projectRefSchema).query(async ({ ctx, input }) => {
    const project = await resolveProject(ctx.db, input, false);
    if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectName ?? input.projectId}`);
    const [latest] = await listGraphs(ctx.db, project.id, 1);
    const draft = await getGraphDraft(ctx.db, project.id);
    const stored = latest ? await getGraph(ctx.db, project.id, latest.hash) : null;
    return { projectId: project.id, graph: draft?.doc ?? stored?.graph ?? null, latestHash: latest?.hash ?? null, fromDraft: draft !== null };
  }),
});
