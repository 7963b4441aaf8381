import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearRegression } from './linear-regression';
import { linearCoefficients, linearFrame, makeFrame, modelSpec, predictRows, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = { optimizer: 'adam', learningRate: 0.05, epochs: 60, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 };

describe('linear_regression', () => {
  it('recovers the coefficients of a noiseless linear target', async () => {
    const frame = linearFrame(80, [2, -3], { bias: 5, seed: 2 });
    const { trained } = await trainKind(linearRegression, {}, frame, TRAIN, tf);
    expect(trained.task).toBe('regression');
    expect(trained.features).toEqual(['x0', 'x1']);
    // Coefficients are in standardised target units: scale back by the target's std.
    const w = linearCoefficients(trained.members[0]!).map((c) => c * trained.targetScale!.std);
    expect(w[0]).toBeCloseTo(2, 1);
    expect(w[1]).toBeCloseTo(-3, 1);
    const p = await predictRows(tf, trained, [0, 1, 2]);
    const y = frame.table.columns.find((c) => c.name === 'y')!.values as Float64Array;
    for (let i = 0; i < 3; i++) expect(p.values![i]!).toBeCloseTo(y[i]!, 1);
  });

  it('names its penalty and adds it as a kernel regularizer', async () => {
    const spec = await modelSpec(linearRegression, { regularization: 'l1_l2', alpha: 0.1, l1Ratio: 0.25 }, tf);
    expect(spec).toMatchObject({ kind: 'linear_regression', name: 'Linear regression (l1_l2, α=0.1)', tasks: ['regression'] });
    const m = spec.build({ features: ['a'], task: 'regression', outputUnits: 1, outputActivation: 'linear', seed: 1, cardinality: {}, tf });
    try {
      expect(m.layers[1]!.getConfig().kernelRegularizer).toMatchObject({ config: { l1: expect.closeTo(0.025, 9), l2: expect.closeTo(0.075, 9) } });
    } finally {
      m.dispose();
    }
    expect((await modelSpec(linearRegression, {}, tf)).name).toBe('Linear regression');
  });

  it('refuses a classification target', async () => {
    const frame = makeFrame({ x: [1, 2, 3, 4], y: ['a', 'b', 'a', 'b'] }, { target: 'y' });
    await expect(trainKind(linearRegression, {}, frame, { ...TRAIN, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'TASK_MISMATCH' });
  });
});
