/**
 * Building a model package from a trained model: manifest, one tfjs model folder per member,
 * training statistics and lineage. Pure data in, file map out, so the browser can build one too.
 */
import { KilnError } from '../errors';
import { columnStats, type ColumnStats } from '../data/stats';
import { getColumn, takeRows, type Column } from '../data/table';
import type { Evaluation, TrainedModel } from '../nodes/types';
import type { DataSchema } from '../sketch/data-schema';
import {
  FORMAT_VERSION,
  MANIFEST_FILE,
  finiteOrNull,
  type Manifest,
  type ModelJson,
  type StoredColumnStats,
  type TrainingStats,
} from './manifest';
import { validatePackage, type PackageFiles } from './validate';

export interface BuildPackageOptions {
  /** model name (registry name), stored in the manifest */
  name: string;
  /** test-set evaluation whose metrics and gates are recorded */
  evaluation?: Evaluation;
  lineage: {
    graphHash: string;
    backend: string;
    device: string;
    /** default: the trained frame's dataset hashes */
    datasetHashes?: string[];
    /** default: the trained model's seed */
    seed?: number;
    /** default: `kilnVersion` */
    kilnVersion?: string;
  };
  kilnVersion: string;
  /** default: now; fixed by callers that need byte-identical packages */
  createdAt?: Date | string;
}

const encoder = new TextEncoder();

/** JSON with typed arrays written as arrays, so fitted state always survives the round trip. */
function toJson(value: unknown, indent?: number): Uint8Array {
  const text = JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v), indent);
  return encoder.encode(text);
}

function storeStats(s: ColumnStats): StoredColumnStats {
  if (s.type === 'categorical') return { ...s, top: s.top.map((t) => ({ ...t })) };
  return {
    ...s,
    mean: finiteOrNull(s.mean),
    std: finiteOrNull(s.std),
    min: finiteOrNull(s.min),
    max: finiteOrNull(s.max),
    quantiles: {
      p05: finiteOrNull(s.quantiles.p05),
      p25: finiteOrNull(s.quantiles.p25),
      p50: finiteOrNull(s.quantiles.p50),
      p75: finiteOrNull(s.quantiles.p75),
      p95: finiteOrNull(s.quantiles.p95),
    },
    histogram: { edges: [...s.histogram.edges], counts: [...s.histogram.counts] },
  };
}

/** The raw data schema's input columns, in input-schema order (target and dropped columns left out). */
export function inputDataSchema(raw: DataSchema, inputs: readonly { name: string }[]): DataSchema {
  const by = new Map(raw.columns.map((c) => [c.name, c]));
  return { version: raw.version, columns: inputs.flatMap((c) => (by.has(c.name) ? [structuredClone(by.get(c.name)!)] : [])) };
}

/** Statistics of the model's features (after preprocessing) and target over the training rows. */
export function trainingStatistics(trained: TrainedModel): TrainingStats {
  const { table, split } = trained.frame;
  const pick = (name: string, what: string): Column => {
    const c = getColumn(table, name);
    if (!c) throw new KilnError('MISSING_COLUMN', `package: ${what} column "${name}" is not in the trained frame's table`, { column: name });
    return c;
  };
  const cols = trained.features.map((f) => pick(f, 'feature'));
  const targetCol = getColumn(table, trained.target);
  if (targetCol) cols.push(targetCol);
  let sub = { columns: cols, nRows: table.nRows };
  if (split) {
    const rows: number[] = [];
    for (let i = 0; i < table.nRows; i++) if (split[i] === 0) rows.push(i);
    sub = takeRows(sub, rows);
  }
  const stats = sub.columns.map((c) => storeStats(columnStats(c)));
  const out: TrainingStats = { nRows: sub.nRows, features: stats.slice(0, trained.features.length) };
  if (targetCol) out.target = stats[stats.length - 1]!;
  return out;
}

