import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { makeTable } from '../nodes/kinds/test-utils';
import type { Evaluation, TrainedModel } from '../nodes/types';
import { MANIFEST_FILE, buildPackage, PackagePredictor, readPackage, validatePackage, type PackageFiles, type ClassificationPrediction, type RegressionPrediction } from './package';
import { ModelRunner, featureMatrix } from './predictor';
import { RAW, copyFiles, editJson, makeTrained, rawRecords } from './test-utils';

const opts = {
  name: 'cars-mpg',
  kilnVersion: '0.1.0-test',
  createdAt: '2024-05-01T12:00:00.000Z',
  lineage: { graphHash: 'g123', backend: 'cpu', device: 'test cpu' },
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Predictions straight from the trained model on its own preprocessed training table (the training path). */
async function directFromFrame(trained: TrainedModel) {
  const runner = await ModelRunner.load(tf, trained);
  try {
    return await runner.predictMatrix(featureMatrix(trained.frame.table, trained.features), trained.frame.table.nRows);
  } finally {
    runner.dispose();
  }
}

function expectInvalid(files: PackageFiles, code: string, ...fragments: string[]): KilnError {
  const v = validatePackage(files);
  expect(v.ok).toBe(false);
  if (v.ok) throw new Error('unreachable');
  expect(v.error).toBeInstanceOf(KilnError);
  expect(v.error.code).toBe(code);
  expect(v.error.message).not.toContain('\n');
  for (const f of fragments) expect(v.error.message).toContain(f);
  return v.error;
}

describe('buildPackage', () => {
  it('writes the manifest and one tfjs model folder per member', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const files = buildPackage(trained, opts);
    expect([...files.keys()].sort()).toEqual([MANIFEST_FILE, 'models/0/model.json', 'models/0/weights.bin']);
    const v = validatePackage(files);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const m = v.manifest;
    expect(m.formatVersion).toBe(1);
    expect(m.name).toBe('cars-mpg');
    expect(m.createdAt).toBe('2024-05-01T12:00:00.000Z');
    expect(m.task).toBe('regression');
    expect(m.output).toEqual({ type: 'number', name: 'mpg' });
    expect(m.inputSchema.map((c) => [c.name, c.type])).toEqual([
      ['hp', 'numeric'],
      ['weight', 'numeric'],
      ['origin', 'categorical'],
    ]);
    expect(m.preprocessing.map((s) => s.kind)).toEqual(['impute', 'one_hot', 'standard_scale']);
    expect(m.features).toEqual(trained.features);
    expect(m.members).toEqual([{ path: 'models/0/model.json', name: 'dense 0', inputGroups: [[0, 1, 2, 3, 4]], intInputs: [false] }]);
    expect(m.targetScale).toEqual({ mean: 15.6, std: 1.5 });
    expect(m.lineage).toEqual({ graphHash: 'g123', datasetHashes: ['test'], backend: 'cpu', device: 'test cpu', seed: 7, kilnVersion: '0.1.0-test' });
    expect(m.metrics).toBeUndefined();

    // model.json is the standard tfjs LayersModel file: loadable by tf.loadLayersModel elsewhere.
    const mj = JSON.parse(new TextDecoder().decode(files.get('models/0/model.json')));
    expect(mj.format).toBe('layers-model');
    expect(mj.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(files.get('models/0/weights.bin')!.byteLength).toBe(trained.members[0]!.weightData.byteLength);
  });

  it('records statistics of the training rows only, after preprocessing, plus the target', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const v = validatePackage(buildPackage(trained, opts));
    if (!v.ok) throw v.error;
    const s = v.manifest.trainingStats;
    expect(s.nRows).toBe(8);
    expect(s.features.map((f) => f.name)).toEqual(trained.features);
    const hp = s.features.find((f) => f.name === 'hp')!;
    // standard_scale fitted on the same 8 rows: mean 0 after scaling
    expect(hp.type).toBe('numeric');
    if (hp.type === 'categorical') return;
    expect(hp.count).toBe(8);
    expect(Math.abs(hp.mean!)).toBeLessThan(1e-9);
    const tgt = s.target!;
    expect(tgt.name).toBe('mpg');
    if (tgt.type === 'categorical') throw new Error('target should be numeric');
    const trainMpg = RAW.mpg.slice(0, 8);
    expect(tgt.mean).toBeCloseTo(trainMpg.reduce((a, b) => a + b, 0) / 8, 10);
    expect(tgt.min).toBe(14);
    expect(tgt.max).toBe(18);
  });

  it('records evaluation metrics and gates, NaN and Infinity as null', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const evaluation: Evaluation = {
      task: 'regression',
      metrics: { mae: 1.25, r2: NaN },
      gates: [{ expr: 'mae <= 2', metric: 'mae', op: '<=', threshold: 2, value: 1.25, passed: true, margin: 0 }, { expr: 'r2 >= 0.5', metric: 'r2', op: '>=', threshold: 0.5, value: null, passed: false, margin: Infinity }],
      nTest: 2,
      predictions: [1, 2],
      actual: [1, 2],
    };
    const v = validatePackage(buildPackage(trained, { ...opts, evaluation }));
    if (!v.ok) throw v.error;
    expect(v.manifest.metrics).toEqual({ mae: 1.25, r2: null });
    expect(v.manifest.gates![1]).toMatchObject({ value: null, margin: null, passed: false });
  });

  it('refuses a trained model whose preprocessing cannot be replayed', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    trained.frame = { ...trained.frame, steps: [...trained.frame.steps, { kind: 'my_custom_step', nodeId: 'c1', state: {} }] };
    expect(() => buildPackage(trained, opts)).toThrow(/preprocessing\[3\]\.kind "my_custom_step"/);
  });

  it('refuses classification without labels and bad createdAt', async () => {
    const trained = await makeTrained(tf, { task: 'classification', labels: ['a', 'b', 'c'] });
    delete trained.labels;
    expect(() => buildPackage(trained, opts)).toThrow(/needs its class labels/);
    const reg = await makeTrained(tf, { task: 'regression' });
    expect(() => buildPackage(reg, { ...opts, createdAt: 'yesterday' })).toThrow(/createdAt/);
  });
});

