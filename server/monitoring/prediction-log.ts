/**
 * The prediction log in the database: batches from serving stored idempotently (a retried batch
 * inserts nothing twice), feedback joined to logged predictions by id, per-endpoint settings
 * (sampling rate, retention), and the retention prune the maintenance loop runs.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { DRIFT_METHODS, driftOptionsSchema, type DriftOptions } from '../../lib/sketch/drift';
import { ANOMALY_CODES } from '../../lib/sketch/anomalies';
import type { Db } from '../db/client';
import { endpoints, predictionFeedback, predictions } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { bumpServingRevision } from '../registry/serving-revision';
import { mergeIntoRollup, pairKey, pruneRollup, retentionCutoff, rollupSchemas, type RollupSchema } from './rollup';
import { UNKNOWN_IDS_SHOWN, type FeedbackItem, type FeedbackResult, type PredictionBatchResult, type PredictionRecord } from '../serving/log-protocol';

/** Rows per INSERT: 9 parameters each stays far under Postgres's 65,535. */
const INSERT_CHUNK = 1000;

/**
 * Stores a batch of logged predictions. Records of endpoints that no longer exist are counted
 * and dropped (serving may still hold a deleted endpoint's records); an (endpoint, id) already
 * stored is a duplicate, not an error.
 *
 * With the artifact store (the control plane's route passes it), the rows actually inserted are
 * rolled up per endpoint, version and hour (./rollup.ts) in the same transaction, so a batch is
 * either stored and counted or neither, and a retried batch counts nothing twice. Rows whose
 * version's package cannot be read (or without a store) are stored with `rolled_up` false and
 * read raw by the report.
 */
export async function ingestPredictions(db: Db, records: readonly PredictionRecord[], opts: { store?: ArtifactStore } = {}): Promise<PredictionBatchResult> {
  const names = [...new Set(records.map((r) => r.endpoint))];
  const ids = new Map<string, string>();
  if (names.length) for (const e of await db.select({ id: endpoints.id, name: endpoints.name }).from(endpoints).where(inArray(endpoints.name, names))) ids.set(e.name, e.id);
  const rows: (typeof predictions.$inferInsert & { endpointId: string; time: Date; version: number })[] = [];
  let unknownEndpoint = 0;
  for (const r of records) {
    const endpointId = ids.get(r.endpoint);
    if (!endpointId) {
      unknownEndpoint++;
      continue;
    }
    rows.push({
      endpointId,
      predictionId: r.id,
      version: r.version,
      time: new Date(r.time),
      inputs: r.inputs ?? null,
      outputs: r.outputs ?? null,
      latencyMs: r.latencyMs,
      anomalies: r.anomalies ?? [],
    });
  }
  const pairs = new Map(rows.map((r) => [pairKey(r.endpointId, r.version), { endpointId: r.endpointId, version: r.version }]));
  const schemas = opts.store ? await rollupSchemas(db, opts.store, [...pairs.values()]) : new Map<string, RollupSchema | null>();
  for (const r of rows) r.rolledUp = !!schemas.get(pairKey(r.endpointId, r.version));
  // One order for every ingest: two concurrent batches sharing ids wait on each other's rows in
  // the same order instead of deadlocking.
  rows.sort((a, b) => (a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : a.predictionId < b.predictionId ? -1 : a.predictionId > b.predictionId ? 1 : 0));
  const accepted = await db.transaction(async (tx) => {
    const stored = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const done = await tx
        .insert(predictions)
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflictDoNothing({ target: [predictions.endpointId, predictions.predictionId] })
        .returning({ endpointId: predictions.endpointId, predictionId: predictions.predictionId });
      for (const d of done) stored.add(`${d.endpointId}\u0000${d.predictionId}`);
    }
    const fresh = [];
    for (const r of rows) {
      const schema = schemas.get(pairKey(r.endpointId, r.version));
      if (schema && stored.has(`${r.endpointId}\u0000${r.predictionId}`)) fresh.push({ ...r, anomalies: r.anomalies ?? [], schema });
    }
    await mergeIntoRollup(tx as unknown as Db, fresh);
    return stored.size;
  });
  return { accepted, duplicates: rows.length - accepted, unknownEndpoint };
}

/**
 * Stores actual outcomes for logged predictions of `endpointName`; a later post for the same id
 * replaces the earlier one (the last item wins within a post too). Ids with no logged prediction
 * are counted and the first few listed, never silently dropped.
 * @throws KilnError `ENDPOINT_NOT_FOUND`
 */
