/**
 * The model package manifest (`kiln-model.json`): one zod schema, the type derived from it.
 *
 * A package is a directory (or an in-memory map of relative path → bytes):
 * ```
 * kiln-model.json          this manifest
 * models/0/model.json      tfjs LayersModel format (modelTopology + weightsManifest)
 * models/0/weights.bin
 * models/1/…               one folder per ensemble member
 * ```
 */
import { z } from 'zod';
import { columnSchemaSchema } from '../data/column-schema';
import { dataSchemaSchema } from '../sketch/data-schema';

/** Name of the manifest file at the package root. */
export const MANIFEST_FILE = 'kiln-model.json';

/** The newest manifest format this code reads and the one it writes. */
export const FORMAT_VERSION = 1;

/**
 * Caps checked before anything is allocated from a package's declared shapes, so a hostile or
 * corrupt package cannot make a reader allocate gigabytes.
 */
export const PACKAGE_LIMITS = {
  /** largest dimension of one weight */
  maxDim: 1e8,
  /** total weight elements in a package (2^28 ≈ 268M: 1 GiB of float32) */
  maxTotalElements: 2 ** 28,
  /** kiln-model.json and each model.json */
  maxJsonBytes: 64 * 1024 * 1024,
  /** ensemble members */
  maxMembers: 256,
} as const;

/** Weight dtypes a package may hold, with their size in bytes (tfjs's on-disk encoding). */
export const WEIGHT_DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * A number that may have been NaN or ±Infinity in memory: JSON writes those as `null`, so the
 * manifest stores them as `null` explicitly (see `finiteOrNull`).
 */
const jsonNumber = z.number().nullable();

export const fittedStepSchema = z.object({
  kind: z.string().min(1),
  nodeId: z.string(),
  state: z.unknown(),
});

export const memberEntrySchema = z.object({
  /** package-relative path of the member's model.json */
  path: z.string().min(1),
  name: z.string(),
  /** column indices into `features` per model input */
  inputGroups: z.array(z.array(z.number().int().nonnegative()).min(1)).min(1),
  /** per input: integer codes (embedding) rather than floats */
  intInputs: z.array(z.boolean()),
});

export const outputSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('number'), name: z.string().min(1) }),
  z.object({ type: z.literal('class'), labels: z.array(z.string()).min(2), probabilities: z.literal(true) }),
]);

const numericStatsSchema = z.object({
  name: z.string(),
  type: z.enum(['numeric', 'boolean', 'date']),
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  mean: jsonNumber,
  std: jsonNumber,
  min: jsonNumber,
  max: jsonNumber,
  quantiles: z.object({ p05: jsonNumber, p25: jsonNumber, p50: jsonNumber, p75: jsonNumber, p95: jsonNumber }),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int().nonnegative()) }),
});

const categoricalStatsSchema = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  unique: z.number().int().nonnegative(),
  top: z.array(z.object({ value: z.string(), count: z.number().int().nonnegative() })),
});

/** Statistics of one column of the training rows, as stored (NaN → null). */
export const storedColumnStatsSchema = z.discriminatedUnion('type', [
  numericStatsSchema.extend({ type: z.literal('numeric') }),
  numericStatsSchema.extend({ type: z.literal('boolean') }),
  numericStatsSchema.extend({ type: z.literal('date') }),
  categoricalStatsSchema,
]);
export type StoredColumnStats = z.infer<typeof storedColumnStatsSchema>;

export const trainingStatsSchema = z.object({
  /** training rows the statistics were computed on */
  nRows: z.number().int().nonnegative(),
  /** one entry per model feature, after preprocessing, in `features` order */
  features: z.array(storedColumnStatsSchema),
  /** the target column of the training rows */
  target: storedColumnStatsSchema.optional(),
});
export type TrainingStats = z.infer<typeof trainingStatsSchema>;

export const gateResultSchema = z.object({
  expr: z.string(),
  metric: z.string(),
  op: z.string(),
  threshold: z.number(),
  value: jsonNumber,
  passed: z.boolean(),
  margin: jsonNumber,
});

export const lineageSchema = z.object({
  /** canonical hash of the graph that trained the model */
  graphHash: z.string(),
  /** content hashes of the datasets the model was trained on */
  datasetHashes: z.array(z.string()),
  /** tfjs backend used for training (webgpu, wasm, cpu …) */
  backend: z.string(),
  /** device description (GPU adapter name or CPU) */
  device: z.string(),
  seed: z.number().int(),
  kilnVersion: z.string(),
});
export type Lineage = z.infer<typeof lineageSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  name: z.string().min(1),
  kilnVersion: z.string(),
  createdAt: z.iso.datetime(),
  task: z.enum(['regression', 'classification']),
  target: z.string().min(1),
  labels: z.array(z.string()).min(2).optional(),
  targetScale: z.object({ mean: z.number(), std: z.number() }).optional(),
  /** the raw fields a prediction request must supply */
  inputSchema: z.array(columnSchemaSchema),
  output: outputSpecSchema,
  /** fitted steps replayed on request records, in order */
  preprocessing: z.array(fittedStepSchema),
  /** model input columns after preprocessing, in matrix order */
  features: z.array(z.string()).min(1),
  members: z.array(memberEntrySchema).min(1).max(PACKAGE_LIMITS.maxMembers),
  metrics: z.record(z.string(), jsonNumber).optional(),
  gates: z.array(gateResultSchema).optional(),
  trainingStats: trainingStatsSchema,
  /**
   * The raw input columns' data schema from the training data (numeric ranges, category domains,
   * expected missing rates): what serving tags OUT_OF_RANGE and the rest against. Absent from
   * packages built before it existed (serving then derives a schema without ranges).
   */
  inputDataSchema: dataSchemaSchema.optional(),
  lineage: lineageSchema,
});

/** The parsed `kiln-model.json`. */
export type Manifest = z.infer<typeof manifestSchema>;

/** One weight's spec inside a tfjs `weightsManifest` group. */
export const weightSpecSchema = z.object({
  name: z.string(),
  // Shapes are checked by hand (integer, bounds) so the message can name the weight and the limit.
  shape: z.array(z.number()),
  dtype: z.string(),
  quantization: z.unknown().optional(),
});

/** A member's `model.json`: the tfjs LayersModel file format. */
export const modelJsonSchema = z.object({
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(weightSpecSchema) })),
});
export type ModelJson = z.infer<typeof modelJsonSchema>;

/** NaN and ±Infinity as `null`, the value JSON would write, so a manifest equals its round trip. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A zod issue path as `members[0].path`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}
