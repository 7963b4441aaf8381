import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SerializedModel, Task } from '../nodes/types';
import { createRng } from '../rng';
import { compileMembers } from './compiled';
import { buildPackage, readPackage } from './package';
import { ModelRunner, featureMatrix, applySteps, serializeModel, type Predictions } from './predictor';
import { recordsToTable } from './records';
import { makeTrained, rawRecords } from './test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Act = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'elu' | 'selu' | 'softplus';

/** A random functional dense stack like the model kinds build (input → dense/dropout … → output). */
async function randomMember(nIn: number, hidden: { units: number; activation: Act; dropout?: number }[], out: { units: number; activation: Act }, seed: number, group?: number[]): Promise<SerializedModel> {
  const input = tf.input({ shape: [group?.length ?? nIn], name: 'features' });
  let h: tf.SymbolicTensor = input;
  hidden.forEach((l, i) => {
    h = tf.layers.dense({ units: l.units, activation: l.activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 100 + i }) }).apply(h) as tf.SymbolicTensor;
    if (l.dropout) h = tf.layers.dropout({ rate: l.dropout }).apply(h) as tf.SymbolicTensor;
  });
  const y = tf.layers.dense({ units: out.units, activation: out.activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 50 }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 51 }) }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y });
  try {
    return await serializeModel(tf, model, [group ?? Array.from({ length: nIn }, (_, i) => i)], [false], 'random');
  } finally {
    model.dispose();
  }
}

function randomMatrix(n: number, f: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * f);
  for (let i = 0; i < x.length; i++) x[i] = (rng() - 0.5) * 6;
  return x;
}

async function viaTfjs(model: { members: SerializedModel[]; features: string[]; task: Task; labels?: string[]; targetScale?: { mean: number; std: number } }, x: Float32Array, n: number): Promise<Predictions> {
  const runner = await ModelRunner.load(tf, model);
  try {
    return await runner.predictMatrix(x, n);
  } finally {
    runner.dispose();
  }
}

