import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import '../nodes/catalog';
import { initNodeBackend, shutdownNodeBackend } from '../backend/node';
import type { BackendName } from '../backend/index';
import { loadBuiltinDataset } from '../data/node';
import { runCustomInline } from '../nodes/kinds/custom';
import { listNodeKinds } from '../nodes/registry';
import type { DataSource, Evaluation } from '../nodes/types';
import { runGraph } from './executor';
import { collectResults } from './results';
import { fixtures, syntheticDigitsCsv } from './fixtures';

/**
 * One fixture suite on every backend: the cpu results must match the expected results stored in
 * ./fixtures/golden-cpu.json (so a change that makes every backend equally wrong fails), and the
 * same graphs and seeds must give the same metrics (1e-3 relative) and predictions (1e-3) on
 * wasm and webgpu (Dawn; SwiftShader here) as on cpu.
 *
 * After a deliberate change to what the fixtures compute, regenerate the golden file with
 * `KILN_UPDATE_GOLDEN=1 npx vitest run lib/exec/parity.test.ts` and review its diff.
 */
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
const hasVulkan = !!process.env.VK_ICD_FILENAMES;

const GOLDEN_PATH = new URL('./fixtures/golden-cpu.json', import.meta.url);
const UPDATE_GOLDEN = process.env.KILN_UPDATE_GOLDEN === '1';
/** how many leading predictions (flattened: probabilities row by row) the golden file keeps */
const GOLDEN_PREDICTIONS = 6;
/**
 * cpu with seeded initialisers gives identical numbers run after run (checked: two runs agreed
 * bit for bit); the slack only absorbs float formatting and libm differences between machines,
 * far below what any change to preprocessing, initialisation or training moves.
 */
const GOLDEN_RTOL = 1e-6;

interface GoldenEval {
  task: string;
  metrics: Record<string, number>;
  nPredictions: number;
  predictions: number[];
  gates: boolean[];
}
type Golden = Record<string, Record<string, GoldenEval>>;

const digits = syntheticDigitsCsv();
const loadData = async (ref: { builtin?: string; input?: string }): Promise<DataSource> =>
  ref.builtin ? loadBuiltinDataset(ref.builtin) : { name: 'digits.csv', text: digits, format: 'csv' };

type Results = Record<string, Record<string, Evaluation>>;

async function runAll(): Promise<Results> {
  const out: Results = {};
  for (const [name, g] of Object.entries(fixtures)) {
    const before = tf.memory().numTensors;
    const r = await runGraph(g, { loadData, runCustom: runCustomInline });
    expect(tf.memory().numTensors, `${name} leaked tensors on ${tf.getBackend()}`).toBe(before);
    out[name] = {};
    for (const e of collectResults(r.graph, r.outputs).evaluations) out[name]![e.nodeId] = e.evaluation;
  }
  return out;
}

function flat(p: Evaluation['predictions']): number[] {
  return (p as (number | number[])[]).flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function toGolden(results: Results): Golden {
  const out: Golden = {};
  for (const [fx, evals] of Object.entries(results)) {
    out[fx] = {};
    for (const [id, ev] of Object.entries(evals)) {
      const p = flat(ev.predictions);
      out[fx]![id] = { task: ev.task, metrics: ev.metrics, nPredictions: p.length, predictions: p.slice(0, GOLDEN_PREDICTIONS), gates: ev.gates.map((g) => g.passed) };
    }
  }
  return out;
}

const near = (a: number, b: number) => Math.abs(a - b) <= GOLDEN_RTOL * Math.max(Math.abs(b), 1e-3);

/** Compares the cpu results with the stored expectations, naming every value that moved. */
function goldenDiffs(actual: Golden, expected: Golden): string[] {
  const diffs: string[] = [];
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const fx of keys(actual, expected)) {
    for (const id of keys(actual[fx] ?? {}, expected[fx] ?? {})) {
      const a = actual[fx]?.[id];
      const e = expected[fx]?.[id];
      const at = `${fx}/${id}`;
      if (!a || !e) {
        diffs.push(`${at}: ${a ? 'not in the golden file' : 'missing from the results'}`);
        continue;
      }
      if (a.task !== e.task) diffs.push(`${at} task: ${a.task}, expected ${e.task}`);
      for (const k of keys(a.metrics, e.metrics)) {
        const [x, y] = [a.metrics[k], e.metrics[k]];
        if (x === undefined || y === undefined || !near(x, y)) diffs.push(`${at} ${k}: ${x}, expected ${y}`);
      }
      if (a.nPredictions !== e.nPredictions) diffs.push(`${at}: ${a.nPredictions} predictions, expected ${e.nPredictions}`);
      e.predictions.forEach((y, i) => {
        const x = a.predictions[i];
        if (x === undefined || !near(x, y)) diffs.push(`${at} prediction[${i}]: ${x}, expected ${y}`);
      });
      if (JSON.stringify(a.gates) !== JSON.stringify(e.gates)) diffs.push(`${at} gates passed: ${JSON.stringify(a.gates)}, expected ${JSON.stringify(e.gates)}`);
    }
  }
  return diffs;
}

