/**
 * The prediction log's hourly rollup: at ingest, the rows a batch actually stored are sketched
 * per (endpoint, model version, hour) — their inputs with lib/sketch's RecordSketcher, their
 * prediction, their anomaly counts — and merged into `prediction_rollup` under the row's lock in
 * the ingest's transaction. A monitoring report (./report.ts) then merges the rollup rows of the
 * window's whole hours and reads raw rows only at its edges. The sketches are the ones report.ts
 * makes from raw rows (same schema, same default options), and lib/sketch's merges are exact
 * (bucket and category counts add; which categories are kept depends only on the set of values),
 * so both paths give the same statistics.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Manifest } from '../../lib/package/manifest';
import { CategoricalSketch } from '../../lib/sketch/categorical-sketch';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { RecordSketcher, tableSketchFromJson, tableSketchToJson, type ColumnSketch, type RawKind, type TableSketch } from '../../lib/sketch/table-sketch';
import type { Db } from '../db/client';
import { endpoints, modelVersions, predictionRollup } from '../db/schema';
import type { ArtifactStore } from '../storage/types';
import { versionManifest } from './reference';

export const HOUR = 3_600_000;

/** What a rollup row's sketches depend on: the input columns with their types, the task and the target. */
export function schemaKeyOf(m: Pick<Manifest, 'inputSchema' | 'task' | 'target'>): string {
  return JSON.stringify({ task: m.task, target: m.target, inputs: m.inputSchema.map((c) => [c.name, c.type]) });
}

