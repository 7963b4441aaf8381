/**
 * Runs: submit (validate → save graph → queue), list, get, cancel, compare, and events — as a
 * page and as a live subscription (server-sent events) that polls the database.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { validateGraph } from '../../lib/graph/validate';
import '../../lib/nodes/catalog';
import { evaluationNodes, verdictNode } from '../../lib/nodes/graph-queries';
import { checkGraphData, checkInputNames } from './submit-checks';
import { getDatasets, getGraph, saveGraph } from '../db/catalog';
import type { Graph } from '../../lib/graph/schema';
import type { Run, RunEvent } from '../db/schema';
import { cancelRun, getRun, getRuns, listArtifacts, listRunEvents, listRuns, recordValidationEvent, submitRun, toPublicRun } from '../jobs/queue';
import { trainingSkew } from '../data/skew';
import { resolveProject } from '../http/lookup';
import { projectRefSchema } from './graphs';
import { access, graphInvalid, on, procedure, router, trpcErrorOf } from './trpc';
import { readableProjectIds } from '../auth/access';

const runIdSchema = z.string().min(1).max(64);
const statusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** How often the live-events subscription looks for new events. */
export const EVENT_POLL_MS = 250;

export const submitInputSchema = projectRefSchema.extend({
  graph: z.unknown(),
  /**
   * input dataset name (a dataset node with source "input") → dataset version id. Read into an
   * object without a prototype: zod's record drops a `__proto__` key, and `in` would find
   * `constructor` on any object.
   */
  datasets: z
    .custom<Record<string, string>>(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).length <= 1000 && Object.entries(v).every(([k, x]) => k.length >= 1 && k.length <= 200 && typeof x === 'string' && x.length >= 1 && x.length <= 64),
      { message: 'expected { "<input name>": "<dataset version id>" } (names of 1 to 200 characters, ids of 1 to 64)' },
    )
    .transform((v) => {
      const out = Object.create(null) as Record<string, string>;
      for (const [k, x] of Object.entries(v)) out[k] = x;
      return out;
    })
    .default({}),
  /**
   * The registered model whose production version's training statistics the run's data is
   * checked against (training/serving skew); default: the model this project last registered a
   * version to that has a production version.
   */
  model: z.string().min(1).max(200).optional(),
  options: z
    .object({
      backend: z.enum(['auto', 'webgpu', 'wasm', 'cpu']).optional(),
      source: z.string().max(200).optional(),
      maxAttempts: z.number().int().min(1).max(100).optional(),
      priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    })
    .default({}),
});

type Scalar = string | number | boolean | null;

/** A graph's scalar params flattened as `nodeId.param` (arrays of scalars joined), for comparison tables. */
export function flattenParams(graph: Graph): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const n of graph.nodes) {
    for (const [k, v] of Object.entries(n.params ?? {})) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[`${n.id}.${k}`] = v as Scalar;
      else if (Array.isArray(v) && v.length <= 50 && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) out[`${n.id}.${k}`] = v.join(', ');
    }
  }
  return out;
}

function publicEvent(e: RunEvent) {
  return { id: e.id, attempt: e.attempt, seq: e.seq, type: e.type, payload: e.payload, createdAt: e.createdAt };
}

