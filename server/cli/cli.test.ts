import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const KILN = join(import.meta.dirname, 'kiln.mjs');
const VEGA = join(import.meta.dirname, '../../node_modules/vega-datasets/data');

async function kiln(args: string[], cwd: string) {
  try {
    const r = await run(process.execPath, [KILN, ...args], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-cli-'));
  // cars and penguins as JSON records files, as a user would pass them
  for (const f of ['cars.json', 'penguins.json']) await writeFile(join(dir, f), await readFile(join(VEGA, f)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts a failing command printed exactly one error line naming what it must name, and no stack. */
function expectOneLineError(r: { code: number; stderr: string }, ...mustContain: string[]) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const s of mustContain) expect(lines[0]).toContain(s);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('kiln CLI acceptance', () => {
  for (const model of ['linear', 'mlp']) {
    it(`cars (${model}): init + run reach R² ≥ 0.80 and predict from the package`, async () => {
      const init = await kiln(['init', '--data', 'cars.json', '--target', 'Miles_per_Gallon', '--model', model, '-o', `cars-${model}.json`], dir);
      expect(init.code).toBe(0);
      const r = await kiln(['run', `cars-${model}.json`, '--data', 'cars.json', '--backend', 'cpu', '--out', `pkg-${model}`, '--json'], dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out.metrics).sort()).toEqual(['mae', 'mape', 'r2', 'rmse']);
      expect(out.verdict).toBe('evaluate');
      expect(out.metrics.r2).toBeGreaterThanOrEqual(0.8);
      expect(out.backend).toBe('cpu');
      expect(out.graphHash).toMatch(/^[0-9a-f]{64}$/);
      expect(out.timings.totalMs).toBeGreaterThan(0);
      // The package carries the raw inputs' data schema from the training data (serving's OUT_OF_RANGE).
      const manifest = JSON.parse(await readFile(join(dir, `pkg-${model}`, 'kiln-model.json'), 'utf8'));
      expect(manifest.inputDataSchema.columns.map((c: { name: string }) => c.name)).toEqual(manifest.inputSchema.map((c: { name: string }) => c.name));
      expect(manifest.inputDataSchema.columns.find((c: { name: string }) => c.name === 'Horsepower')).toMatchObject({ type: 'numeric', min: 46, max: 230, nullable: true });
      const records = JSON.parse(await readFile(join(dir, 'cars.json'), 'utf8')).slice(0, 3);
      await writeFile(join(dir, 'records.json'), JSON.stringify(records));
      const p = await kiln(['predict', `pkg-${model}`, '--input', 'records.json'], dir);
      expect(p.code).toBe(0);
      const preds = JSON.parse(p.stdout);
      expect(preds).toHaveLength(3);
      for (const [i, pr] of preds.entries()) expect(Math.abs(pr.prediction - records[i].Miles_per_Gallon)).toBeLessThan(8);
    });
  }

  it('penguins: classification accuracy ≥ 0.95 with missing values kept', async () => {
    expect((await kiln(['init', '--data', 'penguins.json', '--target', 'Species', '-o', 'penguins.json.graph'], dir)).code).toBe(0);
    const r = await kiln(['run', 'penguins.json.graph', '--data', 'penguins.json', '--backend', 'cpu', '--json'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out.metrics).sort()).toEqual(['accuracy', 'auc', 'f1_macro', 'logloss']);
    expect(out.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe('kiln CLI bad inputs: one line naming the thing, non-zero exit', () => {
  it('missing target column', async () => {
    expectOneLineError(await kiln(['init', '--data', 'cars.json', '--target', 'mpg'], dir), 'cars.json', '"mpg"');
  });

  it('text in a numeric column', async () => {
    const rows = JSON.parse(await readFile(join(dir, 'cars.json'), 'utf8'));
    rows[16].Horsepower = 'abc';
    await writeFile(join(dir, 'cars-bad.json'), JSON.stringify(rows));
    expect((await kiln(['init', '--data', 'cars.json', '--target', 'Miles_per_Gallon', '-o', 'g.json'], dir)).code).toBe(0);
    expectOneLineError(await kiln(['run', 'g.json', '--data', 'cars-bad.json', '--backend', 'cpu'], dir), 'cars-bad.json', 'Horsepower', 'abc');
  });

  it('empty and header-only CSV, ragged rows', async () => {
    await writeFile(join(dir, 'empty.csv'), '');
    await writeFile(join(dir, 'header.csv'), 'a,b,c\n');
    await writeFile(join(dir, 'ragged.csv'), 'a,b,c\n1,2,3\n4,5\n7,8,9\n');
    expectOneLineError(await kiln(['init', '--data', 'empty.csv', '--target', 'a'], dir), 'empty.csv');
    expectOneLineError(await kiln(['init', '--data', 'header.csv', '--target', 'a'], dir), 'header.csv');
    expectOneLineError(await kiln(['init', '--data', 'ragged.csv', '--target', 'a'], dir), 'ragged.csv', 'row 3');
  });

  it('cyclic graph, unknown node kind, negative learning rate', async () => {
    const g = {
      version: 1,
      nodes: [
        { id: 'a', kind: 'standard_scale', params: {} },
        { id: 'b', kind: 'minmax_scale', params: {} },
      ],
      edges: [
        { source: 'a', sourcePort: 'data', target: 'b', targetPort: 'data' },
        { source: 'b', sourcePort: 'data', target: 'a', targetPort: 'data' },
      ],
    };
    await writeFile(join(dir, 'cyclic.json'), JSON.stringify(g));
    const c = await kiln(['validate', 'cyclic.json'], dir);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('GRAPH_CYCLE');
    expect(c.stderr).not.toMatch(/\n\s+at /);
    const base = JSON.parse((await kiln(['init', '--data', 'cars.json', '--target', 'Miles_per_Gallon'], dir)).stdout);
    base.nodes.find((n: { id: string }) => n.id === 'model').kind = 'linear_regresion';
    await writeFile(join(dir, 'unknown.json'), JSON.stringify(base));
    expectOneLineError(await kiln(['run', 'unknown.json', '--data', 'cars.json'], dir), 'UNKNOWN_KIND', 'node "model"', 'linear_regresion');
    base.nodes.find((n: { id: string }) => n.id === 'model').kind = 'linear_regression';
    base.nodes.find((n: { id: string }) => n.id === 'train').params.learningRate = -0.01;
    await writeFile(join(dir, 'neglr.json'), JSON.stringify(base));
    expectOneLineError(await kiln(['run', 'neglr.json', '--data', 'cars.json'], dir), 'node "train"', 'learningRate');
  });

  it('params from a newer kind version, old params, and several evaluate nodes', async () => {
    const base = JSON.parse((await kiln(['init', '--data', 'cars.json', '--target', 'Miles_per_Gallon', '--model', 'linear'], dir)).stdout);
    // A graph written by a Kiln whose train kind is at params version 9: one line naming the node, no crash.
    const newer = structuredClone(base);
    Object.assign(newer.nodes.find((n: { id: string }) => n.id === 'train'), { paramsVersion: 9 });
    await writeFile(join(dir, 'newer.json'), JSON.stringify(newer));
    expectOneLineError(await kiln(['run', 'newer.json', '--data', 'cars.json'], dir), 'PARAMS_VERSION', 'node "train"', 'version 9');
    // minmax_scale params as written before version 2 (min/max) still open; two evaluations: validate names the verdict.
    const old = structuredClone(base);
    old.nodes.push({ id: 'mm', kind: 'minmax_scale', params: { min: -1, max: 1 } }, { id: 'another_eval', kind: 'evaluate', params: {} });
    const into = old.edges.find((e: { targetPort: string; target: string }) => e.target === 'train' && e.targetPort === 'data');
    old.edges.push({ source: into.source, sourcePort: into.sourcePort, target: 'mm', targetPort: 'data' }, { source: 'train', sourcePort: 'trained', target: 'another_eval', targetPort: 'model' });
    into.source = 'mm';
    into.sourcePort = 'data';
    await writeFile(join(dir, 'old.json'), JSON.stringify(old));
    const v = await kiln(['validate', 'old.json'], dir);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('SEVERAL_EVALUATIONS');
    expect(v.stderr).toContain('"another_eval" decides');
  });

  it('tampered model package', async () => {
    expect((await kiln(['init', '--data', 'cars.json', '--target', 'Miles_per_Gallon', '-o', 't.json'], dir)).code).toBe(0);
    expect((await kiln(['run', 't.json', '--data', 'cars.json', '--backend', 'cpu', '--out', 'pkg-t'], dir)).code).toBe(0);
    const w = join(dir, 'pkg-t/models/0/weights.bin');
    const bytes = await readFile(w);
    await writeFile(w, bytes.subarray(0, bytes.length - 4));
    await writeFile(join(dir, 'r.json'), '[{}]');
    expectOneLineError(await kiln(['predict', 'pkg-t', '--input', 'r.json'], dir), 'weights.bin');
  });
});
