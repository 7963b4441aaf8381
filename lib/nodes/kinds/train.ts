import { z } from 'zod';
import { KilnError } from '../../errors';
import { fitModel, type LossName } from '../../exec/train-loop';
import { featureMatrix, inputTensors, serializeModel } from '../../package/predictor';
import { fitRows, inputFrame } from '../frame-utils';
import { defineNode } from '../registry';
import type { BuildInfo, ModelSpec, Task, TrainedModel } from '../types';
import { stepCardinality } from '../fitted';

export const trainParams = z.object({
  task: z.enum(['auto', 'regression', 'classification']).default('auto').describe('auto: categorical or boolean target → classification, numeric → regression'),
  optimizer: z.enum(['adam', 'sgd', 'rmsprop', 'adagrad']).default('adam').describe('gradient descent variant'),
  learningRate: z.number().positive('learning rate must be > 0').max(10).default(0.01).describe('step size'),
  epochs: z.number().int().min(1).max(10000).default(100).describe('passes over the training rows'),
  batchSize: z.number().int().min(1).max(65536).default(32).describe('rows per gradient step'),
  validationFraction: z.number().min(0).max(0.5).default(0.1).describe('share of training rows held out to watch for overfitting'),
  patience: z.number().int().min(0).max(10000).default(10).describe('early stopping: epochs without improvement before stopping (0 = off)'),
  seed: z.number().int().nonnegative().optional().describe('seed for initial weights, shuffling and the validation split (default: from the graph seed)'),
});

function targetToString(v: number | string | null, type: string): string | null {
  if (v === null) return null;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return null;
    return type === 'boolean' ? (v ? 'true' : 'false') : String(v);
  }
  return v;
}

