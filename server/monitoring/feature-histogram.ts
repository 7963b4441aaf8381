/**
 * One input's distribution in a window beside its reference (the training data, or the window
 * just before), as lib/sketch's histograms of the two sides' sketches: the picture next to the
 * drift table's number. Only that input is read from the log (`inputs -> name`), page by page.
 */
import { and, asc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { compareHistogram, type ComparedHistogram } from '../../lib/sketch/histogram';
import { RecordSketcher, type ColumnSketch } from '../../lib/sketch/table-sketch';
import type { ColumnSchema } from '../../lib/data/column-schema';
import type { Db } from '../db/client';
import { predictions } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { endpointContext } from './context';

const PAGE = 10_000;

export interface HistogramOptions {
  endpoint: string;
  feature: string;
  windowMs: number;
  reference?: 'training' | { windowMs: number };
  now?: Date;
  bins?: number;
}

export type FeatureHistogram = ComparedHistogram & { reference: 'training' | { start: string; end: string }; window: { start: string; end: string } };

/**
 * The histogram. @throws KilnError as {@link endpointContext}; `BAD_REQUEST` naming `feature`
 * when the model has no such input; `NOT_FOUND` when the training data is gone.
 */
export async function featureHistogram(db: Db, store: ArtifactStore, o: HistogramOptions): Promise<FeatureHistogram> {
  const ctx = await endpointContext(db, store, o.endpoint);
  const col = ctx.manifest.inputSchema.find((c) => c.name === o.feature);
  if (!col) {
    throw new KilnError('BAD_REQUEST', `feature: "${o.feature}" is not an input of ${ctx.ep.model} v${ctx.version.version} (inputs: ${ctx.manifest.inputSchema.map((c) => c.name).join(', ')})`, { param: 'feature' });
  }
  const end = o.now ?? new Date();
  const start = new Date(end.getTime() - o.windowMs);
  const current = await sketchWindow(db, ctx.ep.id, col, start, end);
  let ref: ColumnSketch;
  let reference: FeatureHistogram['reference'] = 'training';
  if (o.reference && o.reference !== 'training') {
    const rStart = new Date(start.getTime() - o.reference.windowMs);
    ref = await sketchWindow(db, ctx.ep.id, col, rStart, start);
    reference = { start: rStart.toISOString(), end: start.toISOString() };
  } else {
    const found = ctx.reference?.inputs.columns.find((c) => c.name === o.feature);
    if (!found) throw new KilnError('NOT_FOUND', `model version v${ctx.version.version} of "${ctx.ep.model}": its training dataset version is gone, so there is no reference for "${o.feature}" (compare with an earlier window instead)`);
    ref = found;
  }
  return { ...compareHistogram(ref, current, { bins: o.bins ?? 20 }), column: o.feature, reference, window: { start: start.toISOString(), end: end.toISOString() } };
}

async function sketchWindow(db: Db, endpointId: string, col: ColumnSchema, start: Date, end: Date): Promise<ColumnSketch> {
  const sketcher = new RecordSketcher([col]);
  let after = 0;
  for (;;) {
    const rows = await db
      .select({ row: predictions.id, value: sql<unknown>`${predictions.inputs} -> ${col.name}` })
      .from(predictions)
      .where(and(eq(predictions.endpointId, endpointId), gte(predictions.time, start), lt(predictions.time, end), gt(predictions.id, after)))
      .orderBy(asc(predictions.id))
      .limit(PAGE);
    for (const r of rows) sketcher.add({ [col.name]: r.value ?? null });
    if (rows.length < PAGE) break;
    after = rows.at(-1)!.row;
  }
  return sketcher.sketch().columns[0]!;
}
