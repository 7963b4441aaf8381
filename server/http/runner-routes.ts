/**
 * The runner protocol (docs/runner-protocol.md): register, claim, heartbeat, events, complete,
 * release and dataset download. Every call is authenticated by a runner token; the attempt
 * token in the body proves which claim a call speaks for.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { runs } from '../db/schema';
import { getDatasets, getGraph } from '../db/catalog';
import { waitForQueuedRun } from '../jobs/queue-signal';
import { appendEvents, claimRun, completeRun, heartbeat, releaseRun, type ClaimedRow } from '../jobs/queue';
import { registerRunner } from '../jobs/runners';
import { readJson } from './body';
import type { ApiContext, RouteContext } from './context';
import { datasetFileResponse } from './dataset-file';
import { formatErrorMessage, KilnError } from '../../lib/errors';
import { errorJson, json } from './errors';

/** The runner the router authenticated (the route's access is `machine('runner')`). */
export function requireRunner(ctx: RouteContext, _req?: Request): { id: string; name: string } {
  const p = ctx.principal;
  if (p?.kind !== 'machine' || p.purpose !== 'runner') throw new KilnError('PERMISSION_DENIED', 'needs a runner machine token');
  return { id: p.id, name: p.name };
}

/**
 * The runner, when it holds the claim on `runId`: an attempt token works only for the runner
 * that claimed the run (a token leaked to another runner is refused).
 */
async function requireHolder(ctx: RouteContext, runId: string): Promise<{ id: string; name: string }> {
  const runner = requireRunner(ctx);
  const [row] = await ctx.db.select({ runnerId: runs.runnerId }).from(runs).where(eq(runs.id, runId));
  // Answered like any stale claim (409), so a runner that lost its lease drops the run as usual.
  if (row?.runnerId && row.runnerId !== runner.id) throw new KilnError('LEASE_LOST', `run ${runId} is claimed by another runner: an attempt token works only for the runner that claimed it`);
  return runner;
}

/** Parses a JSON body against a zod schema; the first issue becomes a one-line 400. */
async function body<T extends z.ZodType>(ctx: ApiContext, req: Request, schema: T): Promise<z.infer<T>> {
  const raw = await readJson(req, ctx.config.maxJsonBytes);
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new KilnError('BAD_REQUEST', `${path || 'body'}: ${i.message}`);
  }
  return r.data;
}

const attemptToken = z.string().regex(/^[0-9a-f]{64}$/, 'must be the attempt token of the claim (64 hex digits)');
const shortText = z.string().max(500);

const registerSchema = z.object({
  name: shortText.optional(),
  backend: shortText.optional(),
  device: shortText.optional(),
  hostname: shortText.optional(),
  concurrency: z.number().int().min(1).max(1024).optional(),
  version: shortText.optional(),
});
const claimSchema = z.object({ backends: z.array(z.string().min(1).max(32)).max(8).optional() });
const heartbeatSchema = z.object({ attemptToken });
const eventsSchema = z.object({
  attemptToken,
  events: z.array(z.object({ seq: z.number().int().min(0).max(2_147_483_647), type: z.string().min(1).max(64), payload: z.unknown() })).max(5000),
});
const completeSchema = z.object({
  attemptToken,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  metrics: z.record(z.string().max(200), z.number().nullable()).optional(),
  gates: z.unknown().optional(),
  backend: shortText.optional(),
  device: shortText.optional(),
  error: z.string().max(10_000).optional(),
});
const releaseSchema = z.object({ attemptToken, reason: z.string().max(2000).default('released by the runner') });

function leaseLost(reason: 'lease_lost' | 'not_found' | 'stale', runId: string): Response {
  if (reason === 'not_found') return errorJson('NOT_FOUND', `no run ${runId}`);
  return errorJson('LEASE_LOST', formatErrorMessage('LEASE_LOST', { runId }));
}

export async function registerHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const runner = await requireRunner(ctx, req);
  const info = await body(ctx, req, registerSchema);
  const row = await registerRunner(ctx.db, runner.id, info);
  if (!row) throw new KilnError('UNAUTHORIZED', 'unknown or revoked runner token');
  return json({ runnerId: runner.id, leaseSeconds: ctx.config.leaseSeconds, heartbeatSeconds: ctx.config.heartbeatSeconds });
}

/** Longest a claim may wait for work (`?wait=SECONDS`): below common proxy idle timeouts. */
const MAX_CLAIM_WAIT_SECONDS = 25;

