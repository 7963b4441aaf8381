/**
 * Data validation of stored dataset versions (TFDV's ExampleValidator against SchemaGen's schema):
 * a new version of a dataset name is checked against the project's newest edited schema of that
 * name, else against the schema inferred from the previous version, and drift is measured
 * against the previous version's sketches. Edited schemas are numbered versions per
 * (project, dataset name) — the schema as a versioned artifact of the project.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, ne } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { fromJsonSchema, inferDataSchema, parseDataSchema, type DataSchema } from '../../lib/sketch/data-schema';
import { validateSketch, type Anomaly } from '../../lib/sketch/anomalies';
import { tableSketchFromJson, type TableSketch } from '../../lib/sketch/table-sketch';
import type { Db } from '../db/client';
import { datasets, datasetSchemas, type Dataset, type ValidatedAgainst } from '../db/schema';

export type { ValidatedAgainst } from '../db/schema';

export interface DatasetValidation {
  /** null for the first version of a name (nothing to compare with) */
  against: ValidatedAgainst | null;
  anomalies: Anomaly[];
}

export interface StoredSchema {
  projectId: string;
  datasetName: string;
  version: number;
  schema: DataSchema;
  createdBy: string | null;
  createdAt: Date;
}

/** The project's newest (or given) edited schema of a dataset name, or null. */
export async function getProjectSchema(db: Db, projectId: string, datasetName: string, version?: number): Promise<StoredSchema | null> {
  const where = and(eq(datasetSchemas.projectId, projectId), eq(datasetSchemas.datasetName, datasetName), ...(version !== undefined ? [eq(datasetSchemas.version, version)] : []));
  const [row] = await db.select().from(datasetSchemas).where(where).orderBy(desc(datasetSchemas.version)).limit(1);
  return row ? { projectId: row.projectId, datasetName: row.datasetName, version: row.version, schema: parseDataSchema(row.schema), createdBy: row.createdBy, createdAt: row.createdAt } : null;
}

/** Saved schema versions of a dataset name, newest first (without the schemas). */
export async function listProjectSchemas(db: Db, projectId: string, datasetName: string): Promise<{ version: number; createdBy: string | null; createdAt: Date }[]> {
  return db
    .select({ version: datasetSchemas.version, createdBy: datasetSchemas.createdBy, createdAt: datasetSchemas.createdAt })
    .from(datasetSchemas)
    .where(and(eq(datasetSchemas.projectId, projectId), eq(datasetSchemas.datasetName, datasetName)))
    .orderBy(desc(datasetSchemas.version));
}

/**
 * Saves `schema` as the next version of the dataset name's schema (1 for the first). Two saves
 * racing for one number: the loser takes the next.
 * @throws KilnError `DATA_SCHEMA_INVALID` naming the column/field; `CONFLICT` after 5 lost races
 */
export async function saveProjectSchema(db: Db, projectId: string, datasetName: string, schema: unknown, createdBy: string | null): Promise<StoredSchema> {
  const parsed = parseDataSchema(schema);
  const names = new Set<string>();
  for (const [i, c] of parsed.columns.entries()) {
    if (names.has(c.name)) throw new KilnError('DATA_SCHEMA_INVALID', `schema at columns.${i}.name: column "${c.name}" appears twice`, { path: `columns.${i}.name`, column: c.name });
    names.add(c.name);
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const latest = await getProjectSchema(db, projectId, datasetName);
    const version = (latest?.version ?? 0) + 1;
    const inserted = await db
      .insert(datasetSchemas)
      .values({ id: randomUUID(), projectId, datasetName, version, schema: parsed, createdBy })
      .onConflictDoNothing()
      .returning();
    const row = inserted[0];
    if (row) return { projectId, datasetName, version, schema: parsed, createdBy, createdAt: row.createdAt };
  }
  throw new KilnError('CONFLICT', `schema of dataset "${datasetName}": concurrent saves kept taking the next version; try again`);
}

/** The newest other version of the dataset name stored before `before` (or any time when absent). */
export async function previousDatasetVersion(db: Db, projectId: string, name: string, excludeId: string | null, before?: Date): Promise<Dataset | null> {
  const conds = [eq(datasets.projectId, projectId), eq(datasets.name, name)];
  if (excludeId !== null) conds.push(ne(datasets.id, excludeId));
  if (before) conds.push(lt(datasets.createdAt, before));
  const [row] = await db.select().from(datasets).where(and(...conds)).orderBy(desc(datasets.createdAt)).limit(1);
  return row ?? null;
}

