/**
 * The run queue: every state transition of a run (queued → running → succeeded | failed |
 * cancelled) as one SQL statement or one transaction, so several server processes may share one
 * PostgreSQL. Time is always the database's `now()`, never a server clock.
 *
 * A claim hands out an attempt token; every later call about that attempt must carry it. When the
 * lease expires the reaper clears the token, so a runner that lost its lease is answered
 * `lease_lost` / `stale` and cannot overwrite the result of the attempt that replaced it. A
 * finished run keeps its token so that a repeated `completeRun` from the same attempt is
 * recognised and answered as before (idempotent completion).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import type { Db } from '../db/client';
import { notifyRunQueued } from './queue-signal';
import { artifacts, datasets, graphs, runEvents, runners, runs, type Artifact, type Run, type RunEvent } from '../db/schema';

export * from '../db/catalog';
export * from './runners';

export type RunStatus = Run['status'];
export type FinalRunStatus = 'succeeded' | 'failed' | 'cancelled';
/** A run as returned by `claimRun`: running, with the new attempt's token and lease. */
export type ClaimedRow = Run & { status: 'running'; attemptToken: string; leaseExpiresAt: Date; runnerId: string };
/** A run without its attempt token: what may be shown to users. */
export type PublicRun = Omit<Run, 'attemptToken'>;

export const DEFAULT_MAX_ATTEMPTS = 3;

/** `now() + leaseMs`, computed by the database. */
function leaseUntil(leaseMs: number): SQL {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new KilnError('QUEUE_BAD_LEASE', `lease must be a positive number of milliseconds, got ${leaseMs}`);
  return sql`now() + (${Math.round(leaseMs)}::integer * interval '1 millisecond')`;
}

/** A new attempt token: 32 random bytes, hex. */
function newAttemptToken(): string {
  return randomBytes(32).toString('hex');
}

/** Strips the attempt token (a secret of the runner holding the run). */
export function toPublicRun(run: Run): PublicRun {
  const { attemptToken: _token, ...rest } = run;
  return rest;
}

export interface SubmitRunInput {
  projectId: string;
  graphHash: string;
  /** input dataset name → dataset version id */
  datasets: Record<string, string>;
  options?: { backend?: string; source?: string };
  maxAttempts?: number;
  /** higher is claimed first (default 0) */
  priority?: number;
  /** who submitted it */
  submittedBy?: string | null;
}

/**
 * Queues a run of a stored graph version on stored dataset versions. Throws `KilnError`
 * (`RUN_GRAPH_NOT_FOUND`, `RUN_DATASET_NOT_FOUND`, `RUN_BAD_OPTION`) when they do not exist in
 * the project, so a run that could never start is never queued.
 */
export async function submitRun(db: Db, input: SubmitRunInput): Promise<Run> {
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new KilnError('RUN_BAD_OPTION', `maxAttempts must be an integer from 1 to 100, got ${maxAttempts}`, { param: 'maxAttempts' });
  }
  const priority = input.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) {
    throw new KilnError('RUN_BAD_OPTION', `priority must be an integer within ±1000000, got ${priority}`, { param: 'priority' });
  }
  const [graph] = await db
    .select({ hash: graphs.hash })
    .from(graphs)
    .where(and(eq(graphs.projectId, input.projectId), eq(graphs.hash, input.graphHash)));
  if (!graph) throw new KilnError('RUN_GRAPH_NOT_FOUND', `graph ${input.graphHash} is not stored in this project`, { path: 'graphHash' });
  const ids = [...new Set(Object.values(input.datasets))];
  const found = ids.length
    ? await db
        .select({ id: datasets.id })
        .from(datasets)
        .where(and(eq(datasets.projectId, input.projectId), inArray(datasets.id, ids)))
    : [];
  const have = new Set(found.map((d) => d.id));
  for (const [inputName, id] of Object.entries(input.datasets)) {
    if (!have.has(id)) throw new KilnError('RUN_DATASET_NOT_FOUND', `dataset version ${id} for input "${inputName}" is not stored in this project`, { path: `datasets.${inputName}` });
  }
  const [run] = await db
    .insert(runs)
    .values({
      id: randomUUID(),
      projectId: input.projectId,
      graphHash: input.graphHash,
      datasets: input.datasets,
      options: input.options ?? {},
      maxAttempts,
      priority,
      submittedBy: input.submittedBy ?? null,
    })
    .returning();
  if (!run) throw new Error('inserting a run returned no row');
  notifyRunQueued();
  return run;
}

