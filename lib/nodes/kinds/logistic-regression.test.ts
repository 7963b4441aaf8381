import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { logisticRegression } from './logistic-regression';
import { makeFrame, modelSpec, predictRows, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = { optimizer: 'adam', learningRate: 0.1, epochs: 40, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 };

/** Points on a line, class by which third (or half) of the line they fall in: linearly separable. */
function classes(n: number, labels: string[]) {
  const x = Array.from({ length: n }, (_, i) => (i / (n - 1)) * 4 - 2);
  const y = x.map((v) => labels[Math.min(labels.length - 1, Math.floor(((v + 2) / 4) * labels.length))]!);
  return makeFrame({ x, z: x.map((_, i) => ((i * 7) % 5) / 5), y }, { target: 'y' });
}

const argmax = (p: Float32Array, k: number, i: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
  return best;
};

describe('logistic_regression', () => {
  it('learns two separable classes with a sigmoid output', async () => {
    const frame = classes(60, ['neg', 'pos']);
    const { trained } = await trainKind(logisticRegression, {}, frame, TRAIN, tf);
    expect(trained).toMatchObject({ task: 'classification', labels: ['neg', 'pos'] });
    const p = await predictRows(tf, trained);
    expect(p.classes).toBe(2);
    const y = frame.table.columns.find((c) => c.name === 'y')!.values;
    const right = y.filter((v, i) => ['neg', 'pos'][argmax(p.probs!, 2, i)] === v).length;
    expect(right / y.length).toBeGreaterThanOrEqual(0.95);
    // the end points are confidently classified
    expect(p.probs![1]!).toBeLessThan(0.2);
    expect(p.probs![59 * 2 + 1]!).toBeGreaterThan(0.8);
  });

  it('uses softmax over three classes; rows of probabilities sum to 1', async () => {
    const labels = ['a', 'b', 'c'];
    const frame = classes(90, labels);
    const { trained } = await trainKind(logisticRegression, {}, frame, { ...TRAIN, epochs: 80 }, tf);
    const p = await predictRows(tf, trained);
    expect(p.classes).toBe(3);
    expect(p.probs!.length).toBe(90 * 3);
    for (let i = 0; i < 90; i++) expect(p.probs![i * 3]! + p.probs![i * 3 + 1]! + p.probs![i * 3 + 2]!).toBeCloseTo(1, 5);
    const y = frame.table.columns.find((c) => c.name === 'y')!.values;
    expect(y.filter((v, i) => labels[argmax(p.probs!, 3, i)] === v).length / 90).toBeGreaterThanOrEqual(0.85);
  });

  it('refuses a numeric regression target', async () => {
    const spec = await modelSpec(logisticRegression, {}, tf);
    expect(spec.tasks).toEqual(['classification']);
    const frame = makeFrame({ x: [1, 2, 3, 4], y: [1.5, 2.5, 3.5, 4.5] }, { target: 'y' });
    await expect(trainKind(logisticRegression, {}, frame, { ...TRAIN, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'TASK_MISMATCH' });
  });
});
