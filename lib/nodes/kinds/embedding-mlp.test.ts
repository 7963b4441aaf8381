import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddingMlp } from './embedding-mlp';
import { ordinalEncode } from './ordinal-encode';
import { makeCtx, makeFrame, modelSpec, predictRows, runKind, trainKind } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = { optimizer: 'adam', learningRate: 0.03, epochs: 120, batchSize: 16, validationFraction: 0, patience: 0, seed: 1 };
const EFFECT: Record<string, number> = { a: 1, b: 5, c: -2, d: 3 };

/** y depends on a category (by a lookup no ordering of codes makes linear) plus a numeric feature. */
async function encoded() {
  const n = 64;
  const cat = Array.from({ length: n }, (_, i) => 'abcd'[(i * 5) % 4]!);
  const x = Array.from({ length: n }, (_, i) => ((i * 37) % 17) / 8 - 1);
  const y = cat.map((c, i) => EFFECT[c]! + 0.5 * x[i]!);
  return runKind(ordinalEncode, makeFrame({ cat, x, y }, { target: 'y' }), {}, makeCtx('enc'));
}

describe('embedding_mlp', () => {
  it('feeds the numeric features as one input and each embedded column as an int32 input', async () => {
    const spec = await modelSpec(embeddingMlp, { columns: ['cat'], embeddingDim: 3, layers: [{ units: 8 }] }, tf);
    expect(spec).toMatchObject({ kind: 'embedding_mlp', name: 'Embeddings(cat) + MLP', intInputs: [false, true] });
    const info = { features: ['x', 'cat', 'w'], task: 'regression' as const, outputUnits: 1, outputActivation: 'linear' as const, seed: 1, cardinality: { cat: 5 }, tf };
    expect(spec.inputGroups!(info)).toEqual([[0, 2], [1]]);
    const m = spec.build(info);
    try {
      expect(m.inputs.map((i) => [i.shape, i.dtype])).toEqual([
        [[null, 2], 'float32'],
        [[null, 1], 'int32'],
      ]);
      const emb = m.layers.find((l) => l.getClassName() === 'Embedding')!;
      expect(emb.getConfig()).toMatchObject({ inputDim: 5, outputDim: 3 });
    } finally {
      m.dispose();
    }
  });

  it('learns a per-category effect from ordinal codes', async () => {
    const frame = await encoded();
    const { trained } = await trainKind(embeddingMlp, { columns: ['cat'], layers: [{ units: 16 }] }, frame, TRAIN, tf);
    expect(trained.members[0]!.intInputs).toEqual([false, true]);
    expect(trained.history.at(-1)!.loss).toBeLessThan(trained.history[0]!.loss / 10);
    const p = await predictRows(tf, trained);
    const y = frame.table.columns.find((c) => c.name === 'y')!.values as Float64Array;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(p.values![i]! - y[i]!));
    expect(worst).toBeLessThan(0.5);
  });

  it('asks for an ordinal encoding when the column has none, and names unknown columns', async () => {
    const raw = makeFrame({ x: [1, 2, 3, 4], k: [0, 1, 0, 1], y: [1, 2, 3, 4] }, { target: 'y' });
    await expect(trainKind(embeddingMlp, { columns: ['k'] }, raw, { ...TRAIN, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'NOT_ENCODED' });
    await expect(trainKind(embeddingMlp, { columns: ['nope'] }, raw, { ...TRAIN, epochs: 1 }, tf)).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
  });
});
