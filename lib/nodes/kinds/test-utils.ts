/**
 * Helpers for the node-kind tests: small hand-built tables, frames and a minimal NodeContext.
 * Test-only; nothing in the catalog imports this file.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { createRng } from '../../rng';
import type { Column, ColumnSchema, Table } from '../../data/table';
import { featureMatrix, ModelRunner, serializeModel, type Predictions } from '../../package/predictor';
import type { ExecEvent, Frame, ModelSpec, NodeContext, NodeKind, PortValues, SerializedModel, TrainedModel } from '../types';
import { train } from './train';

/** Column spec for `makeTable`: numbers (NaN = missing) or strings (null = missing). */
export type ColumnSpec =
  | number[]
  | (string | null)[]
  | { type: 'numeric' | 'boolean' | 'date'; values: number[] }
  | { type: 'categorical'; values: (string | null)[] };

/** Builds a Table from `{ name: values }`; arrays of numbers become numeric columns, others categorical. */
export function makeTable(spec: Record<string, ColumnSpec>): Table {
  const columns: Column[] = Object.entries(spec).map(([name, s]): Column => {
    if (Array.isArray(s)) {
      const numeric = s.length > 0 && s.every((v) => typeof v === 'number');
      if (numeric) return { name, type: 'numeric', values: Float64Array.from(s as number[]) };
      return { name, type: 'categorical', values: (s as (string | null)[]).slice() };
    }
    if (s.type === 'categorical') return { name, type: 'categorical', values: s.values.slice() };
    return { name, type: s.type, values: Float64Array.from(s.values) };
  });
  const nRows = columns[0]?.values.length ?? 0;
  for (const c of columns) {
    if (c.values.length !== nRows) throw new Error(`makeTable: column ${c.name} has ${c.values.length} rows, expected ${nRows}`);
  }
  return { columns, nRows };
}

/** Builds a Frame around `makeTable(spec)`; `split` uses 1 for test rows. */
export function makeFrame(
  spec: Record<string, ColumnSpec>,
  opts: { target?: string; split?: number[] } = {},
): Frame {
  const table = makeTable(spec);
  const inputSchema: ColumnSchema[] = table.columns
    .filter((c) => c.name !== opts.target)
    .map((c) => ({ name: c.name, type: c.type, nullable: true }));
  const frame: Frame = { table, steps: [], inputSchema, datasetHashes: ['test'] };
  if (opts.target !== undefined) frame.target = opts.target;
  if (opts.split) frame.split = Uint8Array.from(opts.split);
  return frame;
}

/** A NodeContext for non-tensor kinds; `logs` collects what the node logged. */
export function makeCtx(
  nodeId = 'n1',
  extra: Partial<NodeContext> = {},
): NodeContext & { logs: { message: string; level: string }[]; events: ExecEvent[] } {
  const logs: { message: string; level: string }[] = [];
  const events: ExecEvent[] = [];
  return {
    nodeId,
    seed: 42,
    signal: new AbortController().signal,
    // these kinds never touch tensors
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    tf: {} as any,
    backend: 'cpu',
    emit: (e) => events.push(e),
    log: (message, level = 'info') => logs.push({ message, level }),
    loadData: () => Promise.reject(new Error('loadData is not available in node-kind tests')),
    ...extra,
    logs,
    events,
  };
}

/**
 * Runs a kind the way the executor does: params parsed by the kind's zod schema (so defaults
 * apply), input on port `data`; returns the output frame.
 */
export async function runKind(
  kind: NodeKind<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  frame: Frame,
  params: Record<string, unknown>,
  ctx: NodeContext = makeCtx(),
): Promise<Frame> {
  const p = kind.params.parse(params);
  const out: PortValues = await kind.run({ data: frame }, p, ctx);
  return out.data as Frame;
}

/** Plain arrays of a table's columns (NaN kept), for `toEqual` comparisons. */
export function columnsOf(t: Table): Record<string, (number | string | null)[]> {
  // fromEntries defines own properties, so a column named "__proto__" stays a column
  return Object.fromEntries(t.columns.map((c) => [c.name, Array.from(c.values as ArrayLike<number | string | null>)]));
}

/** Replays every fitted step of `frame` on `raw` via the registered kinds' `apply`. */
export function replaySteps(frame: Frame, raw: Table, kinds: Record<string, NodeKind<any>>): Table { // eslint-disable-line @typescript-eslint/no-explicit-any
  let t = raw;
  for (const s of frame.steps) {
    const k = kinds[s.kind];
    if (!k?.apply) throw new Error(`no apply for step kind ${s.kind}`);
    // state goes through JSON, as it does inside a model package
    t = k.apply(JSON.parse(JSON.stringify(s.state)), t);
  }
  return t;
}

/** A NodeContext with real tfjs, for the model, train, ensemble and evaluate kinds (set the backend first). */
export function makeTfCtx(tf: typeof tfTypes, nodeId = 'n1', extra: Partial<NodeContext> = {}): ReturnType<typeof makeCtx> {
  return makeCtx(nodeId, { tf, backend: tf.getBackend(), ...extra });
}