describe('PackagePredictor', () => {
  it('regression: raw records through the package equal the training path, with null imputed', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const before = tf.memory().numTensors;
    const p = await PackagePredictor.load(tf, buildPackage(trained, opts));
    const out = (await p.predict(rawRecords())) as RegressionPrediction[];
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const direct = await directFromFrame(trained);
    expect(out).toHaveLength(10);
    out.forEach((r, i) => {
      expect(Number.isFinite(r.prediction)).toBe(true);
      expect(r.prediction).toBeCloseTo(direct.values![i]!, 5);
    });
    // Row 2 had hp = null: the packaged impute step filled it, as in training.
    expect(out[2]!.prediction).toBeCloseTo(direct.values![2]!, 5);
    // The target scale was applied: predictions are not standardised values around 0.
    expect(Math.abs(out[0]!.prediction - 15.6)).toBeLessThan(15);
  });

  it('predictTable and predict agree, and an unseen category is handled by the packaged one_hot', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const p = await PackagePredictor.load(tf, buildPackage(trained, opts));
    try {
      const table = makeTable({ hp: [150], weight: [3500], origin: ['Mars'] });
      const a = await p.predictTable(table);
      const b = await p.predict([{ hp: 150, weight: 3500, origin: 'Mars' }]);
      expect(a).toEqual(b);
      expect(Number.isFinite((a[0] as RegressionPrediction).prediction)).toBe(true);
      expect(await p.predict([])).toEqual([]);
    } finally {
      p.dispose();
    }
  });

  it('classification: labels and probabilities match the training path', async () => {
    const trained = await makeTrained(tf, { task: 'classification', labels: ['a', 'b', 'c'] });
    const files = buildPackage(trained, opts);
    const v = validatePackage(files);
    if (!v.ok) throw v.error;
    expect(v.manifest.output).toEqual({ type: 'class', labels: ['a', 'b', 'c'], probabilities: true });
    expect(v.manifest.trainingStats.target?.type).toBe('categorical');
    const p = await PackagePredictor.load(tf, files);
    const out = (await p.predict(rawRecords())) as ClassificationPrediction[];
    p.dispose();
    const direct = await directFromFrame(trained);
    out.forEach((r, i) => {
      expect(Object.keys(r.probabilities)).toEqual(['a', 'b', 'c']);
      const probs = [0, 1, 2].map((c) => direct.probs![i * 3 + c]!);
      ['a', 'b', 'c'].forEach((l, c) => expect(r.probabilities[l]).toBeCloseTo(probs[c]!, 6));
      const sum = Object.values(r.probabilities).reduce((s, x) => s + x, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(r.label).toBe(['a', 'b', 'c'][probs.indexOf(Math.max(...probs))]);
    });
  });

  it('binary classification: a sigmoid output is P(labels[1])', async () => {
    const trained = await makeTrained(tf, { task: 'classification', labels: ['no', 'yes'], binary: true });
    const p = await PackagePredictor.load(tf, buildPackage(trained, opts));
    const out = (await p.predict(rawRecords().slice(0, 3))) as ClassificationPrediction[];
    p.dispose();
    const direct = await directFromFrame(trained);
    out.forEach((r, i) => {
      expect(r.probabilities.yes).toBeCloseTo(direct.probs![i * 2 + 1]!, 6);
      expect(r.probabilities.no! + r.probabilities.yes!).toBeCloseTo(1, 6);
      expect(r.label).toBe(r.probabilities.yes! > r.probabilities.no! ? 'yes' : 'no');
    });
  });

  it('ensembles: one folder per member, predictions are the members’ average', async () => {
    const trained = await makeTrained(tf, { task: 'regression' }, 2);
    const files = buildPackage(trained, opts);
    expect(files.has('models/1/model.json') && files.has('models/1/weights.bin')).toBe(true);
    const p = await PackagePredictor.load(tf, files);
    const out = (await p.predict(rawRecords())) as RegressionPrediction[];
    p.dispose();
    const single = await Promise.all(
      [0, 1].map((m) => directFromFrame({ ...trained, members: [trained.members[m]!] })),
    );
    out.forEach((r, i) => expect(r.prediction).toBeCloseTo((single[0]!.values![i]! + single[1]!.values![i]!) / 2, 4));
    expect(single[0]!.values![0]).not.toBeCloseTo(single[1]!.values![0]!, 3);
  });

  it('readPackage returns members that equal the trained ones', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const { manifest, members } = readPackage(buildPackage(trained, opts));
    expect(manifest.name).toBe('cars-mpg');
    expect(members[0]!.weightSpecs).toEqual(trained.members[0]!.weightSpecs);
    expect(new Uint8Array(members[0]!.weightData)).toEqual(new Uint8Array(trained.members[0]!.weightData));
    expect(members[0]!.modelTopology).toEqual(trained.members[0]!.modelTopology);
  });

  it('refuses a model whose output does not fit the manifest, without leaking tensors', async () => {
    const trained = await makeTrained(tf, { task: 'classification', labels: ['a', 'b', 'c'] });
    const files = editJson(buildPackage(trained, opts), MANIFEST_FILE, (m) => {
      m.labels = ['a', 'b', 'c', 'd'];
      m.output.labels = ['a', 'b', 'c', 'd'];
    });
    const before = tf.memory().numTensors;
    await expect(PackagePredictor.load(tf, files)).rejects.toMatchObject({ code: 'PACKAGE_INCONSISTENT', message: expect.stringContaining('models/0/model.json: output shape') });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a topology tfjs cannot build as PACKAGE_MODEL_LOAD naming the file', async () => {
    const trained = await makeTrained(tf, { task: 'regression' });
    const files = editJson(buildPackage(trained, opts), 'models/0/model.json', (j) => {
      j.modelTopology = { class_name: 'NoSuchModel', config: {} };
    });
    await expect(PackagePredictor.load(tf, files)).rejects.toMatchObject({ code: 'PACKAGE_MODEL_LOAD', message: expect.stringMatching(/^models\/0\/model\.json: tfjs could not load/) });
  });
});

