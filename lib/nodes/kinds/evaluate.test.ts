import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Evaluation, NodeContext, TrainedModel } from '../types';
import { evaluate } from './evaluate';
import { fixedLinearModel, makeFrame, makeTable, makeTfCtx } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function score(trained: TrainedModel, params: Record<string, unknown> = {}, extra: Partial<NodeContext> = {}) {
  const ctx = makeTfCtx(tf, 'eval', extra);
  const out = await evaluate.run({ model: trained }, evaluate.params.parse(params), ctx);
  return { ev: out.metrics as Evaluation, ctx };
}

// Rows 2-4 are the test rows: x = 3, 4, 5 with y = 5, 4, 7; the model predicts y = x.
const regressionFrame = () => makeFrame({ x: [1, 2, 3, 4, 5], y: [100, 100, 5, 4, 7] }, { target: 'y', split: [0, 0, 1, 1, 1] });

describe('evaluate', () => {
  it('computes the regression metrics of known predictions on the test rows only', async () => {
    const { ev } = await score(await fixedLinearModel(tf, regressionFrame(), 1, 0));
    expect(ev.nTest).toBe(3);
    expect(ev.predictions).toEqual([3, 4, 5]);
    expect(ev.actual).toEqual([5, 4, 7]);
    // errors 2, 0, 2; mean of y = 16/3, total sum of squares 42/9
    expect(ev.metrics.mae).toBeCloseTo(4 / 3, 6);
    expect(ev.metrics.rmse).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(ev.metrics.mape).toBeCloseTo((2 / 5 + 0 + 2 / 7) / 3, 6);
    expect(ev.metrics.r2).toBeCloseTo(1 - 8 / (42 / 9), 6);
  });

  it('reports each gate passed or failed with its value and margin, and logs the failures', async () => {
    const { ev, ctx } = await score(await fixedLinearModel(tf, regressionFrame(), 1, 0), { gates: ['mae <= 1.5', 'rmse < 1'] });
    expect(ev.gates.map((g) => [g.expr, g.passed])).toEqual([
      ['mae <= 1.5', true],
      ['rmse < 1', false],
    ]);
    expect(ev.gates[1]!.value).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(ev.gates[1]!.margin).toBeCloseTo(Math.sqrt(8 / 3) - 1, 6);
    expect(ev.gates[0]!.margin).toBe(0);
    expect(ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([expect.stringMatching(/^gates failed: rmse < 1 \(got 1\.63/)]);
    expect(evaluate.params.safeParse({ gates: ['mae <=='] }).success).toBe(false);
  });

  it('computes classification metrics and the confusion matrix (rows = truth)', async () => {
    // P(b) = sigmoid(10x - 25): x ≤ 2 → a, x ≥ 3 → b. Row x = 2 is really b: one error in four.
    const frame = makeFrame({ x: [1, 2, 3, 4], y: ['a', 'b', 'b', 'b'] }, { target: 'y', split: [1, 1, 1, 1] });
    const { ev } = await score(await fixedLinearModel(tf, frame, 10, -25, { labels: ['a', 'b'] }));
    expect(ev.task).toBe('classification');
    expect(ev.labels).toEqual(['a', 'b']);
    expect(ev.metrics.accuracy).toBe(0.75);
    expect(ev.confusion).toEqual([
      [1, 0],
      [1, 2],
    ]);
    expect((ev.predictions as number[][]).map((p) => p.length)).toEqual([2, 2, 2, 2]);
    expect((ev.predictions as number[][])[3]![1]!).toBeCloseTo(1 / (1 + Math.exp(-15)), 6);
  });

  it('scores a given test table instead of the split, and every row when there is no split (with a warning)', async () => {
    const trained = await fixedLinearModel(tf, regressionFrame(), 1, 0);
    const { ev } = await score(trained, {}, { testData: makeTable({ x: [10, 20], y: [10, 21] }) });
    expect(ev.predictions).toEqual([10, 20]);
    expect(ev.metrics.mae).toBeCloseTo(0.5, 6);
    const all = await fixedLinearModel(tf, makeFrame({ x: [1, 2], y: [1, 3] }, { target: 'y' }), 1, 0);
    const r = await score(all);
    expect(r.ev.nTest).toBe(2);
    expect(r.ctx.logs).toContainEqual({ message: 'no train/test split upstream: scoring on the training rows (optimistic)', level: 'warn' });
  });

  it('names the target when the test data lacks it', async () => {
    const trained = await fixedLinearModel(tf, regressionFrame(), 1, 0);
    await expect(score(trained, {}, { testData: makeTable({ x: [1] }) })).rejects.toMatchObject({ code: 'MISSING_COLUMN', message: expect.stringMatching(/no target column "y"/) });
  });
});
