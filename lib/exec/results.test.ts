import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { loadBuiltinDataset } from '../data/node';
import { dataChain, trainEdges } from '../graph/wiring';
import { fittedStateProblem } from '../nodes/fitted';
import type { Evaluation, TrainedModel } from '../nodes/types';
import { runGraph } from './executor';
import { collectResults, deliveredModel, outputsOfType } from './results';

const loadData = async (ref: { builtin?: string; input?: string }) => loadBuiltinDataset(ref.builtin ?? ref.input ?? '');

/** Two models, each scored by its own evaluate node: `eval_z` comes first in node order, `eval_a` has the lowest id. */
function graph() {
  const train = { epochs: 2, learningRate: 0.05, batchSize: 64, patience: 0 };
  return {
    version: 1,
    seed: 7,
    nodes: [
      { id: 'data', kind: 'dataset', params: { name: 'cars', target: 'Miles_per_Gallon' } },
      { id: 'drop', kind: 'drop_columns', params: { columns: ['Name', 'Year'] } },
      { id: 'split', kind: 'split', params: { testFraction: 0.2, seed: 1 } },
      { id: 'impute', kind: 'impute', params: { strategy: 'median' } },
      { id: 'bins', kind: 'binning', params: { columns: ['Acceleration'], bins: 3, encode: 'onehot' } },
      { id: 'ord', kind: 'ordinal_encode', params: { columns: ['Origin'] } },
      { id: 'poly', kind: 'polynomial_features', params: { columns: ['Horsepower', 'Weight_in_lbs'] } },
      { id: 'pca', kind: 'pca', params: { columns: ['Cylinders', 'Displacement'], components: 1 } },
      { id: 'scale', kind: 'minmax_scale', params: { featureRange: [-1, 1] } },
      { id: 'keep', kind: 'select_columns', params: { columns: ['Horsepower', 'Weight_in_lbs', 'Horsepower*Weight_in_lbs', 'pc1', 'Origin'] } },
      { id: 'lin', kind: 'linear_regression', params: {} },
      { id: 'mlp', kind: 'mlp', params: { layers: [{ units: 4, activation: 'relu', dropout: 0 }] } },
      { id: 'train_lin', kind: 'train', params: train },
      { id: 'train_mlp', kind: 'train', params: train },
      { id: 'eval_z', kind: 'evaluate', params: { gates: ['r2 >= -100'] } },
      { id: 'eval_a', kind: 'evaluate', params: { gates: ['r2 >= 100'] } },
    ],
    edges: [
      ...dataChain(['data', 'drop', 'split', 'impute', 'bins', 'ord', 'poly', 'pca', 'scale', 'keep']),
      ...trainEdges({ data: 'keep', model: 'lin', train: 'train_lin', evaluate: 'eval_z' }),
      ...trainEdges({ data: 'keep', model: 'mlp', train: 'train_mlp', evaluate: 'eval_a' }),
    ],
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('collectResults', () => {
  it('collects by port type, and the verdict is the lowest-id evaluation with the model it scored', async () => {
    const r = await runGraph(graph(), { loadData });
    const res = collectResults(r.graph, r.outputs);
    expect(res.evaluations.map((e) => e.nodeId)).toEqual(['eval_z', 'eval_a']);
    expect(res.trained.map((t) => [t.nodeId, t.port])).toEqual([
      ['train_lin', 'trained'],
      ['train_mlp', 'trained'],
    ]);
    expect(res.evaluations[0]!.evaluation).toBe(r.outputs.eval_z!.metrics as Evaluation);
    expect(res.trained[1]!.trained.history).toHaveLength(2);
    // Not the first in node order (eval_z, which scored train_lin): eval_a, which scored train_mlp.
    expect(res.verdict?.nodeId).toBe('eval_a');
    expect(res.verdict?.evaluation?.gates.map((g) => g.passed)).toEqual([false]);
    expect(res.verdict?.trained).toBe(r.outputs.train_mlp!.trained as TrainedModel);
    const d = deliveredModel(res);
    expect(d).toMatchObject({ verdictNodeId: 'eval_a' });
    expect(d.trained).toBe(res.verdict?.trained);

    // Without an evaluation node: no verdict, the last trained model in node order is delivered.
    const noEval = { ...r.graph, nodes: r.graph.nodes.filter((n) => !n.id.startsWith('eval_')) };
    expect(deliveredModel(collectResults(noEval, r.outputs))).toEqual({ trained: r.outputs.train_mlp!.trained });

    // Values are found by the ports the kinds declare, not by their shape.
    expect(outputsOfType(r.graph, r.outputs, 'model').map((m) => m.nodeId)).toEqual(['lin', 'mlp']);
    expect(outputsOfType(r.graph, r.outputs, 'table').map((m) => m.nodeId)).toEqual(['data', 'drop', 'split', 'impute', 'bins', 'ord', 'poly', 'pca', 'scale', 'keep']);

    // Every fitted step the kinds recorded has the state shape its kind declares (as written to a package).
    const steps = res.verdict!.trained!.frame.steps;
    expect(steps.map((s) => s.kind)).toEqual(['drop_columns', 'impute', 'binning', 'ordinal_encode', 'polynomial_features', 'pca', 'minmax_scale', 'select_columns']);
    for (const s of steps) expect(fittedStateProblem(JSON.parse(JSON.stringify(s))), s.kind).toBeNull();
  }, 60_000);
});