describe('validatePackage rejects', () => {
  let good: PackageFiles;
  beforeAll(async () => {
    good = buildPackage(await makeTrained(tf, { task: 'regression' }), opts);
  });

  it('a missing manifest', () => {
    const f = copyFiles(good);
    f.delete(MANIFEST_FILE);
    expectInvalid(f, 'PACKAGE_MISSING_FILE', 'kiln-model.json: the manifest is missing');
  });

  it('invalid JSON, non-UTF-8 and non-object manifests, without throwing', () => {
    for (const text of ['{"formatVersion": 1,', '']) {
      const f = copyFiles(good);
      f.set(MANIFEST_FILE, new TextEncoder().encode(text));
      expectInvalid(f, 'PACKAGE_BAD_JSON', 'kiln-model.json: invalid JSON');
    }
    const f = copyFiles(good);
    f.set(MANIFEST_FILE, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expectInvalid(f, 'PACKAGE_BAD_JSON', 'UTF-8');
    for (const text of ['null', '[]', '"x"', '42']) {
      const g = copyFiles(good);
      g.set(MANIFEST_FILE, new TextEncoder().encode(text));
      expectInvalid(g, 'PACKAGE_SCHEMA', 'kiln-model.json');
    }
  });

  it('schema errors, naming the field path', () => {
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => delete m.name), 'PACKAGE_SCHEMA', 'kiln-model.json: name: is missing');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.members[0].inputGroups = 'all')), 'PACKAGE_SCHEMA', 'kiln-model.json: members[0].inputGroups');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.task = 'ranking')), 'PACKAGE_SCHEMA', 'task');
  });

  it('a newer formatVersion', () => {
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.formatVersion = 2)), 'PACKAGE_VERSION', 'kiln-model.json: formatVersion 2 is newer');
  });

  it('member paths that escape, are absolute, or hold backslashes or NUL', () => {
    const cases: [string, string][] = [
      ['../x', 'kiln-model.json: members[0].path "../x" escapes the package'],
      ['models/../../x/model.json', 'escapes the package'],
      ['/etc/model.json', '"/etc/model.json" is absolute'],
      ['C:/models/model.json', 'is absolute'],
      ['models\\0\\model.json', 'contains a backslash'],
      ['models/0/model.json\0', 'contains a NUL character'],
    ];
    for (const [p, msg] of cases) {
      const err = expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.members[0].path = p)), 'PACKAGE_UNSAFE_PATH', msg);
      expect(err.where.file).toBe('kiln-model.json');
    }
  });

  it('weights manifest paths that escape the model folder', () => {
    expectInvalid(
      editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].paths = ['../../../etc/passwd'])),
      'PACKAGE_UNSAFE_PATH',
      'models/0/model.json: weightsManifest[0].paths[0] "../../../etc/passwd" escapes the package',
    );
    expectInvalid(editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].paths = ['/tmp/w.bin'])), 'PACKAGE_UNSAFE_PATH', 'is absolute');
  });

  it('file map entries with unsafe names', () => {
    const f = copyFiles(good);
    f.set('../evil', new Uint8Array(1));
    expectInvalid(f, 'PACKAGE_UNSAFE_PATH', '"../evil" escapes the package');
  });

  it('missing model.json and weight files', () => {
    const a = copyFiles(good);
    a.delete('models/0/model.json');
    expectInvalid(a, 'PACKAGE_MISSING_FILE', 'models/0/model.json: the model file is missing');
    const b = copyFiles(good);
    b.delete('models/0/weights.bin');
    expectInvalid(b, 'PACKAGE_MISSING_FILE', 'models/0/weights.bin: weight file listed in models/0/model.json weightsManifest[0].paths[0] is missing');
  });

  it('truncated or padded weights', () => {
    const w = good.get('models/0/weights.bin')!;
    const a = copyFiles(good);
    a.set('models/0/weights.bin', w.slice(0, w.byteLength - 4));
    expectInvalid(a, 'PACKAGE_WEIGHTS_SIZE', 'models/0/weights.bin', `declares ${w.byteLength} bytes`);
    const b = copyFiles(good);
    b.set('models/0/weights.bin', new Uint8Array(w.byteLength + 1));
    expectInvalid(b, 'PACKAGE_WEIGHTS_SIZE', `${w.byteLength + 1} bytes`);
  });

  it('absurd shapes before allocating anything', () => {
    const withShape = (shape: unknown) => editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].weights[0].shape = shape));
    expectInvalid(withShape([1e9, 1e9]), 'PACKAGE_BAD_SHAPE', 'models/0/model.json: weightsManifest[0].weights[0].shape [1000000000,1000000000]', 'over 100000000');
    expectInvalid(withShape([-1, 5]), 'PACKAGE_BAD_SHAPE', 'not a non-negative integer');
    expectInvalid(withShape([2.5, 1]), 'PACKAGE_BAD_SHAPE', 'not a non-negative integer');
    // each dimension is allowed, the product is not
    expectInvalid(withShape([1e8, 3]), 'PACKAGE_TOO_LARGE', `over ${2 ** 28} weight elements`);
    expectInvalid(withShape('big'), 'PACKAGE_SCHEMA', 'weightsManifest[0].weights[0].shape');
  });

  it('unsupported dtypes and quantized weights', () => {
    expectInvalid(
      editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].weights[0].dtype = 'float64')),
      'PACKAGE_DTYPE',
      'models/0/model.json: weightsManifest[0].weights[0].dtype "float64"',
    );
    expectInvalid(editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].weights[0].dtype = 'string')), 'PACKAGE_DTYPE', '"string"');
    expectInvalid(
      editJson(good, 'models/0/model.json', (j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 1, min: 0 })),
      'PACKAGE_DTYPE',
      'quantized',
    );
  });

  it('unknown preprocessing step kinds', () => {
    expectInvalid(
      editJson(good, MANIFEST_FILE, (m) => (m.preprocessing[1].kind = 'rm_rf')),
      'PACKAGE_UNKNOWN_STEP',
      'kiln-model.json: preprocessing[1].kind "rm_rf" (node "oh")',
    );
  });

  it('fitted state that does not have the shape its kind declares', () => {
    // Before kinds declared their state, this loaded and failed later, mid-prediction.
    expectInvalid(
      editJson(good, MANIFEST_FILE, (m) => (m.preprocessing[0].state.fills = 'hp=0')),
      'PACKAGE_INCONSISTENT',
      'kiln-model.json: preprocessing[0].state.fills: Invalid input: expected array, received string (the fitted impute step of node "imp")',
    );
  });

  it('inconsistent manifests', () => {
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.members[0].inputGroups = [[0, 99]])), 'PACKAGE_INCONSISTENT', 'members[0].inputGroups[0][1]: column index 99 is out of range');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.members[0].intInputs = [false, true])), 'PACKAGE_INCONSISTENT', 'members[0].intInputs');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.output = { type: 'class', labels: ['a', 'b'], probabilities: true })), 'PACKAGE_INCONSISTENT', 'output.type');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => (m.targetScale = { mean: 0, std: 0 })), 'PACKAGE_INCONSISTENT', 'targetScale');
    expectInvalid(editJson(good, MANIFEST_FILE, (m) => m.features.push(m.features[0])), 'PACKAGE_INCONSISTENT', 'appears twice');
  });

  it('and readPackage / PackagePredictor.load throw the same error', async () => {
    const f = editJson(good, MANIFEST_FILE, (m) => (m.members[0].path = '../x'));
    expect(() => readPackage(f)).toThrow('kiln-model.json: members[0].path "../x" escapes the package');
    await expect(PackagePredictor.load(tf, f)).rejects.toMatchObject({ code: 'PACKAGE_UNSAFE_PATH' });
  });
});