/**
 * Builds a model package (relative path → bytes) from a trained model. The result is checked
 * with `validatePackage` before it is returned, so a built package always reads back.
 *
 * @throws KilnError when the trained model is inconsistent (no members, classification without
 *   labels, a feature missing from its frame) or the package would not validate (e.g. a
 *   preprocessing step whose kind cannot be replayed).
 */
export function buildPackage(trained: TrainedModel, opts: BuildPackageOptions): PackageFiles {
  if (trained.members.length === 0) throw new KilnError('PACKAGE_BUILD', 'package: the trained model has no members');
  if (trained.task === 'classification' && !trained.labels?.length) {
    throw new KilnError('PACKAGE_BUILD', 'package: a classification model needs its class labels');
  }
  const files: PackageFiles = new Map();
  const members: Manifest['members'] = trained.members.map((m, i) => {
    const dir = `models/${i}`;
    const modelJson: ModelJson = {
      format: 'layers-model',
      generatedBy: `kiln ${opts.kilnVersion}`,
      convertedBy: null,
      modelTopology: m.modelTopology as Record<string, unknown>,
      weightsManifest: [{ paths: ['weights.bin'], weights: m.weightSpecs.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype })) }],
    };
    files.set(`${dir}/model.json`, toJson(modelJson));
    files.set(`${dir}/weights.bin`, new Uint8Array(m.weightData));
    return { path: `${dir}/model.json`, name: m.name, inputGroups: m.inputGroups.map((g) => [...g]), intInputs: [...m.intInputs] };
  });

  const createdAt = opts.createdAt === undefined ? new Date() : new Date(opts.createdAt);
  if (Number.isNaN(createdAt.getTime())) throw new KilnError('PACKAGE_BUILD', `package: createdAt ${JSON.stringify(String(opts.createdAt))} is not a date`);
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    name: opts.name,
    kilnVersion: opts.kilnVersion,
    createdAt: createdAt.toISOString(),
    task: trained.task,
    target: trained.target,
    ...(trained.labels ? { labels: [...trained.labels] } : {}),
    ...(trained.targetScale ? { targetScale: { ...trained.targetScale } } : {}),
    inputSchema: trained.frame.inputSchema.map((c) => ({ ...c, ...(c.categories ? { categories: [...c.categories] } : {}) })),
    output:
      trained.task === 'regression'
        ? { type: 'number', name: trained.target }
        : { type: 'class', labels: [...(trained.labels ?? [])], probabilities: true },
    preprocessing: trained.frame.steps.map((s) => ({ kind: s.kind, nodeId: s.nodeId, state: s.state })),
    features: [...trained.features],
    members,
    ...(opts.evaluation
      ? {
          metrics: Object.fromEntries(Object.entries(opts.evaluation.metrics).map(([k, v]) => [k, finiteOrNull(v)])),
          gates: opts.evaluation.gates.map((g) => ({ ...g, value: g.value === null ? null : finiteOrNull(g.value), margin: finiteOrNull(g.margin) })),
        }
      : {}),
    trainingStats: trainingStatistics(trained),
    ...(trained.frame.rawSchema ? { inputDataSchema: inputDataSchema(trained.frame.rawSchema, trained.frame.inputSchema) } : {}),
    lineage: {
      graphHash: opts.lineage.graphHash,
      datasetHashes: [...(opts.lineage.datasetHashes ?? trained.frame.datasetHashes)],
      backend: opts.lineage.backend,
      device: opts.lineage.device,
      seed: opts.lineage.seed ?? trained.seed,
      kilnVersion: opts.lineage.kilnVersion ?? opts.kilnVersion,
    },
  };
  files.set(MANIFEST_FILE, toJson(manifest, 2));

  const v = validatePackage(files);
  if (!v.ok) throw new KilnError(v.error.code, `cannot build package "${opts.name}": ${v.error.message}`, v.error.where);
  return files;
}