function expectClose(base: Results, other: Results, backend: string) {
  for (const [fx, evals] of Object.entries(base)) {
    for (const [id, ev] of Object.entries(evals)) {
      const o = other[fx]![id]!;
      for (const [k, v] of Object.entries(ev.metrics)) {
        const w = o.metrics[k]!;
        expect(Math.abs(w - v), `${fx}/${id} ${k}: cpu ${v} vs ${backend} ${w}`).toBeLessThanOrEqual(1e-3 * Math.max(Math.abs(v), 1e-6));
      }
      const a = flat(ev.predictions);
      const b = flat(o.predictions);
      expect(b.length).toBe(a.length);
      // Regression predictions are in target units (mpg): compare relative to scale; probabilities absolutely.
      const scale = ev.task === 'regression' ? Math.max(1, ...a.map(Math.abs)) : 1;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
      expect(worst, `${fx}/${id} predictions differ by ${worst} on ${backend}`).toBeLessThanOrEqual(1e-3);
      expect(o.gates.map((g) => g.passed)).toEqual(ev.gates.map((g) => g.passed));
    }
  }
}

describe('fixture suite on every backend', () => {
  const results: Partial<Record<BackendName, Results>> = {};
  afterAll(async () => {
    await shutdownNodeBackend();
  });

  it('the fixtures use every node kind', () => {
    const used = new Set(Object.values(fixtures).flatMap((g) => g.nodes.map((n) => n.kind)));
    const missing = listNodeKinds()
      .map((k) => k.kind)
      .filter((k) => !used.has(k));
    expect(missing).toEqual([]);
  });

  it('cpu', async () => {
    await initNodeBackend('cpu');
    results.cpu = await runAll();
    const actual = toGolden(results.cpu);
    if (UPDATE_GOLDEN) writeFileSync(GOLDEN_PATH, `${JSON.stringify(actual, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Golden;
    expect(goldenDiffs(actual, expected), 'cpu results moved from fixtures/golden-cpu.json (KILN_UPDATE_GOLDEN=1 regenerates it after a deliberate change)').toEqual([]);
    // The golden values themselves are sensible (a regenerated file cannot enshrine a broken model).
    expect(actual['cars-regression']!.eval_lin!.metrics.r2).toBeGreaterThan(0.5);
    expect(actual['digits-convnet']!.eval!.metrics.accuracy).toBeGreaterThan(0.8);
  });

  it('wasm matches cpu', async () => {
    const info = await initNodeBackend('wasm');
    expect(info.name).toBe('wasm');
    results.wasm = await runAll();
    expectClose(results.cpu!, results.wasm, 'wasm');
  });

  it.skipIf(!hasVulkan)('webgpu (Dawn) matches cpu', async () => {
    const info = await initNodeBackend('webgpu', { vulkanIcdFiles: process.env.VK_ICD_FILENAMES });
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    results.webgpu = await runAll();
    expectClose(results.cpu!, results.webgpu, 'webgpu');
  }, 600_000);
});
