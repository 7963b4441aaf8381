/**
 * Training/serving skew before a run trains: the run's dataset statistics (the sketches stored
 * with each dataset version) against the training statistics of the model the project registers
 * to — its current production version's raw inputs (server/monitoring/reference.ts). Schema
 * anomalies (new or missing columns, types, ranges, categories, missing rates) and per-column
 * SKEW come from lib/sketch's validateSketch, the code uploads and serving use.
 */
import { and, desc, eq } from 'drizzle-orm';
import { KilnError } from '../../lib/errors';
import { validateSketch, type Anomaly } from '../../lib/sketch/anomalies';
import type { TableSketch } from '../../lib/sketch/table-sketch';
import type { Db } from '../db/client';
import { modelAliases, modelVersions, registeredModels, runs, type Dataset, type ModelVersion } from '../db/schema';
import { trainingReference } from '../monitoring/reference';
import type { ArtifactStore } from '../storage/types';
import { boundAnomaly, storedSketch } from './validation';

/** The alias whose version is "the model in production". */
export const PRODUCTION_ALIAS = 'production';

export interface SkewReport {
  model: string;
  version: number;
  /** the run's input dataset compared (input name → dataset version id) */
  input: string;
  datasetId: string;
  anomalies: Anomaly[];
}

/**
 * The production version of `modelName`, or — without a name — of the model this project last
 * registered a version to (from a run of the project) that has a production alias. Null: none.
 */
export async function productionVersionFor(db: Db, projectId: string, modelName?: string): Promise<{ model: string; version: ModelVersion } | null> {
  const base = db
    .select({ model: registeredModels.name, v: modelVersions })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .innerJoin(registeredModels, eq(registeredModels.id, modelAliases.modelId));
  if (modelName !== undefined) {
    const [row] = await base.where(and(eq(modelAliases.alias, PRODUCTION_ALIAS), eq(registeredModels.name, modelName))).limit(1);
    return row ? { model: row.model, version: row.v } : null;
  }
  // Models with a production version, ordered by the project's latest registration to them.
  const [latest] = await db
    .select({ modelId: modelVersions.modelId })
    .from(modelVersions)
    .innerJoin(runs, eq(runs.id, modelVersions.runId))
    .innerJoin(modelAliases, and(eq(modelAliases.modelId, modelVersions.modelId), eq(modelAliases.alias, PRODUCTION_ALIAS)))
    .where(eq(runs.projectId, projectId))
    .orderBy(desc(modelVersions.createdAt))
    .limit(1);
  if (!latest) return null;
  const [row] = await base.where(and(eq(modelAliases.alias, PRODUCTION_ALIAS), eq(modelAliases.modelId, latest.modelId))).limit(1);
  return row ? { model: row.model, version: row.v } : null;
}

function restrict(s: TableSketch, names: readonly string[]): TableSketch {
  const keep = new Set(names);
  return { rows: s.rows, columns: s.columns.filter((c) => keep.has(c.name)) };
}

/**
 * Skew of a run's datasets against the model's production version, or null when the project
 * registers to no model with a production version, or no dataset of the run has statistics.
 * The dataset compared is the run's input holding the most of the model's input columns.
 * @throws KilnError `NOT_FOUND` when `modelName` names a model without a production version
 */
export async function trainingSkew(db: Db, store: ArtifactStore, projectId: string, runDatasets: ReadonlyMap<string, Dataset>, modelName?: string): Promise<SkewReport | null> {
  const prod = await productionVersionFor(db, projectId, modelName);
  if (!prod) {
    if (modelName !== undefined) throw new KilnError('NOT_FOUND', `model "${modelName}" has no ${PRODUCTION_ALIAS} version to compare the run's data with`, { param: 'model' });
    return null;
  }
  // A production version whose package or training data is gone cannot be compared: no report, no refusal.
  const ref = await trainingReference(db, store, prod.version).catch((e: unknown) => {
    if (e instanceof KilnError && e.code === 'NOT_FOUND') return null;
    throw e;
  });
  if (!ref) return null;
  const names = ref.schema.columns.map((c) => c.name);
  let best: { input: string; d: Dataset; sketch: TableSketch; shared: number } | null = null;
  for (const [input, d] of runDatasets) {
    const sketch = storedSketch(d);
    if (!sketch) continue;
    const shared = sketch.columns.filter((c) => names.includes(c.name)).length;
    if (!best || shared > best.shared) best = { input, d, sketch, shared };
  }
  if (!best) return null;
  // Only the model's inputs are compared: the target and other columns are no serving inputs.
  const anomalies = validateSketch(ref.schema, restrict(best.sketch, names), { training: ref.inputs }).map((a) => boundAnomaly(a));
  return { model: prod.model, version: prod.version.version, input: best.input, datasetId: best.d.id, anomalies };
}
