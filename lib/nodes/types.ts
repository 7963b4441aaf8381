import type { z } from 'zod';
import type * as tf from '@tensorflow/tfjs';
import type { PortSpec } from '../graph/schema';
import type { ColumnSchema, Table } from '../data/table';
import type { DataSchema } from '../sketch/data-schema';
import type { DataSource } from '../data/source';

/** One fitted, serialisable preprocessing step, replayed at serving time by its kind's `apply`. */
export interface FittedStep {
  kind: string;
  nodeId: string;
  /** JSON-serialisable fitted state (means, vocabularies, components …) */
  state: unknown;
}

/** The value on a `table` port: the data plus what was fitted to make it. */
export interface Frame {
  table: Table;
  /** per-row role: 0 = train, 1 = test. Absent: every row is a training row. */
  split?: Uint8Array;
  /** the column to predict, fixed by the dataset node */
  target?: string;
  /** fitted steps to replay on raw records (serving), in order */
  steps: FittedStep[];
  /** the raw input the package will accept: source columns minus target and dropped columns */
  inputSchema: ColumnSchema[];
  /**
   * The raw source columns' data schema (lib/sketch: types, ranges, category domains, missing
   * rates), inferred from sketches of every row the dataset node read; the package keeps the
   * input columns' part so serving can tag OUT_OF_RANGE.
   */
  rawSchema?: DataSchema;
  /** content hashes of the datasets this frame came from (lineage) */
  datasetHashes: string[];
}

export type Task = 'regression' | 'classification';

/** What a model builder learns about the data just before training. */
export interface BuildInfo {
  features: string[];
  task: Task;
  /** output units: 1 for regression and binary classification, K for K classes */
  outputUnits: number;
  /** 'linear' | 'sigmoid' | 'softmax' chosen from task and classes */
  outputActivation: 'linear' | 'sigmoid' | 'softmax';
  seed: number;
  /** number of distinct codes per feature, for ordinal-encoded columns (embedding models) */
  cardinality: Record<string, number>;
  tf: typeof tf;
}

/** The value on a `model` port: an untrained architecture. */
export interface ModelSpec {
  kind: string;
  nodeId: string;
  /** display name, e.g. "MLP 64-64" */
  name: string;
  /** tasks this architecture can learn */
  tasks: Task[];
  build(info: BuildInfo): tf.LayersModel;
  /** column indices (into info.features) for each model input; default: one input of all features */
  inputGroups?(info: BuildInfo): number[][];
  /** integer-coded inputs (embeddings) get int32 tensors */
  intInputs?: boolean[];
}

/** tfjs ModelArtifacts kept as plain data, so trained models own no tensors. */
export interface SerializedModel {
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
  /** column indices into `features` per model input */
  inputGroups: number[][];
  /** per input: integer codes (embedding) rather than floats */
  intInputs: boolean[];
  name: string;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  valLoss?: number;
  [k: string]: number | undefined;
}

/** The value on a `trained` port. Several members = an ensemble (averaged). */
export interface TrainedModel {
  members: SerializedModel[];
  features: string[];
  task: Task;
  target: string;
  labels?: string[];
  /** regression targets are standardised during training; predictions are mapped back */
  targetScale?: { mean: number; std: number };
  /** the data the model was trained on (steps, test rows) */
  frame: Frame;
  history: EpochMetrics[];
  seed: number;
  stoppedEarly?: boolean;
}

export interface GateResult {
  expr: string;
  metric: string;
  op: string;
  threshold: number;
  value: number | null;
  passed: boolean;
  /** how far from passing (0 when passed) */
  margin: number;
}

/** The value on a `metrics` port. */
export interface Evaluation {
  task: Task;
  metrics: Record<string, number>;
  gates: GateResult[];
  nTest: number;
  /** predictions on the test rows: numbers (regression) or class probabilities */
  predictions: number[] | number[][];
  actual: number[] | string[];
  labels?: string[];
  confusion?: number[][];
}

export type ExecEvent =
  | { type: 'node-start'; nodeId: string; kind: string }
  | { type: 'node-finish'; nodeId: string; kind: string; cached: boolean; ms: number }
  | { type: 'node-error'; nodeId: string; kind: string; message: string }
  | { type: 'epoch'; nodeId: string; metrics: EpochMetrics }
  | { type: 'log'; nodeId: string; level: 'info' | 'warn'; message: string };

/** Defined with parsing (lib/data/source.ts), which must not import the node catalog's types. */
export type { DataSource };

/** One call of a custom node's code: the host decides where it runs (a Web Worker, a sandboxed process). */
export interface CustomCodeRequest {
  /** JS source of a function `(rows, config) => rows` (may be async) */
  code: string;
  rows: Record<string, unknown>[];
  config: Record<string, unknown>;
  nodeId: string;
  signal: AbortSignal;
  /** receives what the code printed with console.log */
  log?: (line: string) => void;
}

