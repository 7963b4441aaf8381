import type * as tfTypes from '@tensorflow/tfjs';
import { KilnError } from '../errors';
import type { Table } from '../data/table';
import { getNodeKind } from '../nodes/registry';
import type { FittedStep, SerializedModel, Task } from '../nodes/types';
import { outputsToPredictions, type Predictions } from './outputs';

export type { Predictions } from './outputs';

type TF = typeof tfTypes;

/** What is needed to predict: the trained members and how to read their inputs and outputs. */
export interface PredictableModel {
  members: SerializedModel[];
  features: string[];
  task: Task;
  labels?: string[];
  targetScale?: { mean: number; std: number };
}


/** Replays fitted preprocessing steps on a raw table, in order: the one transform path for evaluation and serving. */
export function applySteps(steps: FittedStep[], table: Table): Table {
  let t = table;
  for (const s of steps) {
    const kind = getNodeKind(s.kind);
    if (!kind?.apply) throw new KilnError('UNKNOWN_STEP', `preprocessing step "${s.kind}" (node "${s.nodeId}") cannot be replayed: unknown kind`, { nodeId: s.nodeId });
    t = kind.apply(s.state, t);
  }
  return t;
}

/** Row-major float matrix of the feature columns; fails naming the column and row of a bad value. */
export function featureMatrix(table: Table, features: string[], rows?: ArrayLike<number>): Float32Array {
  const n = rows ? rows.length : table.nRows;
  const f = features.length;
  const out = new Float32Array(n * f);
  features.forEach((name, j) => {
    const c = table.columns.find((x) => x.name === name);
    if (!c) throw new KilnError('MISSING_COLUMN', `column "${name}" is missing`, { column: name });
    if (c.type === 'categorical') {
      throw new KilnError('COLUMN_TYPE', `column "${name}" is categorical; encode it (one_hot or ordinal_encode) before the model`, { column: name });
    }
    const v = c.values;
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[i]! : i;
      const x = v[r]!;
      if (Number.isNaN(x)) {
        throw new KilnError('MISSING_VALUE', `column "${name}" row ${r + 1} is missing; add an impute node before the model`, { column: name, row: r + 1 });
      }
      out[i * f + j] = x;
    }
  });
  return out;
}

/** Splits a feature matrix into one tensor per model input group. */
export function inputTensors(tf: TF, x: Float32Array, n: number, nFeatures: number, groups: number[][], intInputs: boolean[]): tfTypes.Tensor[] {
  return groups.map((g, gi) => {
    const buf = intInputs[gi] ? new Int32Array(n * g.length) : new Float32Array(n * g.length);
    for (let i = 0; i < n; i++) for (let k = 0; k < g.length; k++) buf[i * g.length + k] = x[i * nFeatures + g[k]!]!;
    return tf.tensor2d(buf, [n, g.length], intInputs[gi] ? 'int32' : 'float32');
  });
}

/** Loads a serialized member into a live tfjs model (the caller disposes it). */
export async function loadMember(tf: TF, m: SerializedModel): Promise<tfTypes.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: m.modelTopology as object, weightSpecs: m.weightSpecs as tfTypes.io.WeightsManifestEntry[], weightData: m.weightData }),
  );
}

/**
 * Live models for one trained model (all ensemble members), ready to predict. Holds tensors
 * until `dispose()`.
 */
export class ModelRunner {
  private constructor(
    private readonly tf: TF,
    readonly model: PredictableModel,
    private readonly live: tfTypes.LayersModel[],
  ) {}

  static async load(tf: TF, model: PredictableModel): Promise<ModelRunner> {
    const live: tfTypes.LayersModel[] = [];
    try {
      for (const m of model.members) live.push(await loadMember(tf, m));
    } catch (e) {
      live.forEach((l) => l.dispose());
      throw e;
    }
    return new ModelRunner(tf, model, live);
  }

  /** Predicts from a row-major feature matrix of n rows. Ensemble members are averaged. */
  async predictMatrix(x: Float32Array, n: number): Promise<Predictions> {
    const { tf, model } = this;
    const f = model.features.length;
    if (n === 0) return model.task === 'regression' ? { n, values: new Float32Array(0) } : { n, probs: new Float32Array(0), classes: model.labels?.length ?? 0 };
    const outs: Float32Array[] = [];
    for (const [i, live] of this.live.entries()) {
      const m = model.members[i]!;
      const xs = inputTensors(tf, x, n, f, m.inputGroups, m.intInputs);
      // One batch: tfjs's default of 32 rows per batch makes 1,000 rows ~5× slower on wasm.
      const y = live.predict(xs.length === 1 ? xs[0]! : xs, { batchSize: Math.max(1, n) }) as tfTypes.Tensor;
      try {
        outs.push((await y.data()) as Float32Array);
      } finally {
        y.dispose();
        xs.forEach((t) => t.dispose());
      }
    }
    const width = outs[0]!.length / n;
    const avg = new Float32Array(outs[0]!.length);
    for (const o of outs) for (let i = 0; i < avg.length; i++) avg[i]! += o[i]! / outs.length;
    return outputsToPredictions(avg, n, width, model);
  }

  /** Input and output shapes of each live member (`null` = any size), to check a loaded package against its manifest. */
  shapes(): { inputs: (number | null)[][]; outputs: (number | null)[][] }[] {
    return this.live.map((l) => ({ inputs: l.inputs.map((t) => [...t.shape]), outputs: l.outputs.map((t) => [...t.shape]) }));
  }

  dispose(): void {
    this.live.forEach((l) => l.dispose());
    this.live.length = 0;
  }
}

/** Serializes a live model to plain data (no tensors kept). */
export async function serializeModel(tf: TF, model: tfTypes.LayersModel, inputGroups: number[][], intInputs: boolean[], name: string): Promise<SerializedModel> {
  let art: tfTypes.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!art?.weightData || !art.weightSpecs) throw new Error('tfjs did not produce weights');
  const wd = art.weightData;
  const weightData = Array.isArray(wd) ? concatBuffers(wd) : wd;
  return {
    modelTopology: art.modelTopology,
    weightSpecs: art.weightSpecs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
    weightData,
    inputGroups,
    intInputs,
    name,
  };
}

function concatBuffers(bufs: ArrayBuffer[]): ArrayBuffer {
  const total = bufs.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of bufs) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}
