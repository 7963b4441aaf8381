import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearRegression } from './linear-regression';
import { mlp } from './mlp';
import { linearFrame, makeFrame, memberWeights, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BASE = { optimizer: 'adam', learningRate: 0.05, batchSize: 8, validationFraction: 0, patience: 0, seed: 1 };

describe('train', () => {
  it('runs exactly the epochs asked for, emitting one epoch event each, loss falling', async () => {
    const { trained, ctx } = await trainKind(linearRegression, {}, linearFrame(40, [1, 2]), { ...BASE, epochs: 7 }, tf);
    expect(trained.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ctx.events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.metrics.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(trained.history[6]!.loss).toBeLessThan(trained.history[0]!.loss);
    expect(trained.stoppedEarly).toBe(false);
  });

  it('stops early when the validation loss stops improving', async () => {
    // A target of pure noise: a wide MLP can only overfit it, so validation loss turns up soon.
    const frame = linearFrame(48, [0, 0, 0], { noise: 1, seed: 9 });
    const { trained, ctx } = await trainKind(mlp, { layers: [{ units: 64 }, { units: 64 }] }, frame, { ...BASE, learningRate: 0.01, epochs: 300, validationFraction: 0.25, patience: 5 }, tf);
    expect(trained.stoppedEarly).toBe(true);
    expect(trained.history.length).toBeLessThan(300);
    expect(trained.history.every((h) => typeof h.valLoss === 'number')).toBe(true);
    // it stopped `patience` epochs after the best validation loss
    const best = trained.history.reduce((b, h) => (h.valLoss! < b.valLoss! ? h : b));
    expect(trained.history.length - best.epoch).toBe(5);
    expect(ctx.logs.some((l) => /early stopping after epoch \d+; kept epoch \d+/.test(l.message))).toBe(true);
  });

  it('is seeded: the same seed gives the same weights, another seed others', async () => {
    const frame = linearFrame(40, [1, -1], { noise: 0.3 });
    // values only: tfjs numbers layer names per process (dense_Dense1, dense_Dense2 …)
    const w = async (seed: number) => Object.values(memberWeights((await trainKind(linearRegression, {}, frame, { ...BASE, epochs: 3, seed }, tf)).trained.members[0]!)).map((x) => x.values);
    const a = await w(1);
    expect(await w(1)).toEqual(a);
    expect(await w(2)).not.toEqual(a);
  });

  it('trains on the training rows with a target only, standardising a numeric target on them', async () => {
    // Test rows (split 1) hold absurd targets: they must not reach training or the target scale.
    const frame = makeFrame({ x: [1, 2, 3, 4, 5, 6], y: [2, 4, NaN, 8, 1000, 1000] }, { target: 'y', split: [0, 0, 0, 0, 1, 1] });
    const { trained, ctx } = await trainKind(linearRegression, {}, frame, { ...BASE, epochs: 1 }, tf);
    expect(trained.task).toBe('regression');
    expect(trained.targetScale!.mean).toBeCloseTo((2 + 4 + 8) / 3, 10);
    expect(trained.targetScale!.std).toBeCloseTo(Math.sqrt(((2 - 14 / 3) ** 2 + (4 - 14 / 3) ** 2 + (8 - 14 / 3) ** 2) / 3), 10);
    expect(ctx.logs).toContainEqual({ message: '1 training rows have no "y" and were skipped', level: 'warn' });
  });

  it('picks classification for a categorical target, with sorted labels', async () => {
    const frame = makeFrame({ x: [1, 2, 3, 4, 5, 6], y: ['b', 'a', 'c', 'b', 'a', 'c'] }, { target: 'y' });
    const { trained } = await trainKind(mlp, { layers: [{ units: 2 }] }, frame, { ...BASE, epochs: 1 }, tf);
    expect(trained).toMatchObject({ task: 'classification', labels: ['a', 'b', 'c'], features: ['x'], target: 'y' });
    expect(trained.targetScale).toBeUndefined();
  });

  it('refuses a frame without a target, and a target with one class', async () => {
    await expect(trainKind(linearRegression, {}, makeFrame({ x: [1, 2], y: [1, 2] }), { ...BASE, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'NO_TARGET' });
    const one = makeFrame({ x: [1, 2, 3], y: ['a', 'a', 'a'] }, { target: 'y' });
    await expect(trainKind(mlp, {}, one, { ...BASE, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'ONE_CLASS' });
  });
});