/**
 * Runs custom code and resolves with what the function returned (checked by the `custom` kind).
 * Rejects with an Error whose message is one line without the node prefix, e.g.
 * "exceeded the time limit (10 s)".
 */
export type RunCustom = (req: CustomCodeRequest) => Promise<unknown>;

/** What a node run receives beyond its inputs and params. */
export interface NodeContext {
  nodeId: string;
  /** the node's seed: its `seed` param if any, else derived from the graph seed and node id */
  seed: number;
  signal: AbortSignal;
  tf: typeof tf;
  backend: string;
  emit(e: ExecEvent): void;
  log(message: string, level?: 'info' | 'warn'): void;
  /** resolves a dataset reference: built-in vega name or caller-supplied input name */
  loadData(ref: { builtin?: string; input?: string }): Promise<DataSource>;
  /** when set, split nodes keep every row for training and evaluate nodes score this raw table */
  testData?: Table;
  /** runs a `custom` node's code; absent where this environment cannot run user code */
  runCustom?: RunCustom;
}

export type PortValues = Record<string, unknown>;

/** A dataset a node reads, as its params name it. */
export interface DatasetRef {
  /** `builtin`: a vega-datasets file; `input`: data the caller gives (upload, `--data`) */
  source: 'builtin' | 'input';
  name: string;
  /** the columns and types the node declares for this data, if any */
  schema?: ColumnSchema[];
  /** the column the node predicts, if it names one (param `target`) */
  target?: string;
}

/**
 * One step of a kind's params history: turns params written for version `from` into params for
 * `from + 1` (tldraw's per-shape migrations). Gets a copy; returns the new params.
 */
export interface ParamsMigration {
  from: number;
  up(params: Record<string, unknown>): Record<string, unknown>;
}

/**
 * What a kind's fitted step holds, declared by the kind: the state's schema (checked when a
 * package is read or a step replayed) and what other code may ask of it.
 */
export interface FittedStateSpec<S = unknown> {
  schema: z.ZodType<S>;
  /** raw-or-derived columns the step needs at serving time (select/drop keep these inputs); null = any column (custom code) */
  reads(state: S): string[] | null;
  /** distinct codes per column this step produced (ordinal codes feed embedding models) */
  cardinality?(state: S): Record<string, number>;
  /**
   * A typical raw value per input column this step learned (an imputation fill, a scaler's mean,
   * an encoder's first category): sample requests for serveability checks and snippets.
   */
  typicalValues?(state: S): Record<string, number | string>;
}

/**
 * What a node means to the graph around it. `evaluation`: its `metrics` output can be the run's
 * verdict (see `verdictNode`); `split`: it decides which rows are test rows; `training`: it fits a
 * model over epochs.
 */
export type NodeRole = 'evaluation' | 'split' | 'training';

/** A node kind: one file in lib/nodes/kinds/, registered in the catalog. */
export interface NodeKind<P = unknown> {
  kind: string;
  label: string;
  category: 'data' | 'preprocess' | 'model' | 'train' | 'evaluate';
  description: string;
  params: z.ZodType<P>;
  /**
   * Version of the params schema (default 1). Bump it when params change shape and add a
   * migration `{ from: old, up }`; nodes carry `paramsVersion` only above 1.
   */
  paramsVersion?: number;
  /** upgrade steps for params written by older versions of this kind, one per version */
  migrations?: ParamsMigration[];
  /**
   * A complete, valid params value: the example shown in forms and docs. Every built-in kind
   * declares one (lib/nodes/graph-queries.test.ts checks that each parses).
   */
  example?: NoInfer<P>;
  /**
   * Every row that comes in goes out, in order (column transforms, models, training): such nodes
   * do not change which rows are test rows. A function when the params decide (custom kinds).
   * Absent = false: the node may drop, add or reorder rows.
   */
  preservesRows?: boolean | ((params: P) => boolean);
  /** the datasets this node reads (source kinds) */
  readsDatasets?(params: P): DatasetRef[];
  role?: NodeRole;
  /** training kinds: the most epochs these params run, and the params with that number changed */
  epochs?: { planned(params: P): number; set(params: Record<string, unknown>, epochs: number): Record<string, unknown> };
  /** kinds whose `run` records a fitted step (so `apply` can replay it) declare its state */
  fitted?: FittedStateSpec;
  /** shown in the palette (default true); false for kinds made from a definition (custom) */
  inPalette?: boolean;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** computes outputs from inputs. Multiple-edge inputs arrive as arrays. */
  run(inputs: PortValues, params: P, ctx: NodeContext): Promise<PortValues>;
  /** replays a fitted step of this kind on a (raw or partly transformed) table: used by serving */
  apply?(state: unknown, table: Table): Table;
  /**
   * Source kinds: a fingerprint of what they read (e.g. the data's content hash), so the cache
   * re-runs them when the data changes under the same params.
   */
  sourceKey?(params: P, ctx: NodeContext): Promise<string>;
}
