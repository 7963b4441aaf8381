/**
 * The prediction log as the studio pages through it: newest first, keyset-paged on (time, row
 * id) so a page is an index range scan however deep, filterable by time range, model version and
 * anomaly code, each row with its inputs, outputs, latency, anomalies and feedback actual.
 */
import { and, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { KilnError } from '../../lib/errors';
import type { Db } from '../db/client';
import { endpoints, predictionFeedback, predictions } from '../db/schema';

export const LOG_PAGE_MAX = 500;

/** Where the next page starts: the last row of this one. */
export const logCursorSchema = z.object({ time: z.iso.datetime({ offset: true }), id: z.number().int().nonnegative() });
export type LogCursor = z.infer<typeof logCursorSchema>;

export interface LogQuery {
  endpoint: string;
  /** inclusive start, exclusive end */
  start?: Date;
  end?: Date;
  version?: number;
  /** rows tagged with this anomaly code; `any` for rows with any anomaly */
  anomaly?: string;
  cursor?: LogCursor;
  /** rows per page, 1 to {@link LOG_PAGE_MAX} (default 100) */
  limit?: number;
}

export interface LogRow {
  /** the row's id (the keyset's tiebreak) */
  row: number;
  /** the prediction id the client got */
  id: string;
  version: number;
  time: string;
  latencyMs: number;
  inputs: unknown;
  outputs: unknown;
  anomalies: { code: string; column: string }[];
  /** the feedback actual; absent when none arrived */
  actual?: unknown;
}

export interface LogPage {
  rows: LogRow[];
  /** null on the last page */
  next: LogCursor | null;
}

/** A page of the log. @throws KilnError `ENDPOINT_NOT_FOUND`, `BAD_REQUEST` for a bad limit. */
export async function predictionLogPage(db: Db, q: LogQuery): Promise<LogPage> {
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > LOG_PAGE_MAX) throw new KilnError('BAD_REQUEST', `limit: expected a whole number from 1 to ${LOG_PAGE_MAX}, got ${limit}`, { param: 'limit' });
  const [ep] = await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.name, q.endpoint));
  if (!ep) throw new KilnError('ENDPOINT_NOT_FOUND', `no endpoint "${q.endpoint}"`, { param: 'name' });
  const conds: (SQL | undefined)[] = [eq(predictions.endpointId, ep.id)];
  if (q.start) conds.push(gte(predictions.time, q.start));
  if (q.end) conds.push(lt(predictions.time, q.end));
  if (q.version !== undefined) conds.push(eq(predictions.version, q.version));
  if (q.anomaly === 'any') conds.push(sql`jsonb_array_length(${predictions.anomalies}) > 0`);
  else if (q.anomaly) conds.push(sql`${predictions.anomalies} @> ${JSON.stringify([{ code: q.anomaly }])}::jsonb`);
  if (q.cursor) {
    const t = new Date(q.cursor.time);
    conds.push(or(lt(predictions.time, t), and(eq(predictions.time, t), lt(predictions.id, q.cursor.id))));
  }
  const rows = await db
    .select({
      row: predictions.id,
      id: predictions.predictionId,
      version: predictions.version,
      time: predictions.time,
      latencyMs: predictions.latencyMs,
      inputs: predictions.inputs,
      outputs: predictions.outputs,
      anomalies: predictions.anomalies,
      actual: predictionFeedback.actual,
      labelled: predictionFeedback.predictionRowId,
    })
    .from(predictions)
    .leftJoin(predictionFeedback, eq(predictionFeedback.predictionRowId, predictions.id))
    .where(and(...conds))
    .orderBy(desc(predictions.time), desc(predictions.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const lastRow = page.at(-1);
  return {
    rows: page.map(({ labelled, actual, time, ...r }) => ({ ...r, time: time.toISOString(), ...(labelled !== null ? { actual } : {}) })),
    next: rows.length > limit && lastRow ? { time: lastRow.time.toISOString(), id: lastRow.row } : null,
  };
}