/**
 * Records the data validation done before a run trains (training/serving skew) as the run's
 * first event: attempt 0, seq 0, type `validation`, so every attempt's page shows it.
 */
export async function recordValidationEvent(db: Db, runId: string, payload: unknown): Promise<void> {
  await db.insert(runEvents).values({ runId, attempt: 0, seq: 0, type: 'validation', payload }).onConflictDoNothing({ target: [runEvents.runId, runEvents.attempt, runEvents.seq] });
}

/**
 * Claims the next queued run (highest priority, then oldest) for a runner, or returns null when
 * none is waiting. `FOR UPDATE SKIP LOCKED` lets concurrent claimers pass over each other's row
 * instead of waiting or both taking it. With `backends`, runs that asked for a specific backend
 * the runner lacks are skipped (runs asking for 'auto' or nothing match every runner).
 */
export async function claimRun(db: Db, opts: { runnerId: string; leaseMs: number; backends?: string[] }): Promise<ClaimedRow | null> {
  const backendFilter = opts.backends?.length
    ? sql`AND (coalesce(q.options->>'backend', 'auto') = 'auto' OR q.options->>'backend' IN (${sql.join(
        opts.backends.map((b) => sql`${b}`),
        sql`, `,
      )}))`
    : sql``;
  const [row] = await db
    .update(runs)
    .set({
      status: 'running',
      attempts: sql`${runs.attempts} + 1`,
      attemptToken: newAttemptToken(),
      runnerId: opts.runnerId,
      leaseExpiresAt: leaseUntil(opts.leaseMs),
      startedAt: sql`coalesce(${runs.startedAt}, now())`,
      // What the claiming runner registered with, so a running run already shows where it trains
      // (completion records what the run really used).
      backend: sql`coalesce((SELECT r.info->>'backend' FROM runners r WHERE r.id = ${opts.runnerId}), ${runs.backend})`,
      device: sql`coalesce((SELECT r.info->>'device' FROM runners r WHERE r.id = ${opts.runnerId}), ${runs.device})`,
    })
    .where(
      and(
        eq(runs.status, 'queued'),
        sql`${runs.id} = (SELECT q.id FROM runs q WHERE q.status = 'queued' AND NOT q.cancel_requested ${backendFilter}
          ORDER BY q.priority DESC, q.queued_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED)`,
      ),
    )
    .returning();
  if (!row) return null;
  await db.update(runners).set({ lastHeartbeatAt: sql`now()` }).where(eq(runners.id, opts.runnerId));
  return row as ClaimedRow;
}

export type LeaseLost = { ok: false; reason: 'lease_lost' | 'not_found' };

/** Why a token no longer holds a run: the run is gone, or the token is not (or no longer) its holder. */
async function whyNotHeld(db: Db, runId: string): Promise<LeaseLost> {
  const [row] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, runId));
  return { ok: false, reason: row ? 'lease_lost' : 'not_found' };
}

/**
 * Renews the lease of a running attempt. Answers whether a cancel was requested, so the runner
 * learns of it within one heartbeat. Also marks the runner alive.
 */
export async function heartbeat(
  db: Db,
  opts: { runId: string; attemptToken: string; leaseMs: number },
): Promise<{ ok: true; leaseExpiresAt: Date; cancelRequested: boolean } | LeaseLost> {
  const [row] = await db
    .update(runs)
    .set({ leaseExpiresAt: leaseUntil(opts.leaseMs) })
    .where(and(eq(runs.id, opts.runId), eq(runs.attemptToken, opts.attemptToken), eq(runs.status, 'running')))
    .returning({ leaseExpiresAt: runs.leaseExpiresAt, cancelRequested: runs.cancelRequested, runnerId: runs.runnerId });
  if (!row || !row.leaseExpiresAt) return whyNotHeld(db, opts.runId);
  if (row.runnerId) await db.update(runners).set({ lastHeartbeatAt: sql`now()` }).where(eq(runners.id, row.runnerId));
  return { ok: true, leaseExpiresAt: row.leaseExpiresAt, cancelRequested: row.cancelRequested };
}

/** One event as sent by a runner; `seq` orders events within an attempt. */
export interface RunEventInput {
  seq: number;
  type: string;
  payload: unknown;
}