export async function recordFeedback(db: Db, endpointName: string, items: readonly FeedbackItem[]): Promise<FeedbackResult> {
  const [ep] = await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.name, endpointName));
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${endpointName}"`, { param: 'endpoint' });
  const last = new Map<string, FeedbackItem['actual']>();
  for (const f of items) last.set(f.id, f.actual);
  const wanted = [...last.keys()];
  const rowOf = new Map<string, number>();
  for (let i = 0; i < wanted.length; i += INSERT_CHUNK) {
    const found = await db
      .select({ row: predictions.id, id: predictions.predictionId })
      .from(predictions)
      .where(and(eq(predictions.endpointId, ep.id), inArray(predictions.predictionId, wanted.slice(i, i + INSERT_CHUNK))));
    for (const f of found) rowOf.set(f.id, f.row);
  }
  const rows = [...rowOf].map(([id, row]) => ({ predictionRowId: row, actual: last.get(id)! }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insert(predictionFeedback)
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflictDoUpdate({ target: predictionFeedback.predictionRowId, set: { actual: sql`excluded.actual`, receivedAt: sql`now()` } });
  }
  const unknown = wanted.filter((id) => !rowOf.has(id));
  return { accepted: rows.length, unknown: unknown.length, unknownIds: unknown.slice(0, UNKNOWN_IDS_SHOWN) };
}

export interface MonitoringSettings {
  /** share of predictions logged, 0 to 1 */
  sampleRate: number;
  /** days a logged prediction is kept, ≥ 1 */
  retentionDays: number;
  /** anomaly codes serving answers with a 400 instead of tagging them (default none) */
  rejectAnomalies: string[];
  /** drift methods and thresholds for the endpoint's reports and alerts, per method and per feature ({}: Evidently's defaults) */
  drift: DriftOptions;
}

export const DEFAULT_MONITORING: MonitoringSettings = { sampleRate: 1, retentionDays: 30, rejectAnomalies: [], drift: {} };

/**
 * Changes an endpoint's monitoring settings. The sampling rate and the rejected anomaly codes
 * travel to serving in the serving config, so the change bumps the serving revision (returned).
 * @throws KilnError `ENDPOINT_NOT_FOUND`, `BAD_REQUEST` for a rate outside [0, 1], days < 1 or an unknown anomaly code
 */
export async function setMonitoringSettings(db: Db, endpointName: string, s: Partial<MonitoringSettings>): Promise<MonitoringSettings & { revision: number }> {
  if (s.sampleRate !== undefined && !(s.sampleRate >= 0 && s.sampleRate <= 1)) throw new KilnError('BAD_REQUEST', `sampleRate must be between 0 and 1, got ${s.sampleRate}`, { param: 'sampleRate' });
  if (s.retentionDays !== undefined && !(Number.isInteger(s.retentionDays) && s.retentionDays >= 1 && s.retentionDays <= 3650)) {
    throw new KilnError('BAD_REQUEST', `retentionDays must be a whole number of days from 1 to 3650, got ${s.retentionDays}`, { param: 'retentionDays' });
  }
  for (const [i, code] of (s.rejectAnomalies ?? []).entries()) {
    if (!(ANOMALY_CODES as readonly string[]).includes(code)) throw new KilnError('BAD_REQUEST', `rejectAnomalies[${i}]: unknown anomaly code "${code}" (codes: ${ANOMALY_CODES.join(', ')})`, { param: 'rejectAnomalies' });
  }
  const set: Partial<typeof endpoints.$inferInsert> = {};
  if (s.rejectAnomalies !== undefined) set.rejectAnomalies = [...new Set(s.rejectAnomalies)].sort();
  if (s.drift !== undefined) {
    const d = driftOptionsSchema.safeParse(s.drift);
    if (!d.success) {
      const i = d.error.issues[0]!;
      const at = ['drift', ...i.path.map(String)].join('.');
      throw new KilnError('BAD_REQUEST', `${at}: ${i.message}${i.path[0] === 'columns' || i.path[0] === 'thresholds' ? ` (methods: ${DRIFT_METHODS.join(', ')})` : ''}`, { param: at });
    }
    set.driftSettings = d.data as DriftOptions;
  }
  if (s.sampleRate !== undefined) set.logSampleRate = s.sampleRate;
  if (s.retentionDays !== undefined) set.logRetentionDays = s.retentionDays;
  const [row] = await db
    .update(endpoints)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(endpoints.name, endpointName))
    .returning({ sampleRate: endpoints.logSampleRate, retentionDays: endpoints.logRetentionDays, rejectAnomalies: endpoints.rejectAnomalies, drift: endpoints.driftSettings });
  if (!row) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${endpointName}"`, { param: 'endpoint' });
  return { ...row, revision: await bumpServingRevision(db) };
}

/**
 * Deletes logged predictions older than their endpoint's retention, rounded down to the hour so
 * they expire with their rollup hour (their feedback goes with them), at most `limit` rows a call
 * so a maintenance tick stays short, then the rollup hours past retention. Returns how many
 * predictions.
 */
export async function prunePredictions(db: Db, opts: { limit?: number; now?: Date } = {}): Promise<number> {
  const limit = opts.limit ?? 10_000;
  const now = opts.now ?? new Date();
  const old = db
    .select({ id: predictions.id })
    .from(predictions)
    .innerJoin(endpoints, eq(endpoints.id, predictions.endpointId))
    .where(sql`${predictions.time} < ${retentionCutoff(now)}`)
    .limit(limit);
  const gone = await db.delete(predictions).where(inArray(predictions.id, old)).returning({ id: predictions.id });
  await pruneRollup(db, now);
  return gone.length;
}