describe('PackagePredictor request errors', () => {
  let p: PackagePredictor;
  beforeAll(async () => {
    p = await PackagePredictor.load(tf, buildPackage(await makeTrained(tf, { task: 'regression' }), opts));
    return () => p.dispose();
  });
  const rec = (over: Record<string, unknown> = {}) => ({ hp: 150, weight: 3500, origin: 'USA', ...over });

  it('names the record and field', async () => {
    const records = [rec(), rec(), rec(), { weight: 3500, origin: 'USA' }];
    await expect(p.predict(records)).rejects.toMatchObject({ code: 'INVALID_RECORD', message: 'record 3: missing field "hp"' });
    await expect(p.predict([rec(), rec(), rec(), rec({ hp: 'abc' })])).rejects.toMatchObject({ message: 'record 3 field "hp": expected number, got string "abc"' });
    await expect(p.predict([rec(), 'hello'])).rejects.toMatchObject({ message: 'record 1: expected an object, got string "hello"' });
    await expect(p.predict({ instances: [] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('a null the pipeline does not impute names the record', async () => {
    // weight is scaled but not imputed
    await expect(p.predict([rec(), rec({ weight: null })])).rejects.toMatchObject({ code: 'MISSING_VALUE', message: expect.stringMatching(/^record 1: "weight" is missing \(null\)/) });
  });

  it('caps the records per call', async () => {
    await expect(p.predict([rec(), rec(), rec()], { maxRecords: 2 })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('more than the 2 allowed') });
  });

  it('ignores extra fields, including the target', async () => {
    const [a] = (await p.predict([rec()])) as RegressionPrediction[];
    const [b] = (await p.predict([rec({ mpg: 99, id: 'x' })])) as RegressionPrediction[];
    expect(a!.prediction).toBe(b!.prediction);
  });

  it('predictions depend on the inputs (the comparisons above are not trivially equal)', async () => {
    const out = (await p.predict([rec({ hp: 50 }), rec({ hp: 250 })])) as RegressionPrediction[];
    expect(out[0]!.prediction).not.toBeCloseTo(out[1]!.prediction, 4);
  });
});
