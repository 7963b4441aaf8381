import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { loadBuiltinDataset } from '../data/node';
import { dataChain, trainEdges } from '../graph/wiring';
import type { ExecEvent, Evaluation } from '../nodes/types';
import { ExecCache } from './cache';
import { GraphInvalidError, runGraph } from './executor';

const loadData = async (ref: { builtin?: string; input?: string }) => loadBuiltinDataset(ref.builtin ?? ref.input ?? '');

function carsGraph(epochs = 5, lr = 0.05) {
  return {
    version: 1,
    seed: 7,
    nodes: [
      { id: 'data', kind: 'dataset', params: { name: 'cars', target: 'Miles_per_Gallon' } },
      { id: 'drop', kind: 'drop_columns', params: { columns: ['Name', 'Year'] } },
      { id: 'split', kind: 'split', params: { testFraction: 0.2, seed: 1 } },
      { id: 'impute', kind: 'impute', params: { strategy: 'median' } },
      { id: 'onehot', kind: 'one_hot', params: {} },
      { id: 'scale', kind: 'standard_scale', params: {} },
      { id: 'lin', kind: 'linear_regression', params: {} },
      { id: 'mlp', kind: 'mlp', params: { layers: [{ units: 8, activation: 'relu', dropout: 0 }] } },
      { id: 'train_lin', kind: 'train', params: { epochs, learningRate: lr, batchSize: 64, patience: 0 } },
      { id: 'train_mlp', kind: 'train', params: { epochs, learningRate: lr, batchSize: 64, patience: 0 } },
      { id: 'eval_lin', kind: 'evaluate', params: { gates: ['r2 >= 0.5', 'mape <= 0.01'] } },
      { id: 'eval_mlp', kind: 'evaluate', params: {} },
    ],
    edges: [
      ...dataChain(['data', 'drop', 'split', 'impute', 'onehot', 'scale']),
      ...trainEdges({ data: 'scale', model: 'lin', train: 'train_lin', evaluate: 'eval_lin' }),
      ...trainEdges({ data: 'scale', model: 'mlp', train: 'train_mlp', evaluate: 'eval_mlp' }),
    ],
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('runGraph', () => {
  it('runs, evaluates with gates, and leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const events: ExecEvent[] = [];
    const r = await runGraph(carsGraph(30), { loadData, onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    const ev = r.outputs.eval_lin!.metrics as Evaluation;
    expect(ev.metrics.r2).toBeGreaterThan(0.5);
    expect(ev.gates.map((g) => g.passed)).toEqual([true, false]);
    expect(ev.nTest).toBeGreaterThan(60);
    // Per-epoch events arrive in order for each train node.
    const epochs = events.filter((e): e is Extract<ExecEvent, { type: 'epoch' }> => e.type === 'epoch' && e.nodeId === 'train_lin').map((e) => e.metrics.epoch);
    expect(epochs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Every node starts before it finishes, and after its inputs finish.
    const idx = (t: string, id: string) => events.findIndex((e) => e.type === t && 'nodeId' in e && e.nodeId === id);
    expect(idx('node-finish', 'scale')).toBeLessThan(idx('node-start', 'train_lin'));
  });

  it('runs independent branches concurrently', async () => {
    const events: ExecEvent[] = [];
    await runGraph(carsGraph(3), { loadData, onEvent: (e) => events.push(e) });
    const startMlp = events.findIndex((e) => e.type === 'node-start' && e.nodeId === 'train_mlp');
    const finishLin = events.findIndex((e) => e.type === 'node-finish' && e.nodeId === 'train_lin');
    expect(startMlp).toBeGreaterThan(-1);
    expect(startMlp).toBeLessThan(finishLin);
  });

  it('is deterministic for the same seed', async () => {
    const a = await runGraph(carsGraph(5), { loadData });
    const b = await runGraph(carsGraph(5), { loadData });
    expect((a.outputs.eval_lin!.metrics as Evaluation).metrics).toEqual((b.outputs.eval_lin!.metrics as Evaluation).metrics);
  });

  it('re-runs only what is downstream of a changed param', async () => {
    const cache = new ExecCache();
    await runGraph(carsGraph(3), { loadData, cache });
    const g = carsGraph(3);
    g.nodes.find((n) => n.id === 'train_mlp')!.params.epochs = 4;
    const r = await runGraph(g, { loadData, cache });
    expect(r.cached.sort()).toEqual(['data', 'drop', 'eval_lin', 'impute', 'lin', 'mlp', 'onehot', 'scale', 'split', 'train_lin'].sort());
    const g2 = carsGraph(3);
    g2.nodes.find((n) => n.id === 'split')!.params.seed = 2;
    const r2 = await runGraph(g2, { loadData, cache });
    expect(r2.cached.sort()).toEqual(['data', 'drop', 'lin', 'mlp']);
  });

  it('cancels with an AbortSignal and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const p = runGraph(carsGraph(500), {
      loadData,
      signal: ctl.signal,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.metrics.epoch === 2) ctl.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an invalid graph with diagnostics and a failing node with its id', async () => {
    const g = carsGraph(3);
    g.nodes.find((n) => n.id === 'train_lin')!.params.learningRate = -1;
    await expect(runGraph(g, { loadData })).rejects.toBeInstanceOf(GraphInvalidError);
    const g2 = carsGraph(3);
    g2.nodes.find((n) => n.id === 'data')!.params.target = 'mpg';
    await expect(runGraph(g2, { loadData })).rejects.toMatchObject({ code: 'MISSING_COLUMN', where: { nodeId: 'data', param: 'target' } });
  });
});
