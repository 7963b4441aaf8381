import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { initNodeBackend } from './node';

function values(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

function seeded(shape: [number, number], seed: number): tf.Tensor2D {
  return tf.tensor2d(values(shape[0] * shape[1], seed), shape);
}

async function product(backend: 'cpu' | 'wasm', ta: boolean, tb: boolean, fused: boolean): Promise<Float32Array> {
  await initNodeBackend(backend);
  const a = seeded(ta ? [37, 50] : [50, 37], 1);
  const b = seeded(tb ? [23, 37] : [37, 23], 2);
  // Built rank-1 directly: the wasm fused kernel rejects a bias reshaped from rank 2 (a tfjs bug).
  const bias = tf.tensor1d(values(23, 3));
  const out = fused ? tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: 'relu' }) : tf.matMul(a, b, ta, tb);
  const data = (await out.data()) as Float32Array;
  tf.dispose([a, b, bias, out]);
  return data;
}

function maxAbsDiff(p: Float32Array, q: Float32Array): number {
  expect(p.length).toBe(q.length);
  let m = 0;
  for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs(p[i]! - q[i]!));
  return m;
}

describe('wasm matMul transpose fix', () => {
  for (const fused of [false, true]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${fused ? 'fused ' : ''}matMul transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
        const want = await product('cpu', ta, tb, fused);
        const got = await product('wasm', ta, tb, fused);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      });
    }
  }

  it('reports the fix and leaks no tensors through repeated transposed products', async () => {
    const info = await initNodeBackend('wasm');
    expect(info.details?.matMul).toMatch(/XNNPACK/);
    const a = seeded([64, 16], 4);
    const before = tf.memory().numTensors;
    const beforeBytes = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) tf.tidy(() => {
      tf.matMul(a, a, true, false);
      tf.matMul(a, a, false, true);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(beforeBytes);
    a.dispose();
  });

  it('gives the same MLP gradients as cpu', async () => {
    const grads = async (backend: 'cpu' | 'wasm') => {
      await initNodeBackend(backend);
      const x = seeded([32, 8], 5);
      const w1 = tf.variable(seeded([8, 16], 6), true, `w1${backend}`);
      const w2 = tf.variable(seeded([16, 1], 7), true, `w2${backend}`);
      const { grads: g } = tf.variableGrads(() => tf.mean(tf.square(tf.matMul(tf.relu(tf.matMul(x, w1)), w2))) as tf.Scalar, [w1, w2]);
      const out = [await g[w1.name]!.data(), await g[w2.name]!.data()] as Float32Array[];
      tf.dispose([x, w1, w2, ...Object.values(g)]);
      return out;
    };
    const want = await grads('cpu');
    const got = await grads('wasm');
    expect(maxAbsDiff(got[0]!, want[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[1]!, want[1]!)).toBeLessThan(1e-5);
  });
});