export async function claimHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const runner = await requireRunner(ctx, req);
  const b = await body(ctx, req, claimSchema);
  // Long poll: with ?wait=N an empty queue is watched for up to N seconds, so an idle runner
  // starts a submitted run within milliseconds instead of at its next poll.
  const waitParam = Number(new URL(req.url).searchParams.get('wait') ?? 0);
  const waitMs = Number.isFinite(waitParam) ? Math.min(Math.max(waitParam, 0), MAX_CLAIM_WAIT_SECONDS) * 1000 : 0;
  const deadline = Date.now() + waitMs;
  // A run whose graph or dataset vanished cannot start: fail it and look for the next one.
  for (let tries = 0; tries < 10; ) {
    const row = await claimRun(ctx.db, { runnerId: runner.id, leaseMs: ctx.config.leaseSeconds * 1000, ...(b.backends ? { backends: b.backends } : {}) });
    if (row) {
      tries++;
      const claimed = await describeClaim(ctx, row);
      if (claimed) return json({ run: claimed });
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0 || req.signal.aborted) break;
    await waitForQueuedRun(Math.min(left, 1000), req.signal);
  }
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

async function describeClaim(ctx: ApiContext, row: ClaimedRow) {
  const graph = await getGraph(ctx.db, row.projectId, row.graphHash);
  const ids = Object.values(row.datasets);
  const found = new Map((await getDatasets(ctx.db, ids)).map((d) => [d.id, d]));
  const missing = !graph ? `graph ${row.graphHash} is no longer stored` : Object.entries(row.datasets).find(([, id]) => !found.has(id));
  if (missing) {
    const why = typeof missing === 'string' ? missing : `dataset version ${missing[1]} for input "${missing[0]}" is no longer stored`;
    await completeRun(ctx.db, { runId: row.id, attemptToken: row.attemptToken, status: 'failed', error: why });
    return null;
  }
  // Keyed by user-chosen input names: no prototype, so `__proto__` is a key like any other.
  const datasets = Object.create(null) as Record<string, { id: string; name: string; hash: string; format: 'csv' | 'json'; bytes: number }>;
  for (const [inputName, id] of Object.entries(row.datasets)) {
    const d = found.get(id)!;
    datasets[inputName] = { id: d.id, name: d.name, hash: d.hash, format: d.format, bytes: d.bytes };
  }
  return {
    id: row.id,
    attempt: row.attempts,
    attemptToken: row.attemptToken,
    leaseExpiresAt: row.leaseExpiresAt.toISOString(),
    // The version the run was queued with: the package's lineage names it even where the runner
    // upgrades old params (a kind's migration) and so would hash the graph differently.
    graphHash: row.graphHash,
    graph: graph!.doc,
    datasets,
    options: row.options,
  };
}

export async function heartbeatHandler(ctx: RouteContext, req: Request, runId: string): Promise<Response> {
  await requireHolder(ctx, runId);
  const b = await body(ctx, req, heartbeatSchema);
  const r = await heartbeat(ctx.db, { runId, attemptToken: b.attemptToken, leaseMs: ctx.config.leaseSeconds * 1000 });
  if (!r.ok) return leaseLost(r.reason, runId);
  return json({ leaseExpiresAt: r.leaseExpiresAt.toISOString(), cancelRequested: r.cancelRequested });
}

export async function eventsHandler(ctx: RouteContext, req: Request, runId: string): Promise<Response> {
  await requireHolder(ctx, runId);
  const b = await body(ctx, req, eventsSchema);
  const r = await appendEvents(ctx.db, { runId, attemptToken: b.attemptToken, events: b.events.map((e) => ({ seq: e.seq, type: e.type, payload: e.payload ?? {} })) });
  if (!r.ok) return leaseLost(r.reason, runId);
  return json({ accepted: r.accepted });
}

export async function completeHandler(ctx: RouteContext, req: Request, runId: string): Promise<Response> {
  await requireHolder(ctx, runId);
  const b = await body(ctx, req, completeSchema);
  const r = await completeRun(ctx.db, {
    runId,
    attemptToken: b.attemptToken,
    status: b.status,
    ...(b.metrics !== undefined ? { metrics: b.metrics } : {}),
    ...(b.gates !== undefined ? { gates: b.gates } : {}),
    ...(b.backend !== undefined ? { backend: b.backend } : {}),
    ...(b.device !== undefined ? { device: b.device } : {}),
    ...(b.error !== undefined ? { error: b.error } : {}),
  });
  if (!r.ok) return leaseLost(r.reason, runId);
  return json({ status: r.status });
}

export async function releaseHandler(ctx: RouteContext, req: Request, runId: string): Promise<Response> {
  await requireHolder(ctx, runId);
  const b = await body(ctx, req, releaseSchema);
  const r = await releaseRun(ctx.db, { runId, attemptToken: b.attemptToken, reason: b.reason });
  if (!r.ok) return leaseLost(r.reason, runId);
  return json({ status: r.status });
}

/** `GET /api/runner/datasets/:id`: the stored file, streamed. */
export async function datasetDownloadHandler(ctx: RouteContext, req: Request, datasetId: string): Promise<Response> {
  await requireRunner(ctx, req);
  return datasetFileResponse(ctx, datasetId, (d) => ({ 'x-kiln-sha256': d.hash, 'cache-control': 'no-store' }));
}