function expectClose(a: Float32Array | undefined, b: Float32Array | undefined, tol = 1e-5) {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  expect(a!.length).toBe(b!.length);
  let worst = 0;
  for (let i = 0; i < a!.length; i++) worst = Math.max(worst, Math.abs(a![i]! - b![i]!) / Math.max(1, Math.abs(b![i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

const features = (f: number) => Array.from({ length: f }, (_, i) => `f${i}`);

describe('compileMembers matches tfjs', () => {
  const acts: Act[] = ['linear', 'relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus'];
  for (const [i, act] of acts.entries()) {
    it(`regression MLP with ${act} hidden layers and dropout`, async () => {
      const f = 7;
      const m = await randomMember(f, [{ units: 16, activation: act, dropout: 0.3 }, { units: 8, activation: act }], { units: 1, activation: 'linear' }, 10 + i);
      const model = { members: [m], features: features(f), task: 'regression' as const, targetScale: { mean: 23.5, std: 7.8 } };
      const compiled = compileMembers(model, model.members);
      expect(compiled).not.toBeNull();
      const x = randomMatrix(50, f, i);
      expectClose(compiled!.predictMatrix(x, 50).values, (await viaTfjs(model, x, 50)).values);
    });
  }

  it('softmax classifier ensemble of 3 members with gathered input groups', async () => {
    const f = 10;
    const labels = ['a', 'b', 'c', 'd'];
    const members = [
      await randomMember(f, [{ units: 32, activation: 'relu' }], { units: 4, activation: 'softmax' }, 1),
      await randomMember(f, [{ units: 12, activation: 'tanh' }, { units: 6, activation: 'relu' }], { units: 4, activation: 'softmax' }, 2),
      await randomMember(f, [], { units: 4, activation: 'softmax' }, 3, [9, 2, 4, 0]),
    ];
    const model = { members, features: features(f), task: 'classification' as const, labels };
    const compiled = compileMembers(model, members);
    expect(compiled).not.toBeNull();
    expect(compiled!.depth).toEqual([2, 3, 1]);
    const x = randomMatrix(40, f, 99);
    const got = compiled!.predictMatrix(x, 40);
    expect(got.classes).toBe(4);
    expectClose(got.probs, (await viaTfjs(model, x, 40)).probs);
  });

  it('binary sigmoid classifier (one output unit → two probabilities)', async () => {
    const f = 5;
    const m = await randomMember(f, [{ units: 8, activation: 'relu' }], { units: 1, activation: 'sigmoid' }, 4);
    const model = { members: [m], features: features(f), task: 'classification' as const, labels: ['no', 'yes'] };
    const compiled = compileMembers(model, [m])!;
    const x = randomMatrix(30, f, 5);
    const got = compiled.predictMatrix(x, 30);
    expectClose(got.probs, (await viaTfjs(model, x, 30)).probs);
    expect(got.probs![0]! + got.probs![1]!).toBeCloseTo(1, 6);
  });

  it('Sequential topology and a Float64Array feature matrix', async () => {
    const seq = tf.sequential();
    seq.add(tf.layers.dense({ units: 6, activation: 'relu', inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }));
    seq.add(tf.layers.activation({ activation: 'tanh' }));
    seq.add(tf.layers.dense({ units: 1, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }));
    const m = await serializeModel(tf, seq, [[0, 1, 2]], [false], 'seq');
    seq.dispose();
    const model = { members: [m], features: features(3), task: 'regression' as const };
    // relu then tanh: an Activation after a non-linear Dense cannot fold, so this stays on tfjs.
    expect(compileMembers(model, [m])).toBeNull();

    const seq2 = tf.sequential();
    seq2.add(tf.layers.dense({ units: 6, inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }));
    seq2.add(tf.layers.activation({ activation: 'tanh' }));
    seq2.add(tf.layers.dense({ units: 1, useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }));
    const m2 = await serializeModel(tf, seq2, [[0, 1, 2]], [false], 'seq2');
    seq2.dispose();
    const model2 = { members: [m2], features: features(3), task: 'regression' as const };
    const compiled = compileMembers(model2, [m2]);
    expect(compiled).not.toBeNull();
    const x32 = randomMatrix(20, 3, 11);
    const x64 = Float64Array.from(x32);
    expectClose(compiled!.predictMatrix(x64, 20).values, (await viaTfjs(model2, x32, 20)).values);
  });

  it('real packages (regression, softmax and sigmoid classifiers, ensembles) from raw records', async () => {
    const cases = [
      await makeTrained(tf, { task: 'regression' }, 2),
      await makeTrained(tf, { task: 'classification', labels: ['a', 'b', 'c'] }),
      await makeTrained(tf, { task: 'classification', labels: ['a', 'b'], binary: true }),
    ];
    for (const trained of cases) {
      const files = buildPackage(trained, { name: 'p', kilnVersion: 't', lineage: { graphHash: 'g', backend: 'cpu', device: 'cpu' } });
      const { manifest, members } = readPackage(files);
      const compiled = compileMembers(manifest, members);
      expect(compiled).not.toBeNull();
      const t = applySteps(manifest.preprocessing, recordsToTable(rawRecords(), manifest.inputSchema));
      const x = featureMatrix(t, manifest.features);
      const want = await viaTfjs({ ...manifest, members }, x, t.nRows);
      const got = compiled!.predictMatrix(x, t.nRows);
      if (manifest.task === 'regression') expectClose(got.values, want.values);
      else expectClose(got.probs, want.probs);
    }
  });
});

describe('compileMembers refuses what it cannot run exactly', () => {
  it('returns null for an embedding (integer input), a multi-input model and a non-dense layer', async () => {
    const intMember = { ...(await randomMember(3, [], { units: 1, activation: 'linear' }, 1)), intInputs: [true] };
    expect(compileMembers({ features: features(3), task: 'regression' }, [intMember])).toBeNull();
    const twoInputs = { ...(await randomMember(3, [], { units: 1, activation: 'linear' }, 1)), inputGroups: [[0], [1, 2]], intInputs: [false, false] };
    expect(compileMembers({ features: features(3), task: 'regression' }, [twoInputs])).toBeNull();

    const seq = tf.sequential();
    seq.add(tf.layers.dense({ units: 4, inputShape: [3] }));
    seq.add(tf.layers.batchNormalization());
    seq.add(tf.layers.dense({ units: 1 }));
    const bn = await serializeModel(tf, seq, [[0, 1, 2]], [false], 'bn');
    seq.dispose();
    expect(compileMembers({ features: features(3), task: 'regression' }, [bn])).toBeNull();
  });

  it('returns null when the output width does not fit the task or a weight is missing', async () => {
    const m = await randomMember(3, [], { units: 3, activation: 'softmax' }, 2);
    expect(compileMembers({ features: features(3), task: 'regression' }, [m])).toBeNull();
    expect(compileMembers({ features: features(3), task: 'classification', labels: ['a', 'b'] }, [m])).toBeNull();
    const noBias = { ...m, weightSpecs: m.weightSpecs.filter((w) => !w.name.endsWith('/bias')) };
    expect(compileMembers({ features: features(3), task: 'classification', labels: ['a', 'b', 'c'] }, [noBias])).toBeNull();
    const f16 = { ...m, weightSpecs: m.weightSpecs.map((w) => ({ ...w, dtype: 'float16' })) };
    expect(compileMembers({ features: features(3), task: 'classification', labels: ['a', 'b', 'c'] }, [f16])).toBeNull();
  });
});
