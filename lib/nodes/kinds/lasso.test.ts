import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lasso } from './lasso';
import { linearRegression } from './linear-regression';
import { linearCoefficients, linearFrame, modelSpec, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Two informative features among eight; the other six are noise the target never depends on.
// Few rows and a noisy target, so unpenalised least squares visibly fits the noise.
const COEFS = [3, -2, 0, 0, 0, 0, 0, 0];
// Full-batch SGD: the L1 subgradient then moves a zero coefficient by at most lr·α = 0.0025 a step.
const TRAIN = { optimizer: 'sgd', learningRate: 0.005, epochs: 1000, batchSize: 40, validationFraction: 0, patience: 0, seed: 1 };

describe('lasso', () => {
  it('is an L1-penalised linear regression model for regression targets', async () => {
    const spec = await modelSpec(lasso, { alpha: 0.05 }, tf);
    expect(spec).toMatchObject({ kind: 'lasso', name: 'LASSO α=0.05', tasks: ['regression'] });
    const m = spec.build({ features: ['a', 'b'], task: 'regression', outputUnits: 1, outputActivation: 'linear', seed: 1, cardinality: {}, tf });
    try {
      expect(m.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense']);
      expect(m.layers[1]!.getConfig().kernelRegularizer).toMatchObject({ config: { l1: 0.05, l2: 0 } });
    } finally {
      m.dispose();
    }
  });

  it('gives sparse coefficients: the irrelevant features end (nearly) exactly at zero, unlike OLS', async () => {
    const frame = linearFrame(40, COEFS, { noise: 2, seed: 5 });
    const l1 = linearCoefficients((await trainKind(lasso, { alpha: 0.5 }, frame, TRAIN, tf)).trained.members[0]!);
    const ols = linearCoefficients((await trainKind(linearRegression, {}, frame, TRAIN, tf)).trained.members[0]!);
    const noise = (w: number[]) => w.slice(2).map(Math.abs);
    // Informative coefficients survive, shrunk (standardised target units; OLS: ≈ 0.66, -0.49).
    expect(l1[0]!).toBeGreaterThan(0.4);
    expect(l1[1]!).toBeLessThan(-0.1);
    // Every noise coefficient ends within a step or two of zero …
    expect(Math.max(...noise(l1))).toBeLessThan(0.005);
    // … where OLS on the same rows, same seed, fits the noise.
    expect(Math.max(...noise(ols))).toBeGreaterThan(0.1);
    expect(Math.max(...noise(ols))).toBeGreaterThan(20 * Math.max(...noise(l1)));
  });
});