/** The stored sketch of a version, or null for versions stored before sketches were kept. */
export function storedSketch(d: Pick<Dataset, 'sketch' | 'name'>): TableSketch | null {
  return d.sketch ? tableSketchFromJson(d.sketch, `dataset "${d.name}" sketch`) : null;
}

/** The schema of a version: as stored, else inferred from its sketch; null when it has neither. */
export function storedDataSchema(d: Pick<Dataset, 'sketch' | 'dataSchema' | 'name'>): DataSchema | null {
  if (d.dataSchema) return parseDataSchema(d.dataSchema);
  const s = storedSketch(d);
  return s ? inferDataSchema(s) : null;
}

/**
 * Anomalies of a new version's sketch: against the project's newest schema of the name when one
 * was saved, else against the previous version's inferred schema; drift (DRIFT) against the
 * previous version's sketch either way.
 */
export async function validateDatasetVersion(db: Db, projectId: string, name: string, sketch: TableSketch, self: { id: string | null; createdAt?: Date }): Promise<DatasetValidation> {
  const prev = await previousDatasetVersion(db, projectId, name, self.id, self.createdAt);
  const prevSketch = prev ? storedSketch(prev) : null;
  const edited = await getProjectSchema(db, projectId, name);
  const previous = prevSketch ? { previous: prevSketch } : {};
  if (edited) return { against: { kind: 'schema', version: edited.version, previousDatasetId: prev?.id ?? null }, anomalies: validateSketch(edited.schema, sketch, previous) };
  const prevSchema = prev ? storedDataSchema(prev) : null;
  if (!prev || !prevSchema) return { against: null, anomalies: [] };
  return { against: { kind: 'dataset', datasetId: prev.id, createdAt: prev.createdAt.toISOString() }, anomalies: validateSketch(prevSchema, sketch, previous) };
}

/** Longest text of an anomaly kept: an observed category may be a megabyte cell. */
export const MAX_ANOMALY_TEXT = 1000;

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** The anomaly with its texts cut to `max` characters (ending "…"), so a stored or shown list stays small. */
export function boundAnomaly(a: Anomaly, max = MAX_ANOMALY_TEXT): Anomaly {
  return { ...a, column: cut(a.column, max), constraint: cut(a.constraint, max), observed: cut(a.observed, max), message: cut(a.message, 3 * max) };
}

/** Validates a just-stored version and records the result on its row (texts bounded). */
export async function recordDatasetValidation(db: Db, d: Dataset): Promise<DatasetValidation> {
  const sketch = storedSketch(d);
  if (!sketch) return { against: null, anomalies: [] };
  const found = await validateDatasetVersion(db, d.projectId, d.name, sketch, { id: d.id, createdAt: d.createdAt });
  const v = { against: found.against, anomalies: found.anomalies.map((a) => boundAnomaly(a)) };
  await db.update(datasets).set({ anomalies: v.anomalies, validatedAgainst: v.against }).where(eq(datasets.id, d.id));
  return v;
}

/** The schema a dataset name is exported as: the newest saved one, else inferred from the newest version. */
export async function currentSchema(db: Db, projectId: string, name: string, version?: number): Promise<{ schema: DataSchema; source: { kind: 'schema'; version: number } | { kind: 'dataset'; datasetId: string } }> {
  if (version !== undefined) {
    const s = await getProjectSchema(db, projectId, name, version);
    if (!s) throw new KilnError('NOT_FOUND', `dataset "${name}" has no saved schema version ${version}`, { param: 'version' });
    return { schema: s.schema, source: { kind: 'schema', version: s.version } };
  }
  const edited = await getProjectSchema(db, projectId, name);
  if (edited) return { schema: edited.schema, source: { kind: 'schema', version: edited.version } };
  const newest = await previousDatasetVersion(db, projectId, name, null);
  if (!newest) throw new KilnError('NOT_FOUND', `the project has no dataset named "${name}"`, { param: 'dataset' });
  const schema = storedDataSchema(newest);
  if (!schema) throw new KilnError('NOT_FOUND', `dataset "${name}" (version ${newest.id}) was stored before statistics were kept; upload it again`, { param: 'dataset' });
  return { schema, source: { kind: 'dataset', datasetId: newest.id } };
}

/**
 * A schema document as a person hands it in: JSON Schema (what export writes, possibly edited),
 * or Kiln's own `{ version, columns }` form.
 * @throws KilnError `DATA_SCHEMA_INVALID` naming the path, column and field of the first problem
 */
export function readSchemaDocument(doc: unknown): DataSchema {
  const o = doc as Record<string, unknown> | null;
  if (o !== null && typeof o === 'object' && !Array.isArray(o) && 'columns' in o && !('properties' in o)) return parseDataSchema(o);
  return fromJsonSchema(doc);
}