/**
 * The attempt a token holds on a running run, share-locked for the rest of the transaction (so
 * a reaper or completion cannot take the run meanwhile), or null when the token holds nothing.
 */
async function heldAttempt(tx: Parameters<Parameters<Db['transaction']>[0]>[0], runId: string, attemptToken: string): Promise<{ attempt: number } | null> {
  const [held] = await tx
    .select({ attempt: runs.attempts })
    .from(runs)
    .where(and(eq(runs.id, runId), eq(runs.attemptToken, attemptToken), eq(runs.status, 'running')))
    .for('share');
  return held ?? null;
}

/**
 * Appends events of the attempt the token holds. Events already stored for the same
 * (run, attempt, seq) are skipped, so a re-sent batch is harmless; `accepted` counts new ones.
 * The run row is share-locked meanwhile, so the lease cannot be reaped halfway through a batch.
 */
export async function appendEvents(
  db: Db,
  opts: { runId: string; attemptToken: string; events: RunEventInput[] },
): Promise<{ ok: true; accepted: number } | LeaseLost> {
  for (const [i, e] of opts.events.entries()) {
    if (!Number.isInteger(e.seq) || e.seq < 0 || e.seq > 2_147_483_647) {
      throw new KilnError('RUN_EVENT_INVALID', `events[${i}].seq must be a non-negative 32-bit integer, got ${e.seq}`, { path: `events[${i}].seq` });
    }
    if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 64) {
      throw new KilnError('RUN_EVENT_INVALID', `events[${i}].type must be a string of 1 to 64 characters`, { path: `events[${i}].type` });
    }
  }
  const result = await db.transaction(async (tx) => {
    const held = await heldAttempt(tx, opts.runId, opts.attemptToken);
    if (!held) return null;
    if (opts.events.length === 0) return 0;
    const inserted = await tx
      .insert(runEvents)
      .values(opts.events.map((e) => ({ runId: opts.runId, attempt: held.attempt, seq: e.seq, type: e.type, payload: e.payload ?? {} })))
      .onConflictDoNothing({ target: [runEvents.runId, runEvents.attempt, runEvents.seq] })
      .returning({ id: runEvents.id });
    return inserted.length;
  });
  return result === null ? whyNotHeld(db, opts.runId) : { ok: true, accepted: result };
}

/**
 * Records (or replaces) the artifact of one kind for the attempt the token holds: one row per
 * (run, kind), so a retried upload or a later attempt never duplicates it.
 */
export async function recordArtifact(
  db: Db,
  opts: { runId: string; attemptToken: string; kind: string; storageKey: string; bytes: number; sha256: string },
): Promise<{ ok: true; artifact: Artifact } | LeaseLost> {
  const artifact = await db.transaction(async (tx) => {
    const held = await heldAttempt(tx, opts.runId, opts.attemptToken);
    if (!held) return null;
    const values = { storageKey: opts.storageKey, bytes: opts.bytes, sha256: opts.sha256, attempt: held.attempt };
    const [row] = await tx
      .insert(artifacts)
      .values({ id: randomUUID(), runId: opts.runId, kind: opts.kind, ...values })
      .onConflictDoUpdate({ target: [artifacts.runId, artifacts.kind], set: { ...values, createdAt: sql`now()` } })
      .returning();
    return row ?? null;
  });
  return artifact ? { ok: true, artifact } : whyNotHeld(db, opts.runId);
}

export interface CompleteRunInput {
  runId: string;
  attemptToken: string;
  status: FinalRunStatus;
  metrics?: Record<string, number | null>;
  gates?: unknown;
  backend?: string;
  device?: string;
  error?: string;
}

/**
 * Finishes the attempt the token holds. Repeating the call with the same token after it
 * succeeded answers `ok` with the status already recorded (nothing changes); any other token —
 * a runner whose lease expired and whose run went to another runner — gets `stale`.
 */
