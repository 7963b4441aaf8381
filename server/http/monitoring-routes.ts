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
  return json(await ingestPredictions(ctx.db, b.records));
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