export const runsRouter = router({
  /**
   * Validates the graph (an invalid one is a BAD_REQUEST with every diagnostic and is never
   * queued), checks that every input dataset of the graph is given a stored dataset version,
   * saves the graph version and queues the run.
   */
  submit: procedure(access.need('EDIT', on.project({ create: true }))).input(submitInputSchema).mutation(async ({ ctx, input }) => {
    const v = validateGraph(input.graph);
    if (!v.ok || !v.graph) throw graphInvalid(v.diagnostics);
    const graph = v.graph;
    if (input.projectId === undefined && input.projectName === undefined) throw new KilnError('BAD_REQUEST', 'give projectId or projectName');
    checkInputNames(graph, input.datasets);
    const project = await resolveProject(ctx.db, input, input.projectId === undefined);
    if (!project) throw new KilnError('NOT_FOUND', `no project ${input.projectId}`);
    // Checked before the graph is saved, so a submit that cannot run leaves nothing behind.
    const ids = Object.values(input.datasets);
    const found = new Map((await getDatasets(ctx.db, ids)).filter((d) => d.projectId === project.id).map((d) => [d.id, d]));
    for (const [name, id] of Object.entries(input.datasets)) {
      if (!found.has(id)) throw new KilnError('BAD_REQUEST', `datasets.${name}: dataset version ${id} is not stored in project "${project.name}"`);
    }
    // Built-in names, targets and declared columns: refused now rather than on a runner.
    const byInput = new Map(Object.entries(input.datasets).map(([name, id]) => [name, found.get(id)!]));
    await checkGraphData(graph, byInput);
    // Training/serving skew against the model in production: reported, or refused when the setting says so.
    // A model named that has no production version is the caller's mistake; any other failure to
    // compare (a stored sketch that no longer reads) must not stop the run: it is logged instead.
    const skew = await trainingSkew(ctx.db, ctx.store, project.id, byInput, input.model).catch((e: unknown) => {
      if (e instanceof KilnError && e.code === 'NOT_FOUND') throw e;
      console.error(`kiln server: training/serving skew of a run in project "${project.name}" not computed: ${(e as Error)?.message ?? String(e)}`);
      return null;
    });
    if (skew && skew.anomalies.length > 0 && ctx.config.skewBlocksRuns) {
      throw new KilnError('TRAINING_SKEW', `run refused: ${skew.anomalies.length} anomal${skew.anomalies.length === 1 ? 'y' : 'ies'} of input "${skew.input}" against ${skew.model} v${skew.version} (production) training data (${skew.anomalies[0]!.message}); KILN_SKEW_BLOCKS_RUNS is on`, { param: 'datasets' }, { extra: { skew } });
    }
    const { hash } = await saveGraph(ctx.db, project.id, graph);
    const { maxAttempts, priority, ...options } = input.options;
    const run = await submitRun(ctx.db, {
      projectId: project.id,
      graphHash: hash,
      // drizzle cannot take an object without a prototype; JSON.parse keeps `__proto__` an own key.
      datasets: JSON.parse(JSON.stringify(input.datasets)) as Record<string, string>,
      options,
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
      ...(priority !== undefined ? { priority } : {}),
      submittedBy: ctx.user.email,
    });
    if (skew) await recordValidationEvent(ctx.db, run.id, skew);
    return { runId: run.id, projectId: project.id, graphHash: hash, status: run.status, warnings: v.diagnostics.filter((d) => d.severity === 'warning'), skew };
  }),

  /** Runs of one project, or of every project the caller can read. */
  list: procedure(access.need('READ', on.project({ optional: true })))
    .input(projectRefSchema.extend({ status: z.union([statusSchema, z.array(statusSchema).max(5)]).optional(), limit: z.number().int().min(1).max(1000).default(100) }))
    .query(async ({ ctx, input }) => {
      let scope: { projectId: string } | { projectIds: string[] } | object = {};
      if (input.projectId !== undefined || input.projectName !== undefined) {
        const project = await resolveProject(ctx.db, input, false);
        if (!project) return [];
        scope = { projectId: project.id };
      } else {
        const readable = await readableProjectIds(ctx.db, ctx.user);
        if (readable !== 'all') scope = { projectIds: readable };
      }
      const rows = await listRuns(ctx.db, { ...scope, ...(input.status !== undefined ? { status: input.status } : {}), limit: input.limit });
      return rows.map(toPublicRun);
    }),

  get: procedure(access.need('READ', on.run())).input(z.object({ id: runIdSchema })).query(async ({ ctx, input }) => {
    const run = await getRun(ctx.db, input.id);
    if (!run) throw new KilnError('NOT_FOUND', `no run ${input.id}`);
    const artifacts = await listArtifacts(ctx.db, run.id);
    // Which evaluation node the recorded metrics and gates came from: the rule is a function of the graph version.
    const stored = await getGraph(ctx.db, run.projectId, run.graphHash);
    const verdict = stored ? verdictNode(stored.doc) : undefined;
    return {
      ...toPublicRun(run),
      verdict: verdict ? { nodeId: verdict.id, kind: verdict.kind, evaluations: evaluationNodes(stored!.doc).length } : null,
      artifacts: artifacts.map((a) => ({ id: a.id, kind: a.kind, bytes: a.bytes, sha256: a.sha256, attempt: a.attempt, createdAt: a.createdAt, url: `/api/runs/${run.id}/artifacts/${a.kind}` })),
    };
  }),

  cancel: procedure(access.need('EDIT', on.run())).input(z.object({ id: runIdSchema })).mutation(async ({ ctx, input }) => {
    const run = await cancelRun(ctx.db, input.id);
    if (!run) throw new KilnError('NOT_FOUND', `no run ${input.id}`);
    return { id: run.id, status: run.status, cancelRequested: run.cancelRequested };
  }),

  /** A table of runs side by side: status, scalar params (`nodeId.param`) and metrics; `differs` lists the params that vary. */
  compare: procedure(access.need('READ', on.run('ids'))).input(z.object({ ids: z.array(runIdSchema).min(1).max(50) })).query(async ({ ctx, input }) => {
    const found = new Map((await getRuns(ctx.db, input.ids)).map((r) => [r.id, r]));
    const missing = input.ids.filter((id) => !found.has(id));
    if (missing.length) throw new KilnError('NOT_FOUND', `no run ${missing[0]}`);
    const graphCache = new Map<string, Record<string, Scalar>>();
    const rows: { id: string; status: Run['status']; graphHash: string; backend: string | null; device: string | null; params: Record<string, Scalar>; metrics: Record<string, number | null> }[] = [];
    for (const id of input.ids) {
      const run = found.get(id) as Run;
      const gk = `${run.projectId}/${run.graphHash}`;
      if (!graphCache.has(gk)) {
        const g = await getGraph(ctx.db, run.projectId, run.graphHash);
        graphCache.set(gk, g ? flattenParams(g.doc) : {});
      }
      rows.push({ id, status: run.status, graphHash: run.graphHash, backend: run.backend, device: run.device, params: graphCache.get(gk)!, metrics: run.metrics ?? {} });
    }
    const paramKeys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
    const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
    const differs = paramKeys.filter((k) => new Set(rows.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1);
    return { runs: rows, paramKeys, metricKeys, differs };
  }),

  /** A page of events after the cursor `afterId` (event ids grow in arrival order). */
  events: procedure(access.need('READ', on.run('runId')))
    .input(z.object({ runId: runIdSchema, afterId: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(5000).default(1000) }))
    .query(async ({ ctx, input }) => {
      const events = await listRunEvents(ctx.db, input.runId, { afterId: input.afterId, limit: input.limit });
      return { events: events.map(publicEvent), nextAfterId: events.length ? events[events.length - 1]!.id : input.afterId };
    }),

  /**
   * Live events of a run (server-sent events), each tracked by its id so a reconnecting client
   * resumes where it left off. Ends once the run is finished and every event has been sent.
   */
  onEvents: procedure(access.need('READ', on.run('runId')))
    .input(z.object({ runId: runIdSchema, afterId: z.number().int().min(0).optional(), lastEventId: z.string().regex(/^\d+$/).nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      let after = input.lastEventId ? Number(input.lastEventId) : (input.afterId ?? 0);
      while (!signal?.aborted) {
        // Status first: events recorded before the run finished are then surely in the page below.
        const run = await getRun(ctx.db, input.runId);
        // Thrown inside the stream, past the middleware: converted here.
        if (!run) throw trpcErrorOf(new KilnError('NOT_FOUND', `no run ${input.runId}`));
        for (;;) {
          const page = await listRunEvents(ctx.db, input.runId, { afterId: after, limit: 500 });
          for (const e of page) {
            after = e.id;
            yield tracked(String(e.id), { ...publicEvent(e), runStatus: run.status });
          }
          if (page.length < 500) break;
        }
        if (FINAL.has(run.status)) return;
        await sleep(EVENT_POLL_MS, undefined, signal ? { signal } : undefined).catch(() => undefined);
      }
    }),
});