export const train = defineNode({
  kind: 'train',
  label: 'Train',
  category: 'train',
  description: 'Fits a model to the training rows: seeded mini-batch gradient descent with validation and early stopping.',
  params: trainParams,
  example: { task: 'auto', optimizer: 'adam', learningRate: 0.01, epochs: 100, batchSize: 32, validationFraction: 0.1, patience: 10 },
  role: 'training',
  preservesRows: true,
  epochs: {
    planned: (p) => p.epochs,
    set: (p, epochs) => ({ ...p, epochs }),
  },
  inputs: [
    { name: 'data', type: 'table' },
    { name: 'model', type: 'model' },
  ],
  outputs: [{ name: 'trained', type: 'trained' }],
  async run(inputs, p, ctx) {
    const { tf, nodeId } = ctx;
    const frame = inputFrame(inputs, 'data', nodeId);
    const spec = inputs.model as ModelSpec;
    const target = frame.target;
    if (!target) throw new KilnError('NO_TARGET', `node "${nodeId}": no target column; set param "target" on the dataset node`, { nodeId });
    const tcol = frame.table.columns.find((c) => c.name === target);
    if (!tcol) throw new KilnError('MISSING_COLUMN', `node "${nodeId}": target column "${target}" is no longer in the table (dropped upstream?)`, { nodeId, column: target });

    const task: Task = p.task !== 'auto' ? p.task : tcol.type === 'categorical' || tcol.type === 'boolean' ? 'classification' : 'regression';
    if (!spec.tasks.includes(task)) {
      throw new KilnError('TASK_MISMATCH', `node "${nodeId}": model "${spec.name}" (node "${spec.nodeId}") cannot learn a ${task} target ("${target}" is ${tcol.type})`, { nodeId, port: 'model' });
    }
    if (task === 'regression' && tcol.type === 'categorical') {
      throw new KilnError('TASK_MISMATCH', `node "${nodeId}" param "task": target "${target}" is categorical; regression needs a numeric target`, { nodeId, param: 'task' });
    }

    // Training rows with a known target.
    const all = fitRows(frame);
    const rawTargets = all.map((r) => targetToString(tcol.values[r] as number | string | null, tcol.type));
    const rows = all.filter((_, i) => rawTargets[i] !== null);
    if (rows.length < all.length) ctx.log(`${all.length - rows.length} training rows have no "${target}" and were skipped`, 'warn');
    if (rows.length === 0) throw new KilnError('NO_TRAINING_ROWS', `node "${nodeId}": no training rows with a value for "${target}"`, { nodeId });

    const features = frame.table.columns.filter((c) => c.name !== target).map((c) => c.name);
    if (features.length === 0) throw new KilnError('NO_FEATURES', `node "${nodeId}": no feature columns besides the target`, { nodeId });
    let x: Float32Array;
    try {
      x = featureMatrix(frame.table, features, rows);
    } catch (e) {
      if (e instanceof KilnError) throw new KilnError(e.code, `node "${nodeId}": ${e.message}`, { ...e.where, nodeId });
      throw e;
    }
    const n = rows.length;

    let labels: string[] | undefined;
    let y: Float32Array;
    let outputUnits = 1;
    let outputActivation: BuildInfo['outputActivation'] = 'linear';
    let targetScale: TrainedModel['targetScale'];
    let loss: LossName = 'meanSquaredError';
    if (task === 'classification') {
      const vals = rows.map((r) => targetToString(tcol.values[r] as number | string | null, tcol.type)!);
      labels = [...new Set(vals)].sort();
      if (labels.length < 2) throw new KilnError('ONE_CLASS', `node "${nodeId}": target "${target}" has only one class in the training rows ("${labels[0]}")`, { nodeId, column: target });
      if (labels.length > 1000) throw new KilnError('TOO_MANY_CLASSES', `node "${nodeId}": target "${target}" has ${labels.length} classes (max 1000)`, { nodeId, column: target });
      const index = new Map(labels.map((l, i) => [l, i]));
      if (labels.length === 2) {
        outputActivation = 'sigmoid';
        loss = 'binaryCrossentropy';
        y = Float32Array.from(vals, (v) => index.get(v)!);
      } else {
        outputUnits = labels.length;
        outputActivation = 'softmax';
        loss = 'categoricalCrossentropy';
        y = new Float32Array(n * labels.length);
        vals.forEach((v, i) => (y[i * labels!.length + index.get(v)!] = 1));
      }
    } else {
      const t = Float64Array.from(rows, (r) => tcol.values[r] as number);
      let mean = 0;
      for (const v of t) mean += v / n;
      let varSum = 0;
      for (const v of t) varSum += (v - mean) ** 2;
      const std = Math.sqrt(varSum / n) || 1;
      // Standardising the target lets one learning rate suit targets of any scale.
      targetScale = { mean, std };
      y = Float32Array.from(t, (v) => (v - mean) / std);
    }

    // Each step's kind says how many codes it produced (ordinal encodings size embedding tables).
    const cardinality = stepCardinality(frame.steps);
    const info: BuildInfo = { features, task, outputUnits, outputActivation, seed: ctx.seed, cardinality, tf };
    const groups = spec.inputGroups?.(info) ?? [features.map((_, i) => i)];
    const intInputs = spec.intInputs ?? groups.map(() => false);

    // Graph-mode tfjs models use Math.random for nothing we rely on: every initialiser is seeded.
    const model = spec.build(info);
    const xs = inputTensors(tf, x, n, features.length, groups, intInputs);
    const yT = outputUnits > 1 ? tf.tensor2d(y, [n, outputUnits]) : tf.tensor2d(y, [n, 1]);
    try {
      const fit = await fitModel(tf, model, xs, yT, {
        optimizer: p.optimizer,
        learningRate: p.learningRate,
        epochs: p.epochs,
        batchSize: p.batchSize,
        validationFraction: n >= 10 ? p.validationFraction : 0,
        patience: p.patience,
        seed: ctx.seed,
        loss,
        signal: ctx.signal,
        onEpoch: (m) => ctx.emit({ type: 'epoch', nodeId, metrics: m }),
      });
      const member = await serializeModel(tf, model, groups, intInputs, spec.name);
      const trained: TrainedModel = {
        members: [member],
        features,
        task,
        target,
        ...(labels ? { labels } : {}),
        ...(targetScale ? { targetScale } : {}),
        frame,
        history: fit.history,
        seed: ctx.seed,
        stoppedEarly: fit.stoppedEarly,
      };
      if (fit.stoppedEarly) ctx.log(`early stopping after epoch ${fit.history.length}; kept epoch ${fit.bestEpoch}`);
      return { trained };
    } catch (e) {
      if (e instanceof KilnError && !e.where.nodeId) throw new KilnError(e.code, `node "${nodeId}": ${e.message}`, { ...e.where, nodeId });
      throw e;
    } finally {
      model.dispose();
      xs.forEach((t) => t.dispose());
      yT.dispose();
    }
  },
});