export async function completeRun(
  db: Db,
  input: CompleteRunInput,
): Promise<{ ok: true; status: FinalRunStatus } | { ok: false; reason: 'stale' | 'not_found' }> {
  const [row] = await db
    .update(runs)
    .set({
      status: input.status,
      metrics: input.metrics ?? null,
      gates: input.gates ?? null,
      backend: input.backend ?? null,
      device: input.device ?? null,
      error: input.error ?? null,
      finishedAt: sql`now()`,
      leaseExpiresAt: null,
    })
    .where(and(eq(runs.id, input.runId), eq(runs.attemptToken, input.attemptToken), eq(runs.status, 'running')))
    .returning({ status: runs.status });
  if (row) return { ok: true, status: row.status as FinalRunStatus };
  // Not running under this token: either this very attempt already finished it (a retried
  // request whose first answer was lost), or the token is stale. Tokens are never reused, so
  // the check after the failed update cannot be confused by a later attempt.
  const [current] = await db.select({ status: runs.status, attemptToken: runs.attemptToken }).from(runs).where(eq(runs.id, input.runId));
  if (!current) return { ok: false, reason: 'not_found' };
  if (current.attemptToken === input.attemptToken && current.status !== 'running' && current.status !== 'queued') {
    return { ok: true, status: current.status };
  }
  return { ok: false, reason: 'stale' };
}

/**
 * Hands a running attempt back to the queue without using up an attempt (a runner shutting down
 * on SIGTERM). A run whose cancel was requested meanwhile is cancelled instead.
 */
export async function releaseRun(
  db: Db,
  opts: { runId: string; attemptToken: string; reason: string },
): Promise<{ ok: true; status: 'queued' | 'cancelled' } | LeaseLost> {
  const row = await db.transaction(async (tx) => {
    const [r] = await tx
      .update(runs)
      .set({
        status: sql`(CASE WHEN ${runs.cancelRequested} THEN 'cancelled' ELSE 'queued' END)::run_status`,
        attempts: sql`CASE WHEN ${runs.cancelRequested} THEN ${runs.attempts} ELSE greatest(${runs.attempts} - 1, 0) END`,
        finishedAt: sql`CASE WHEN ${runs.cancelRequested} THEN now() ELSE NULL END`,
        attemptToken: null,
        runnerId: null,
        leaseExpiresAt: null,
        lastAttemptError: opts.reason.slice(0, 2000),
      })
      .where(and(eq(runs.id, opts.runId), eq(runs.attemptToken, opts.attemptToken), eq(runs.status, 'running')))
      .returning({ status: runs.status, attempts: runs.attempts });
    // The handed-back attempt's number is reused by the next claim: drop its events so the
    // next holder's stream (seq from 1 again) is not mixed with a discarded training.
    if (r?.status === 'queued') await tx.delete(runEvents).where(and(eq(runEvents.runId, opts.runId), eq(runEvents.attempt, r.attempts + 1)));
    return r;
  });
  if (!row) return whyNotHeld(db, opts.runId);
  if (row.status === 'queued') notifyRunQueued();
  return { ok: true, status: row.status as 'queued' | 'cancelled' };
}

/**
 * Cancels a run: a queued run is cancelled at once; a running one gets `cancel_requested`, which
 * its runner sees in the next heartbeat answer (it then completes with 'cancelled'). A finished
 * run is left as it is. Returns the run as it now stands, or null when there is no such run.
 */
export async function cancelRun(db: Db, runId: string): Promise<Run | null> {
  const [row] = await db
    .update(runs)
    .set({
      status: sql`(CASE WHEN ${runs.status} = 'queued' THEN 'cancelled' ELSE ${runs.status}::text END)::run_status`,
      cancelRequested: sql`${runs.cancelRequested} OR ${runs.status} = 'running'`,
      finishedAt: sql`CASE WHEN ${runs.status} = 'queued' THEN now() ELSE ${runs.finishedAt} END`,
    })
    .where(and(eq(runs.id, runId), inArray(runs.status, ['queued', 'running'])))
    .returning();
  if (row) return row;
  return getRun(db, runId);
}

/**
 * Takes back every running run whose lease has expired: back to the queue while attempts remain,
 * otherwise failed with the reason (cancelled when a cancel was pending). The attempt token is
 * cleared, so whatever the old holder still sends is stale. Safe to run from several servers at
 * once: the row lock and the re-checked WHERE let each run be reaped once.
 */
