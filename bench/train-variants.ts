/**
 * Where the time goes in a tfjs training step, and which loop patterns help: the numbers behind
 * the "what limits Kiln" section of docs/benchmarks.md.
 *
 *   npx tsx bench/train-variants.ts [--backend wasm|cpu] [--epochs 3]
 *
 * Same MLP, data and batch size as bench/train.ts; each variant trains `epochs` epochs after a
 * warm-up epoch, best of 3. Variants change one thing at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { fitModel } from '../lib/exec/train-loop';
import { initNodeBackend } from '../lib/backend/node';
import type { BackendName } from '../lib/backend/index';
import { createRng } from '../lib/rng';

const ROWS = 20_000;
const F = 8;
const BATCH = 256;

function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = createRng(42);
  const x = Float32Array.from({ length: ROWS * F }, () => rng() * 2 - 1);
  const y = Float32Array.from({ length: ROWS }, (_, i) => x[i * F]! - 0.5 * x[i * F + 1]! + x[i * F + 2]! * x[i * F + 3]!);
  return { x: tf.tensor2d(x, [ROWS, F]), y: tf.tensor2d(y, [ROWS, 1]) };
}

function mlp(): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, activation: 'relu', inputShape: [F], kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

type Variant = (x: tf.Tensor2D, y: tf.Tensor2D, epochs: number) => Promise<void>;

/** The minimal loop: slice, minimize, no loss read-back at all (upper bound for loop tweaks). */
function bareLoop(returnCost: boolean): Variant {
  const model = mlp();
  const opt = tf.train.adam(1e-3);
  return async (x, y, epochs) => {
    for (let e = 0; e < epochs; e++) {
      let last: tf.Scalar | null = null;
      for (let s = 0; s < ROWS; s += BATCH) {
        const n = Math.min(BATCH, ROWS - s);
        last?.dispose();
        last = opt.minimize(() => {
          const p = model.apply(x.slice(s, n), { training: true }) as tf.Tensor;
          return tf.losses.meanSquaredError(y.slice(s, n), p) as tf.Scalar;
        }, returnCost);
      }
      if (last) {
        await last.data();
        last.dispose();
      } else {
        await model.getWeights()[0]!.data();
      }
    }
  };
}

/** Bypasses tfjs-layers: the same MLP as raw variables and fused matMuls. */
function rawVariables(): Variant {
  const model = mlp();
  const vars = model.getWeights().map((w, i) => tf.variable(w, true, `raw${i}`));
  const [w1, b1, w2, b2, w3, b3] = vars as [tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>, tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>];
  const opt = tf.train.adam(1e-3);
  return async (x, y, epochs) => {
    for (let e = 0; e < epochs; e++) {
      let sum: tf.Tensor = tf.scalar(0);
      for (let s = 0; s < ROWS; s += BATCH) {
        const n = Math.min(BATCH, ROWS - s);
        const l = opt.minimize(() => {
          const h1 = tf.fused.matMul({ a: x.slice(s, n), b: w1, bias: b1, activation: 'relu' });
          const h2 = tf.fused.matMul({ a: h1, b: w2, bias: b2, activation: 'relu' });
          const p = tf.fused.matMul({ a: h2, b: w3, bias: b3 });
          return tf.mean(tf.square(tf.sub(p, y.slice(s, n)))) as tf.Scalar;
        }, true)!;
        const next = tf.add(sum, tf.mul(l, n));
        sum.dispose();
        l.dispose();
        sum = next;
      }
      await sum.data();
      sum.dispose();
    }
  };
}

function kilnLoop(): Variant {
  const model = mlp();
  return async (x, y, epochs) => {
    await fitModel(tf, model, [x], y, { optimizer: 'adam', learningRate: 1e-3, epochs, batchSize: BATCH, validationFraction: 0, seed: 1, loss: 'meanSquaredError' });
  };
}

async function time(name: string, v: Variant, x: tf.Tensor2D, y: tf.Tensor2D, epochs: number): Promise<void> {
  await v(x, y, 1);
  const before = tf.memory().numTensors;
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await v(x, y, epochs);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const leaked = tf.memory().numTensors - before;
  const steps = Math.ceil(ROWS / BATCH) * epochs;
  console.log(`${name.padEnd(44)} ${Math.round((ROWS * epochs) / best).toLocaleString('en-US').padStart(9)} samples/s  ${((best * 1000) / steps).toFixed(3)} ms/step${leaked ? `  (${leaked} tensors leaked)` : ''}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const backend = (argv[argv.indexOf('--backend') + 1] ?? 'wasm') as BackendName;
  const epochs = Number(argv.includes('--epochs') ? argv[argv.indexOf('--epochs') + 1] : 3);
  const info = await initNodeBackend(argv.includes('--backend') ? backend : 'wasm', { vulkanIcdFiles: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES });
  console.log(`backend: ${info.adapter}; ${JSON.stringify(info.details ?? {})}`);
  const { x, y } = data();
  await time('Kiln fitModel', kilnLoop(), x, y, epochs);
  await time('bare loop, cost returned, 1 read/epoch', bareLoop(true), x, y, epochs);
  await time('bare loop, no cost', bareLoop(false), x, y, epochs);
  await time('raw variables + fused matMul (no layers)', rawVariables(), x, y, epochs);
  tf.enableProdMode();
  await time('Kiln fitModel, tf.enableProdMode()', kilnLoop(), x, y, epochs);
  // One profiled step: kernel count and kernel time vs wall time per step.
  const model = mlp();
  const opt = tf.train.adam(1e-3);
  const xb = x.slice(0, BATCH);
  const yb = y.slice(0, BATCH);
  const step = () => opt.minimize(() => tf.losses.meanSquaredError(yb, model.apply(xb, { training: true }) as tf.Tensor) as tf.Scalar, false);
  for (let i = 0; i < 20; i++) step();
  const prof = await tf.profile(async () => {
    for (let i = 0; i < 20; i++) step();
  });
  const kernelMs = prof.kernels.reduce((s, k) => s + (Number(k.kernelTimeMs) || 0), 0) / 20;
  const byName = new Map<string, number>();
  for (const k of prof.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (Number(k.kernelTimeMs) || 0) / 20);
  console.log(`per step: ${prof.kernels.length / 20} kernels, ${kernelMs.toFixed(3)} ms inside kernels (profiler-timed)`);
  console.log(
    'top kernels (ms/step): ' +
      [...byName.entries()]
        .sort((p, q) => q[1] - p[1])
        .slice(0, 6)
        .map(([k, ms]) => `${k} ${ms.toFixed(3)}`)
        .join(', '),
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
