import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitModel } from './train-loop';

function data(n: number) {
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.sin(i * 1.3);
    const b = Math.cos(i * 0.7);
    x[i * 2] = a;
    x[i * 2 + 1] = b;
    y[i] = 2 * a - 3 * b + 0.5;
  }
  return { x: tf.tensor2d(x, [n, 2]), y: tf.tensor2d(y, [n, 1]) };
}

function linear(seed: number, l1 = 0) {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: tf.initializers.glorotUniform({ seed }), ...(l1 ? { kernelRegularizer: tf.regularizers.l1({ l1 }) } : {}) }));
  return m;
}

const opts = { optimizer: 'adam' as const, learningRate: 0.1, epochs: 40, batchSize: 16, validationFraction: 0.2, seed: 3, loss: 'meanSquaredError' as const };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fitModel', () => {
  it('learns a linear function, deterministically, without leaking tensors', async () => {
    const { x, y } = data(200);
    const before = tf.memory().numTensors;
    const m1 = linear(1);
    const r1 = await fitModel(tf, m1, [x], y, opts);
    const w1 = Array.from(await m1.getWeights()[0]!.data());
    const m2 = linear(1);
    const r2 = await fitModel(tf, m2, [x], y, opts);
    const w2 = Array.from(await m2.getWeights()[0]!.data());
    expect(w1).toEqual(w2);
    expect(r1.history).toEqual(r2.history);
    expect(w1[0]).toBeCloseTo(2, 1);
    expect(w1[1]).toBeCloseTo(-3, 1);
    expect(r1.history.at(-1)!.valLoss).toBeLessThan(0.01);
    const modelTensors = 2 * 2; // kernel + bias per model
    expect(tf.memory().numTensors).toBe(before + modelTensors);
    m1.dispose();
    m2.dispose();
    x.dispose();
    y.dispose();
  });

  it('stops early and keeps the best epoch', async () => {
    const { x, y } = data(100);
    const m = linear(2);
    const r = await fitModel(tf, m, [x], y, { ...opts, learningRate: 0.5, epochs: 500, patience: 3 });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length).toBeLessThan(500);
    const best = Math.min(...r.history.map((h) => h.valLoss!));
    expect(r.history[r.bestEpoch - 1]!.valLoss).toBe(best);
    m.dispose();
    x.dispose();
    y.dispose();
  });

  it('adds the L1 penalty to the loss', async () => {
    const { x, y } = data(100);
    const plain = linear(4);
    const pen = linear(4, 1);
    const a = await fitModel(tf, plain, [x], y, { ...opts, epochs: 1 });
    const b = await fitModel(tf, pen, [x], y, { ...opts, epochs: 1 });
    expect(b.history[0]!.loss).toBeGreaterThan(a.history[0]!.loss);
    plain.dispose();
    pen.dispose();
    x.dispose();
    y.dispose();
  });

  it('cancels between batches and rejects bad settings', async () => {
    const { x, y } = data(100);
    const m = linear(5);
    const ctl = new AbortController();
    const before = tf.memory().numTensors;
    const p = fitModel(tf, m, [x], y, { ...opts, epochs: 1000, signal: ctl.signal, onEpoch: (e) => e.epoch === 2 && ctl.abort() });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
    await expect(fitModel(tf, m, [x], y, { ...opts, learningRate: -1 })).rejects.toMatchObject({ code: 'BAD_PARAM' });
    m.dispose();
    x.dispose();
    y.dispose();
  });

  it('lets timers run while training on cpu (heartbeats, signals, UI events)', async () => {
    const { x, y } = data(2000);
    const m = linear(6);
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    const t0 = performance.now();
    await fitModel(tf, m, [x], y, { ...opts, epochs: 20, batchSize: 8, validationFraction: 0 });
    clearInterval(timer);
    const ms = performance.now() - t0;
    // At least one turn per epoch, and one per ~25 ms of batches.
    expect(turns).toBeGreaterThanOrEqual(Math.max(20, Math.floor(ms / 50)));
    m.dispose();
    x.dispose();
    y.dispose();
  });
});
