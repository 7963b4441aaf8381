import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearRegression } from './linear-regression';
import { mlp } from './mlp';
import { makeFrame, modelSpec, predictRows, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = { optimizer: 'adam', learningRate: 0.02, epochs: 150, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 };

/** y = x² on [-2, 2]: no linear model can fit it. */
const parabola = () => {
  const x = Array.from({ length: 64 }, (_, i) => (i / 63) * 4 - 2);
  return makeFrame({ x, y: x.map((v) => v * v) }, { target: 'y' });
};

function r2(pred: Float32Array, y: ArrayLike<number>) {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]! / y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i]! - pred[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return 1 - ssr / sst;
}

describe('mlp', () => {
  it('builds the hidden layers it is given, with dropout where asked', async () => {
    const spec = await modelSpec(mlp, { layers: [{ units: 5, activation: 'tanh', dropout: 0.2 }, { units: 3 }] }, tf);
    expect(spec).toMatchObject({ kind: 'mlp', name: 'MLP 5-3', tasks: ['regression', 'classification'] });
    const m = spec.build({ features: ['a', 'b'], task: 'classification', outputUnits: 4, outputActivation: 'softmax', seed: 1, cardinality: {}, tf });
    try {
      expect(m.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense', 'Dropout', 'Dense', 'Dense']);
      expect(m.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.getConfig().units)).toEqual([5, 3, 4]);
      expect(m.layers[1]!.getConfig().activation).toBe('tanh');
      expect(m.outputs[0]!.shape).toEqual([null, 4]);
    } finally {
      m.dispose();
    }
  });

  it('fits a non-linear target that a linear model cannot; loss falls', async () => {
    const frame = parabola();
    const y = frame.table.columns.find((c) => c.name === 'y')!.values as Float64Array;
    const net = await trainKind(mlp, { layers: [{ units: 16, activation: 'tanh' }, { units: 16, activation: 'tanh' }] }, frame, TRAIN, tf);
    const lin = await trainKind(linearRegression, {}, frame, TRAIN, tf);
    const h = net.trained.history;
    expect(h.length).toBe(150);
    expect(h.at(-1)!.loss).toBeLessThan(h[0]!.loss / 10);
    expect(r2((await predictRows(tf, net.trained)).values!, y)).toBeGreaterThan(0.95);
    expect(r2((await predictRows(tf, lin.trained)).values!, y)).toBeLessThan(0.1);
  });
});