/** The predicted value of a logged output: the number (regression) or the label (classification). */
export function predictedValue(o: unknown, regression: boolean): number | string | undefined {
  if (!o || typeof o !== 'object') return undefined;
  if (regression) {
    const v = (o as { prediction?: unknown }).prediction;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  const l = (o as { label?: unknown }).label;
  return typeof l === 'string' ? l : undefined;
}

/** A logged prediction as the sketches read it. */
export interface LoggedRow {
  version: number;
  inputs: unknown;
  outputs: unknown;
  anomalies: readonly { code: string }[];
}

/** A serialised rollup: what one stored row holds beside its key (the sketches as JSON text). */
export interface RollupSketches {
  rows: number;
  inputs: string;
  prediction: string;
  anomalies: Record<string, number>;
}

/**
 * Sketches of a set of logged predictions, from raw rows (`add`) and from rollup rows (`merge`):
 * the request count per version, the inputs, the prediction and the anomaly counts.
 */
export class WindowSketch {
  requests = 0;
  readonly perVersion = new Map<number, number>();
  readonly anomalies: Record<string, number> = {};
  readonly prediction: ColumnSketch;
  private readonly sketcher: RecordSketcher;
  private readonly regression: boolean;

  constructor(m: Pick<Manifest, 'inputSchema' | 'task' | 'target'>) {
    this.sketcher = new RecordSketcher(m.inputSchema);
    this.regression = m.task === 'regression';
    this.prediction = {
      name: m.target,
      type: this.regression ? 'numeric' : 'categorical',
      rows: 0,
      missing: 0,
      invalid: 0,
      kinds: { number: 0, boolean: 0, date: 0, string: 0 },
      ...(this.regression ? { numeric: new NumericSketch() } : { categorical: new CategoricalSketch() }),
    };
  }

  add(r: LoggedRow): void {
    this.requests++;
    this.perVersion.set(r.version, (this.perVersion.get(r.version) ?? 0) + 1);
    if (r.inputs && typeof r.inputs === 'object' && !Array.isArray(r.inputs)) this.sketcher.add(r.inputs as Record<string, unknown>);
    for (const a of r.anomalies) this.anomalies[a.code] = (this.anomalies[a.code] ?? 0) + 1;
    const p = predictedValue(r.outputs, this.regression);
    const c = this.prediction;
    c.rows++;
    if (p === undefined) c.missing++;
    else if (this.regression) {
      c.kinds.number++;
      c.numeric!.add(p as number);
    } else {
      c.kinds.string++;
      c.categorical!.add(p as string);
    }
  }

  /**
   * Adds a stored rollup of `version` (made with the same schema key).
   * @throws KilnError `SKETCH_INVALID` / `SKETCH_MISMATCH` when the stored sketches do not fit
   */
  merge(version: number, r: RollupSketches, where: string): void {
    this.requests += r.rows;
    this.perVersion.set(version, (this.perVersion.get(version) ?? 0) + r.rows);
    for (const [code, n] of Object.entries(r.anomalies)) this.anomalies[code] = (this.anomalies[code] ?? 0) + n;
    const inputs = tableSketchFromJson(JSON.parse(r.inputs), `${where} inputs`, true);
    this.sketcher.rows += inputs.rows;
    const byName = new Map(inputs.columns.map((c) => [c.name, c]));
    for (const c of this.sketcher.columns) {
      const o = byName.get(c.name);
      if (o) mergeColumnInto(c, o);
    }
    const p = tableSketchFromJson(JSON.parse(r.prediction), `${where} prediction`, true).columns[0];
    if (p) mergeColumnInto(this.prediction, p);
  }

  /** The inputs' sketch (the live columns: the sketcher keeps them). */
  inputs(): TableSketch {
    return this.sketcher.sketch();
  }

  /** The serialised form stored in `prediction_rollup`. */
  toRollup(): RollupSketches {
    return {
      rows: this.requests,
      inputs: JSON.stringify(tableSketchToJson(this.inputs())),
      prediction: JSON.stringify(tableSketchToJson({ rows: this.prediction.rows, columns: [this.prediction] })),
      anomalies: { ...this.anomalies },
    };
  }
}

/** Adds column sketch `src` into `dst` in place (same name and type). */
function mergeColumnInto(dst: ColumnSketch, src: ColumnSketch): void {
  dst.rows += src.rows;
  dst.missing += src.missing;
  dst.invalid += src.invalid;
  for (const k of Object.keys(dst.kinds) as RawKind[]) dst.kinds[k] += src.kinds[k];
  if (dst.numeric && src.numeric) dst.numeric.merge(src.numeric);
  else if (dst.categorical && src.categorical) dst.categorical.merge(src.categorical);
}

/** The sketch schema of one endpoint's model version, or null when its package cannot be read. */
export type RollupSchema = Pick<Manifest, 'inputSchema' | 'task' | 'target'> & { key: string };

const manifests = new WeakMap<ArtifactStore, Map<string, Promise<RollupSchema>>>();

/**
 * The rollup schemas of (endpoint id, version number) pairs: each version's package manifest,
 * cached per model version (a version is immutable). A pair whose version or package is gone
 * maps to null: its rows are stored without a rollup and the report reads them raw.
 */
export async function rollupSchemas(db: Db, store: ArtifactStore, pairs: readonly { endpointId: string; version: number }[]): Promise<Map<string, RollupSchema | null>> {
  const out = new Map<string, RollupSchema | null>();
  if (!pairs.length) return out;
  const endpointIds = [...new Set(pairs.map((p) => p.endpointId))];
  const rows = await db
    .select({ endpointId: endpoints.id, version: modelVersions })
    .from(endpoints)
    .innerJoin(modelVersions, eq(modelVersions.modelId, endpoints.modelId))
    .where(and(inArray(endpoints.id, endpointIds), inArray(modelVersions.version, [...new Set(pairs.map((p) => p.version))])));
  let byId = manifests.get(store);
  if (!byId) manifests.set(store, (byId = new Map()));
  for (const r of rows) {
    const k = pairKey(r.endpointId, r.version.version);
    if (!pairs.some((p) => pairKey(p.endpointId, p.version) === k) || r.version.status !== 'READY') continue;
    let p = byId.get(r.version.id);
    if (!p) {
      const cache = byId;
      const id = r.version.id;
      p = versionManifest(store, r.version).then((m) => ({ inputSchema: m.inputSchema, task: m.task, target: m.target, key: schemaKeyOf(m) }));
      cache.set(id, p);
      p.catch(() => cache.delete(id));
    }
    out.set(k, await p.catch(() => null));
  }
  for (const p of pairs) if (!out.has(pairKey(p.endpointId, p.version))) out.set(pairKey(p.endpointId, p.version), null);
  return out;
}

export function pairKey(endpointId: string, version: number): string {
  return `${endpointId}\u0000${version}`;
}

/**
 * Merges newly stored rows into their (endpoint, version, hour) rollup rows. Call inside the
 * transaction that inserted them: each row is locked (`SELECT … FOR UPDATE`, keys in one order so
 * two ingests never deadlock) before it is read, merged and written back, so concurrent ingests
 * into the same hour serialise instead of overwriting each other.
 */
export async function mergeIntoRollup(tx: Db, rows: readonly (LoggedRow & { endpointId: string; time: Date; schema: RollupSchema })[]): Promise<void> {
  const groups = new Map<string, { endpointId: string; version: number; hour: Date; schema: RollupSchema; sketch: WindowSketch }>();
  for (const r of rows) {
    const hour = Math.floor(r.time.getTime() / HOUR) * HOUR;
    const k = `${pairKey(r.endpointId, r.version)}\u0000${hour}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { endpointId: r.endpointId, version: r.version, hour: new Date(hour), schema: r.schema, sketch: new WindowSketch(r.schema) }));
    g.sketch.add(r);
  }
  const sorted = [...groups.values()].sort((a, b) => (a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : a.version - b.version || a.hour.getTime() - b.hour.getTime()));
  for (const g of sorted) {
    // An empty row first (a no-op when it exists; waits on a concurrent inserter), then the lock.
    const empty = new WindowSketch(g.schema).toRollup();
    await tx
      .insert(predictionRollup)
      .values({ endpointId: g.endpointId, version: g.version, hour: g.hour, schemaKey: g.schema.key, ...empty })
      .onConflictDoNothing();
    const where = and(eq(predictionRollup.endpointId, g.endpointId), eq(predictionRollup.version, g.version), eq(predictionRollup.hour, g.hour));
    const [cur] = await tx.select().from(predictionRollup).where(where).for('update');
    const merged = new WindowSketch(g.schema);
    if (cur!.rows > 0) merged.merge(g.version, cur!, `rollup of v${g.version} at ${g.hour.toISOString()}`);
    merged.merge(g.version, g.sketch.toRollup(), 'new rows');
    await tx.update(predictionRollup).set(merged.toRollup()).where(where);
  }
}

/**
 * The retention cutoff of an endpoint row in SQL: `now` less its retention days, rounded down to
 * the hour, so logged predictions and their rollup hours expire together (a prediction is kept up
 * to an hour past its retention). In epoch seconds, so the session's time zone plays no part.
 */
export function retentionCutoff(now: Date): SQL {
  return sql`to_timestamp(floor((extract(epoch from ${now.toISOString()}::timestamptz) - ${endpoints.logRetentionDays} * 86400) / 3600) * 3600)`;
}

/** Deletes rollup hours past their endpoint's retention (see {@link retentionCutoff}). Returns how many rows. */
export async function pruneRollup(db: Db, now: Date = new Date()): Promise<number> {
  const gone = await db
    .delete(predictionRollup)
    .where(sql`${predictionRollup.hour} < (SELECT ${retentionCutoff(now)} FROM ${endpoints} WHERE ${endpoints.id} = ${predictionRollup.endpointId})`)
    .returning({ hour: predictionRollup.hour });
  return gone.length;
}
