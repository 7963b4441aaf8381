import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTable } from '../../data/infer';
import { syntheticDigitsCsv } from '../../exec/fixtures';
import { convnet } from './convnet';
import { makeFrame, modelSpec, predictRows, trainKind } from './test-utils';
import type { Frame } from '../types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('convnet', () => {
  it('reshapes the pixel columns to an image and stacks conv + pool blocks', async () => {
    const spec = await modelSpec(convnet, { height: 4, width: 4, filters: [2, 3], denseUnits: 5 }, tf);
    expect(spec).toMatchObject({ kind: 'convnet', name: 'ConvNet 2-3' });
    const features = Array.from({ length: 16 }, (_, i) => `p${i}`);
    const m = spec.build({ features, task: 'classification', outputUnits: 3, outputActivation: 'softmax', seed: 1, cardinality: {}, tf });
    try {
      expect(m.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Reshape', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense']);
      expect(m.layers[1]!.outputShape).toEqual([null, 4, 4, 1]);
      expect(m.outputs[0]!.shape).toEqual([null, 3]);
    } finally {
      m.dispose();
    }
  });

  it('learns the synthetic 8×8 digits: loss falls, three probabilities per row', async () => {
    const table = parseTable({ name: 'digits.csv', format: 'csv', text: syntheticDigitsCsv(90, 3) });
    const frame: Frame = { table, target: 'label', steps: [], inputSchema: [], datasetHashes: ['digits'] };
    const { trained } = await trainKind(convnet, { filters: [4], denseUnits: 8 }, frame, { learningRate: 0.01, epochs: 12, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 }, tf);
    expect(trained.labels).toEqual(['diag', 'hbar', 'vbar']);
    expect(trained.history.length).toBe(12);
    expect(trained.history.at(-1)!.loss).toBeLessThan(trained.history[0]!.loss / 2);
    const p = await predictRows(tf, trained);
    expect(p.classes).toBe(3);
    expect(p.probs!.length).toBe(90 * 3);
  });

  it('names the size mismatch when the features are not height × width × channels', async () => {
    const frame = makeFrame({ a: [1, 2, 3, 4], b: [1, 2, 3, 4], y: ['x', 'y', 'x', 'y'] }, { target: 'y' });
    await expect(trainKind(convnet, { height: 2, width: 2 }, frame, { epochs: 1 }, tf)).rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/2 feature columns cannot be reshaped to 2×2×1/) });
  });
});
