import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ridge } from './ridge';
import { linearCoefficients, linearFrame, modelSpec, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = { optimizer: 'sgd', learningRate: 0.05, epochs: 80, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 };
const norm = (w: number[]) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));

describe('ridge', () => {
  it('is an L2-penalised linear model', async () => {
    const spec = await modelSpec(ridge, { alpha: 0.3 }, tf);
    expect(spec).toMatchObject({ kind: 'ridge', name: 'Ridge α=0.3', tasks: ['regression'] });
    const m = spec.build({ features: ['a'], task: 'regression', outputUnits: 1, outputActivation: 'linear', seed: 1, cardinality: {}, tf });
    try {
      expect(m.layers[1]!.getConfig().kernelRegularizer).toMatchObject({ config: { l1: 0, l2: 0.3 } });
    } finally {
      m.dispose();
    }
  });

  it('shrinks the coefficients towards zero as alpha grows, keeping their direction', async () => {
    const frame = linearFrame(80, [2, -1, 0.5], { noise: 0.5, seed: 3 });
    const w = async (alpha: number) => linearCoefficients((await trainKind(ridge, { alpha }, frame, TRAIN, tf)).trained.members[0]!);
    const [w0, w1, w2] = [await w(0), await w(0.5), await w(2)];
    expect(norm(w1)).toBeLessThan(0.8 * norm(w0));
    expect(norm(w2)).toBeLessThan(0.8 * norm(w1));
    // L2 shrinks proportionally: no coefficient flips sign or is zeroed.
    for (const v of [w1, w2]) expect(v.map(Math.sign)).toEqual(w0.map(Math.sign));
    expect(Math.min(...w2.map(Math.abs))).toBeGreaterThan(0.01);
  });
});