export async function reapExpiredLeases(db: Db): Promise<{ requeued: string[]; failed: string[]; cancelled: string[] }> {
  const reason = sql`'lease expired (runner ' || coalesce(${runs.runnerId}, 'unknown') || ' stopped heartbeating)'`;
  const exhausted = sql`${runs.attempts} >= ${runs.maxAttempts}`;
  const rows = await db
    .update(runs)
    .set({
      status: sql`(CASE WHEN ${runs.cancelRequested} THEN 'cancelled' WHEN ${exhausted} THEN 'failed' ELSE 'queued' END)::run_status`,
      error: sql`CASE WHEN ${runs.cancelRequested} THEN ${runs.error}
        WHEN ${exhausted} THEN 'failed after ' || ${runs.attempts} || ' attempts: ' || ${reason}
        ELSE ${runs.error} END`,
      lastAttemptError: reason,
      finishedAt: sql`CASE WHEN ${runs.cancelRequested} OR ${exhausted} THEN now() ELSE NULL END`,
      runnerId: sql`CASE WHEN ${runs.cancelRequested} OR ${exhausted} THEN ${runs.runnerId} ELSE NULL END`,
      attemptToken: null,
      leaseExpiresAt: null,
    })
    .where(and(eq(runs.status, 'running'), sql`${runs.leaseExpiresAt} < now()`))
    .returning({ id: runs.id, status: runs.status });
  const out = { requeued: [] as string[], failed: [] as string[], cancelled: [] as string[] };
  for (const r of rows) {
    if (r.status === 'queued') out.requeued.push(r.id);
    else if (r.status === 'failed') out.failed.push(r.id);
    else out.cancelled.push(r.id);
  }
  if (out.requeued.length) notifyRunQueued();
  return out;
}

/** The run with this id, or null. */
export async function getRun(db: Db, runId: string): Promise<Run | null> {
  const [row] = await db.select().from(runs).where(eq(runs.id, runId));
  return row ?? null;
}

/** The runs with these ids (for comparison views; missing ids are absent). */
export function getRuns(db: Db, ids: string[]): Promise<Run[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(runs).where(inArray(runs.id, ids));
}

/** Runs, newest first, optionally of one project and/or in some statuses. */
export function listRuns(db: Db, opts: { projectId?: string; projectIds?: string[]; status?: RunStatus | RunStatus[]; limit: number }): Promise<Run[]> {
  const conds: SQL[] = [];
  if (opts.projectId !== undefined) conds.push(eq(runs.projectId, opts.projectId));
  if (opts.projectIds !== undefined) conds.push(inArray(runs.projectId, opts.projectIds.length ? opts.projectIds : ['']));
  if (opts.status !== undefined) conds.push(inArray(runs.status, Array.isArray(opts.status) ? opts.status : [opts.status]));
  return db
    .select()
    .from(runs)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(opts.limit);
}

/** How many runs are in each status (statuses with none are 0). */
export async function countRunsByStatus(db: Db, projectId?: string): Promise<Record<RunStatus, number>> {
  const rows = await db
    .select({ status: runs.status, n: sql<number>`count(*)::integer` })
    .from(runs)
    .where(projectId === undefined ? undefined : eq(runs.projectId, projectId))
    .groupBy(runs.status);
  const out: Record<RunStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

/**
 * A run's events in arrival order (`id`), after the cursor `afterId` for live tails. Within one
 * attempt a runner sends events in `seq` order; `attempt` tells retried attempts apart.
 */
export function listRunEvents(db: Db, runId: string, opts: { afterId?: number; limit?: number; attempt?: number } = {}): Promise<RunEvent[]> {
  const conds: SQL[] = [eq(runEvents.runId, runId)];
  if (opts.afterId !== undefined) conds.push(gt(runEvents.id, opts.afterId));
  if (opts.attempt !== undefined) conds.push(eq(runEvents.attempt, opts.attempt));
  return db
    .select()
    .from(runEvents)
    .where(and(...conds))
    .orderBy(asc(runEvents.id))
    .limit(opts.limit ?? 1000);
}

/** A run's artifacts, by kind. */
export function listArtifacts(db: Db, runId: string): Promise<Artifact[]> {
  return db.select().from(artifacts).where(eq(artifacts.runId, runId)).orderBy(asc(artifacts.kind));
}

/** The artifact of one kind of a run (e.g. 'model'), or null. */
export async function getArtifact(db: Db, runId: string, kind: string): Promise<Artifact | null> {
  const [row] = await db
    .select()
    .from(artifacts)
    .where(and(eq(artifacts.runId, runId), eq(artifacts.kind, kind)));
  return row ?? null;
}
