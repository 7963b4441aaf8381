import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainedModel } from '../types';
import { ensemble } from './ensemble';
import { fixedLinearModel, makeFrame, makeTfCtx, predictRows } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const frame = makeFrame({ x: [1, 2, 3], y: [2, 4, 6] }, { target: 'y' });
const combine = async (models: TrainedModel[]) => (await ensemble.run({ models }, {}, makeTfCtx(tf, 'ens'))).trained as TrainedModel;

describe('ensemble', () => {
  it('averages its members’ predictions', async () => {
    const e = await combine([await fixedLinearModel(tf, frame, 1, 0), await fixedLinearModel(tf, frame, 3, 1)]);
    expect(e.members.map((m) => m.name)).toEqual(['1x+0', '3x+1']);
    expect(Array.from((await predictRows(tf, e)).values!)).toEqual([2.5, 4.5, 6.5]);
  });

  it('averages class probabilities', async () => {
    const cls = makeFrame({ x: [0, 1], y: ['a', 'b'] }, { target: 'y' });
    // P(b) = sigmoid(0) = 0.5 for one member, sigmoid(ln 3·x) = 0.75 at x = 1 for the other
    const e = await combine([await fixedLinearModel(tf, cls, 0, 0, { labels: ['a', 'b'] }), await fixedLinearModel(tf, cls, Math.log(3), 0, { labels: ['a', 'b'] })]);
    const p = (await predictRows(tf, e, [1])).probs!;
    expect(p[1]).toBeCloseTo((0.5 + 0.75) / 2, 6);
    expect(p[0]).toBeCloseTo(1 - (0.5 + 0.75) / 2, 6);
  });

  it('needs two members that share target, features and preprocessing', async () => {
    const one = await fixedLinearModel(tf, frame, 1, 0);
    await expect(combine([one])).rejects.toMatchObject({ code: 'ENSEMBLE_SIZE' });
    const other = { ...(await fixedLinearModel(tf, frame, 2, 0)), features: ['z'] };
    await expect(combine([one, other])).rejects.toMatchObject({ code: 'ENSEMBLE_MISMATCH', message: expect.stringMatching(/model 2/) });
    const rescaled = { ...(await fixedLinearModel(tf, frame, 2, 0)), targetScale: { mean: 1, std: 2 } };
    await expect(combine([one, rescaled])).rejects.toMatchObject({ code: 'ENSEMBLE_MISMATCH' });
  });
});