/** The ModelSpec a model kind puts on its `model` port, params parsed as the executor would. */
export async function modelSpec(kind: NodeKind<any>, params: Record<string, unknown>, tf: typeof tfTypes, nodeId = 'model'): Promise<ModelSpec> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = await kind.run({}, kind.params.parse(params), makeTfCtx(tf, nodeId));
  return out.model as ModelSpec;
}

/**
 * Trains a model kind on `frame` through the real train kind (seeded, deterministic on cpu).
 * Returns the trained model and the train context (its logs and epoch events).
 */
export async function trainKind(
  kind: NodeKind<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  modelParams: Record<string, unknown>,
  frame: Frame,
  trainParams: Record<string, unknown>,
  tf: typeof tfTypes,
): Promise<{ trained: TrainedModel; ctx: ReturnType<typeof makeCtx> }> {
  const spec = await modelSpec(kind, modelParams, tf);
  const p = train.params.parse(trainParams);
  // The executor gives a node with a `seed` param that seed (else one derived from the graph's).
  const ctx = makeTfCtx(tf, 'train', p.seed !== undefined ? { seed: p.seed } : {});
  const out = await train.run({ data: frame, model: spec }, p, ctx);
  return { trained: out.trained as TrainedModel, ctx };
}

/** Predictions of a trained model for rows of its own frame (default: every row). */
export async function predictRows(tf: typeof tfTypes, trained: TrainedModel, rows?: number[]): Promise<Predictions> {
  const r = rows ?? Array.from({ length: trained.frame.table.nRows }, (_, i) => i);
  const runner = await ModelRunner.load(tf, trained);
  try {
    return await runner.predictMatrix(featureMatrix(trained.frame.table, trained.features, r), r.length);
  } finally {
    runner.dispose();
  }
}

/** A serialized model's weights by tfjs weight name (e.g. "dense_Dense1/kernel"), as plain numbers. */
export function memberWeights(m: SerializedModel): Record<string, { shape: number[]; values: number[] }> {
  const out: Record<string, { shape: number[]; values: number[] }> = {};
  let offset = 0;
  for (const s of m.weightSpecs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32') throw new Error(`memberWeights: ${s.name} is ${s.dtype}`);
    out[s.name] = { shape: s.shape, values: Array.from(new Float32Array(m.weightData, offset, n)) };
    offset += n * 4;
  }
  return out;
}

/** The kernel of a linear model's single dense layer: one coefficient per feature (standardised target units). */
export function linearCoefficients(m: SerializedModel): number[] {
  const kernels = Object.entries(memberWeights(m)).filter(([name]) => name.endsWith('/kernel'));
  if (kernels.length !== 1) throw new Error(`linearCoefficients: ${kernels.length} kernels in ${m.name}`);
  return kernels[0]![1].values;
}

/**
 * A regression frame: features x0..x{k-1} uniform on [-√3, √3] (unit variance) and
 * y = Σ coefs[j]·xj + bias + noise·N(0,1)-ish, all from a seeded generator.
 */
export function linearFrame(n: number, coefs: number[], opts: { bias?: number; noise?: number; seed?: number; split?: number[] } = {}): Frame {
  const rng = createRng(opts.seed ?? 1);
  const r3 = Math.sqrt(3);
  const xs = coefs.map(() => new Array<number>(n));
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let v = opts.bias ?? 0;
    coefs.forEach((c, j) => {
      const x = (rng() * 2 - 1) * r3;
      xs[j]![i] = x;
      v += c * x;
    });
    // sum of three uniforms: close enough to normal, mean 0, variance 1
    y[i] = v + (opts.noise ?? 0) * ((rng() + rng() + rng() - 1.5) * 2);
  }
  const spec: Record<string, number[]> = Object.fromEntries(xs.map((v, j) => [`x${j}`, v]));
  spec.y = y;
  return makeFrame(spec, { target: 'y', ...(opts.split ? { split: opts.split } : {}) });
}

/**
 * A trained model with known weights, no training: `w·x + b` on the single feature `x`, as a
 * regression value or (with `labels`) through a sigmoid as P(labels[1]); for the kinds that
 * consume trained models (evaluate, ensemble).
 */
export async function fixedLinearModel(
  tf: typeof tfTypes,
  frame: Frame,
  w: number,
  b: number,
  opts: { labels?: [string, string]; name?: string } = {},
): Promise<TrainedModel> {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1], activation: opts.labels ? 'sigmoid' : 'linear', weights: [tf.tensor2d([[w]]), tf.tensor1d([b])] }));
  try {
    const member = await serializeModel(tf, model, [[0]], [false], opts.name ?? `${w}x+${b}`);
    const task = opts.labels ? ('classification' as const) : ('regression' as const);
    return { members: [member], features: ['x'], task, ...(opts.labels ? { labels: opts.labels } : {}), target: frame.target!, frame, history: [], seed: 1 };
  } finally {
    model.dispose();
  }
}
