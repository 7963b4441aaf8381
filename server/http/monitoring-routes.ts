/**
 * The control plane's side of the prediction log (docs/serving.md, "Prediction log"): serving
 * posts batches of logged predictions and forwards clients' feedback, with its machine token.
 */
import type { z } from 'zod';
import { KilnError } from '../../lib/errors';
import { feedbackBatchSchema, MAX_LOG_BATCH_BYTES, predictionBatchSchema, requestStatsBatchSchema } from '../serving/log-protocol';
import { ingestRequestStats } from '../monitoring/request-stats';
import { ingestPredictions, recordFeedback } from '../monitoring/prediction-log';
import { readJson } from './body';
import type { RouteContext } from './context';
import { json } from './errors';
import { asc, eq } from 'drizzle-orm';
import { readableProjectIds } from '../auth/access';
import { endpoints, monitoringSnapshots, registeredModels } from '../db/schema';
import { viewsOf } from '../monitoring/alert-rules';
import { endpointInfos } from '../monitoring/alerts';
import { controlPlaneMetrics } from '../monitoring/prometheus';
import type { MonitoringReport } from '../monitoring/report';

async function body<T extends z.ZodTypeAny>(req: Request, schema: T): Promise<z.infer<T>> {
  const r = schema.safeParse(await readJson(req, MAX_LOG_BATCH_BYTES));
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new KilnError('BAD_REQUEST', `${path || 'body'}: ${i.message}`);
  }
  return r.data;
}

/** `POST /api/serving/predictions` `{records: [...]}` → `{accepted, duplicates, unknownEndpoint}`. */
export async function predictionBatchHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const b = await body(req, predictionBatchSchema);
  return json(await ingestPredictions(ctx.db, b.records, { store: ctx.store }));
}

/** `POST /api/serving/feedback` `{endpoint, feedback: [{id, actual}]}` → `{accepted, unknown, unknownIds}`. */
export async function feedbackBatchHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const b = await body(req, feedbackBatchSchema);
  return json(await recordFeedback(ctx.db, b.endpoint, b.feedback));
}

/** `POST /api/serving/request-stats` `{source, buckets: [...]}` → `{accepted, unknownEndpoint}`. */
export async function requestStatsHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const b = await body(req, requestStatsBatchSchema);
  return json(await ingestRequestStats(ctx.db, b.source, b.buckets));
}

/**
 * `GET /api/monitoring/metrics` (Prometheus exposition; any signed-in user or personal token,
 * e.g. a scrape config's `authorization: {credentials: kiln_pat_…}`): drift, live metrics and
 * alert states of the endpoints in projects the caller can read (server/monitoring/prometheus.ts).
 */
export async function monitoringMetricsHandler(ctx: RouteContext): Promise<Response> {
  const readable = await readableProjectIds(ctx.db, ctx.grant.user!);
  const rows = await ctx.db
    .select({ id: endpoints.id, name: endpoints.name, projectId: registeredModels.projectId, at: monitoringSnapshots.at, report: monitoringSnapshots.report })
    .from(endpoints)
    .innerJoin(registeredModels, eq(registeredModels.id, endpoints.modelId))
    .leftJoin(monitoringSnapshots, eq(monitoringSnapshots.endpointId, endpoints.id))
    .orderBy(asc(endpoints.name));
  const mine = rows.filter((r) => readable === 'all' || (r.projectId !== null && readable.includes(r.projectId)));
  const served = new Map((await endpointInfos(ctx.db, mine.map((r) => r.id))).map((e) => [e.id, e.served?.version ?? null]));
  const snapshots = mine
    .filter((r) => r.at !== null)
    .map((r) => ({ endpoint: r.name, version: served.get(r.id) ?? null, at: r.at!, report: r.report && typeof r.report === 'object' && 'drift' in r.report ? (r.report as MonitoringReport) : null }));
  const m = await controlPlaneMetrics(snapshots, await viewsOf(ctx.db, mine));
  return new Response(m.text, { status: 200, headers: { 'content-type': m.contentType, 'cache-control': 'no-store' } });
}
