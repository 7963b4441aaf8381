import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
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
 * One fixture suite on every backend: the same graphs and seeds must give the same metrics
 * (1e-3 relative) and predictions (1e-3) on cpu, wasm and webgpu (Dawn; SwiftShader here).
 */
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
const hasVulkan = !!process.env.VK_ICD_FILENAMES && !process.env.KILN_SKIP_WEBGPU;

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
    const cars = results.cpu['cars-regression']!;
    expect(cars.eval_lin!.metrics.r2).toBeGreaterThan(0);
    expect(results.cpu['digits-convnet']!.eval!.metrics.accuracy).toBeGreaterThan(0.5);
  });

  it('wasm matches cpu', async () => {
    const info = await initNodeBackend('wasm');
    expect(info.name).toBe('wasm');
    results.wasm = await runAll();
    expectClose(results.cpu!, results.wasm, 'wasm');
  });

  it.skipIf(!hasVulkan)('webgpu (Dawn) matches cpu', async () => {
    const info = await initNodeBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    results.webgpu = await runAll();
    expectClose(results.cpu!, results.webgpu, 'webgpu');
  }, 600_000);
});
