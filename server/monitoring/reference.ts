/**
 * The training reference of a model version: sketches of its raw input columns and its target
 * over the dataset version it was trained on, and the data schema inferred from them.
 *
 * Packages made so far carry statistics of the preprocessed features only (one-hot columns,
 * scaled values), which cannot be compared with the raw inputs serving logs. The dataset version
 * the run read is stored with the model version, so the control plane sketches its raw columns
 * with lib/sketch, the code serving and the studio use. The reference covers the whole dataset
 * version (the training split's rows are not recorded); a version is immutable, so the result is
 * cached per model version in this process.
 */
import { KilnError } from '../../lib/errors';
import { parseTable } from '../../lib/data/infer';
import { getColumn, type Table } from '../../lib/data/table';
import type { ColumnSchema } from '../../lib/data/column-schema';
import type { Manifest } from '../../lib/package/manifest';
import { readZipManifest } from '../../lib/package/zip';
import { inferDataSchema, type DataSchema } from '../../lib/sketch/data-schema';
import { sketchTable, type TableSketch } from '../../lib/sketch/table-sketch';
import { eq } from 'drizzle-orm';
import '../../lib/nodes/catalog';
import { loadBuiltinDataset } from '../../lib/data/node';
import { graphDatasets } from '../../lib/nodes/graph-queries';
import { getDataset, getGraph } from '../db/catalog';
import type { Db } from '../db/client';
import { runs, type ModelVersion } from '../db/schema';
import type { ArtifactStore } from '../storage/types';

export interface TrainingReference {
  manifest: Manifest;
  /** the raw input columns (manifest.inputSchema order) */
  inputs: TableSketch;
  /** the target column, when the dataset has it */
  target: TableSketch | null;
  /** inferred from `inputs`: what serving checks each record against */
  schema: DataSchema;
}

const cache = new WeakMap<Db, Map<string, Promise<TrainingReference>>>();

/** The version's package manifest. @throws KilnError `NOT_FOUND` when the package is gone. */
export async function versionManifest(store: ArtifactStore, v: ModelVersion): Promise<Manifest> {
  const zip = await store.getBytes(v.storageKey);
  if (!zip) throw new KilnError('NOT_FOUND', `the package of model version ${v.id} (v${v.version}) is missing from the artifact store`);
  return readZipManifest(zip);
}

/**
 * The training reference of a model version (cached).
 * @throws KilnError `NOT_FOUND` when the package or every dataset version with the inputs is gone.
 */
export function trainingReference(db: Db, store: ArtifactStore, v: ModelVersion): Promise<TrainingReference> {
  let byVersion = cache.get(db);
  if (!byVersion) cache.set(db, (byVersion = new Map()));
  let p = byVersion.get(v.id);
  if (!p) {
    p = compute(db, store, v);
    byVersion.set(v.id, p);
    p.catch(() => byVersion!.delete(v.id));
  }
  return p;
}

async function compute(db: Db, store: ArtifactStore, v: ModelVersion): Promise<TrainingReference> {
  const manifest = await versionManifest(store, v);
  const names = manifest.inputSchema.map((c) => c.name);
  const tried: string[] = [];
  const reference = (table: Table): TrainingReference => {
    const inputs = sketchTable(pick(table, names));
    const target = getColumn(table, manifest.target) ? sketchTable(pick(table, [manifest.target])) : null;
    return { manifest, inputs, target, schema: inferDataSchema(inputs) };
  };
  for (const [input, datasetId] of Object.entries(v.datasets)) {
    const d = await getDataset(db, datasetId);
    if (!d) {
      tried.push(`${input}=${datasetId} (gone)`);
      continue;
    }
    const bytes = await store.getBytes(d.storageKey);
    if (!bytes) {
      tried.push(`${input}=${datasetId} (file missing)`);
      continue;
    }
    const table = parseTable({ name: d.name, text: new TextDecoder().decode(bytes), format: d.format }, { schema: d.schema as ColumnSchema[] });
    if (!names.every((n) => getColumn(table, n))) {
      tried.push(`${input}=${datasetId} (lacks some inputs)`);
      continue;
    }
    return reference(table);
  }
  // A graph that read a built-in dataset (the studio's samples) records no dataset version: the
  // data is the vega-datasets file its dataset node names, which ships with Kiln and never changes.
  for (const ref of await builtinDatasetsOf(db, v)) {
    const table = parseTable(await loadBuiltinDataset(ref.name), ref.schema ? { schema: ref.schema } : {});
    if (!names.every((n) => getColumn(table, n))) {
      tried.push(`built-in ${ref.name} (lacks some inputs)`);
      continue;
    }
    return reference(table);
  }
  throw new KilnError('NOT_FOUND', `model version ${v.id} (v${v.version}): no training dataset version with its inputs (${tried.join(', ') || 'none recorded'})`);
}

/** The built-in datasets the version's run graph read (none when its run or graph is gone). */
async function builtinDatasetsOf(db: Db, v: ModelVersion): Promise<{ name: string; schema?: ColumnSchema[] }[]> {
  if (!v.runId) return [];
  const [run] = await db.select({ projectId: runs.projectId }).from(runs).where(eq(runs.id, v.runId));
  const g = run ? await getGraph(db, run.projectId, v.graphHash) : null;
  if (!g) return [];
  const out: { name: string; schema?: ColumnSchema[] }[] = [];
  for (const { ref } of graphDatasets(g.doc)) if (ref.source === 'builtin' && !out.some((o) => o.name === ref.name)) out.push({ name: ref.name, ...(ref.schema ? { schema: ref.schema } : {}) });
  return out;
}

function pick(t: Table, names: readonly string[]): Table {
  return { ...t, columns: names.map((n) => getColumn(t, n)!) };
}
