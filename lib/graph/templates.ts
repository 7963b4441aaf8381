import { inferSchema } from '../data/infer';
import type { ColumnSchema, Table } from '../data/table';
import { KilnError } from '../errors';
import { GRAPH_VERSION, type Graph } from './schema';
import { trainEdges } from './wiring';

export interface InitOptions {
  schema: ColumnSchema[];
  target: string;
  task?: 'regression' | 'classification';
  model?: 'linear' | 'mlp';
  /** dataset reference written into the dataset node */
  source: { source: 'builtin' | 'input'; name: string };
  /** distinct values per categorical column: high-cardinality ones (names, ids) are dropped */
  uniqueCounts?: Record<string, number>;
  /** file name for error messages */
  file?: string;
  seed?: number;
}

/**
 * A sensible starting pipeline for a table and a target, like PyCaret's setup(data, target):
 * split → impute → encode → scale → model → train → evaluate. The task is inferred from the
 * target's type when not given.
 */
export function initGraph(o: InitOptions): { graph: Graph; task: 'regression' | 'classification' } {
  const file = o.file ?? o.source.name;
  const t = o.schema.find((c) => c.name === o.target);
  if (!t) {
    throw new KilnError('MISSING_COLUMN', `${file}: target column "${o.target}" not found (columns: ${o.schema.map((c) => c.name).join(', ')})`, {
      file,
      column: o.target,
    });
  }
  const task = o.task ?? (t.type === 'categorical' || t.type === 'boolean' ? 'classification' : 'regression');
  if (task === 'regression' && t.type === 'categorical') {
    throw new KilnError('TASK_MISMATCH', `${file}: target "${o.target}" is categorical; use --task classification`, { file, column: o.target });
  }
  // Identifier-like text columns (e.g. car names) cannot be one-hot encoded usefully.
  const MAX_CATEGORIES = 50;
  const dropped = o.schema.filter((c) => c.name !== o.target && c.type === 'categorical' && (o.uniqueCounts?.[c.name] ?? 0) > MAX_CATEGORIES).map((c) => c.name);
  const features = o.schema.filter((c) => c.name !== o.target && !dropped.includes(c.name));
  const hasCategorical = features.some((c) => c.type === 'categorical');
  const hasMissing = features.some((c) => c.nullable);
  const model = o.model ?? 'linear';
  const nodes: Graph['nodes'] = [];
  const edges: Graph['edges'] = [];
  let prev = 'data';
  let x = 0;
  const add = (id: string, kind: string, params: Record<string, unknown>, from?: string) => {
    nodes.push({ id, kind, params, position: { x: (x += 220), y: 100 } });
    if (from) edges.push({ source: from, sourcePort: 'data', target: id, targetPort: 'data' });
    prev = id;
  };
  nodes.push({
    id: 'data',
    kind: 'dataset',
    params: { ...o.source, target: o.target, schema: o.schema.map(({ name, type, nullable }) => ({ name, type, nullable })) },
    position: { x: 0, y: 100 },
  });
  if (dropped.length) add('drop_ids', 'drop_columns', { columns: dropped }, prev);
  add('split', 'split', { testFraction: 0.2, stratify: task === 'classification' }, prev);
  // Dates and booleans are numbers too (epoch ms, 0/1): name them so they are imputed and scaled.
  const numeric = features.filter((c) => c.type !== 'categorical');
  const numericMissing = numeric.filter((c) => c.nullable).map((c) => c.name);
  const categoricalMissing = features.filter((c) => c.type === 'categorical' && c.nullable).map((c) => c.name);
  if (hasMissing) {
    if (numericMissing.length) add('impute_numeric', 'impute', { strategy: 'median', columns: numericMissing }, prev);
    if (categoricalMissing.length) add('impute_categorical', 'impute', { strategy: 'most_frequent', columns: categoricalMissing }, prev);
  }
  if (hasCategorical) add('encode', 'one_hot', { handleUnknown: 'ignore' }, prev);
  if (numeric.length) add('scale', 'standard_scale', { columns: numeric.map((c) => c.name) }, prev);
  const modelKind = model === 'mlp' ? 'mlp' : task === 'regression' ? 'linear_regression' : 'logistic_regression';
  const modelParams: Record<string, unknown> =
    model === 'mlp' ? { layers: [{ units: 64, activation: 'relu', dropout: 0 }, { units: 32, activation: 'relu', dropout: 0 }], l2: 0 } : modelKind === 'linear_regression' ? { regularization: 'none' } : {};
  nodes.push({ id: 'model', kind: modelKind, params: modelParams, position: { x, y: 260 } });
  const trainParams =
    model === 'mlp'
      ? { optimizer: 'adam', learningRate: 0.003, epochs: 300, batchSize: 32, validationFraction: 0.1, patience: 30 }
      : // A convex model cannot overfit by training longer: use every training row and stop when the loss stops improving.
        { optimizer: 'adam', learningRate: 0.03, epochs: 500, batchSize: 32, validationFraction: 0, patience: 25 };
  nodes.push({ id: 'train', kind: 'train', params: { task, ...trainParams }, position: { x: (x += 220), y: 100 } });
  nodes.push({ id: 'evaluate', kind: 'evaluate', params: { gates: [] }, position: { x: (x += 220), y: 100 } });
  edges.push(...trainEdges({ data: prev, model: 'model', train: 'train', evaluate: 'evaluate' }));
  wrapLayout(nodes);
  return { graph: { version: GRAPH_VERSION, name: `${o.target} (${task}, ${model})`, seed: o.seed ?? 42, nodes, edges }, task };
}

/**
 * Lays the main chain out in rows of four, like wrapped text, with the model under the node
 * before `train`: a long pipeline then fits a canvas at a readable zoom. Layout only (not hashed).
 */
function wrapLayout(nodes: Graph['nodes']): void {
  const PER_ROW = 4;
  const DX = 230;
  const DY = 190;
  const chain = nodes.filter((n) => n.id !== 'model');
  chain.forEach((n, i) => {
    n.position = { x: (i % PER_ROW) * DX, y: Math.floor(i / PER_ROW) * DY };
  });
  const train = nodes.find((n) => n.id === 'train')?.position;
  const model = nodes.find((n) => n.id === 'model');
  if (train && model) model.position = { x: Math.max(0, train.x - DX), y: train.y + 95 };
}

/**
 * `initGraph` for a parsed table: infers the schema and counts the distinct values of each
 * categorical column (so identifier-like columns are dropped).
 */
export function initGraphFromTable(table: Table, o: Omit<InitOptions, 'schema' | 'uniqueCounts'>): ReturnType<typeof initGraph> {
  const uniqueCounts: Record<string, number> = {};
  for (const c of table.columns) if (c.type === 'categorical') uniqueCounts[c.name] = new Set(c.values.filter((v) => v !== null)).size;
  return initGraph({ ...o, schema: inferSchema(table), uniqueCounts });
}
