/**
 * Training throughput benchmark: Kiln's training loop (lib/exec/train-loop.ts) on each Node
 * backend against PyTorch CPU, on the same data and model.
 *
 *   npm run bench:train -- [--backends cpu,wasm,webgpu] [--runs 3] [--epochs 5] [--no-torch] [--json FILE]
 *
 * MLP 8→64→64→1 (relu), 20,000 synthetic regression rows, batch 256, Adam lr 1e-3, MSE.
 * Each configuration gets a warm-up epoch, then `runs` timed runs of `epochs` epochs; the best
 * run counts. Also times tfjs's own `model.fit` (reference) and predict latency for 1 and 1,000
 * rows. Results print as a table; `--json FILE` also writes them (keep result files out of git).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitModel } from '../lib/exec/train-loop';
import { initNodeBackend, shutdownNodeBackend } from '../lib/backend/node';
import type { BackendInfo, BackendName } from '../lib/backend/index';
import { ModelRunner, serializeModel } from '../lib/package/predictor';
import { buildPackage } from '../lib/package/build';
import { PackagePredictor } from '../lib/package/package-predictor';
import '../lib/nodes/catalog';
import { getNodeKind } from '../lib/nodes/registry';
import type { Frame, TrainedModel } from '../lib/nodes/types';
import type { Table } from '../lib/data/table';

/** Fits a standard_scale step on the table, as a graph would, so the package carries real preprocessing. */
async function runKindForBench(table: Table, columns: string[]): Promise<Frame> {
  const frame: Frame = { table, target: 'y', steps: [], inputSchema: columns.map((name) => ({ name, type: 'numeric', nullable: false })), datasetHashes: [] };
  const kind = getNodeKind('standard_scale')!;
  const ctx = { nodeId: 'scale', seed: 1, signal: new AbortController().signal, tf, backend: tf.getBackend(), emit() {}, log() {}, loadData: async () => { throw new Error('no data'); } };
  const out = await kind.run({ data: frame }, kind.params.parse({ columns }), ctx);
  return out.data as Frame;
}
import { createRng } from '../lib/rng';

const ROWS = 20_000;
const FEATURES = 8;
const BATCH = 256;
const LR = 1e-3;
const SEED = 42;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Args {
  backends: BackendName[];
  runs: number;
  epochs: number;
  torch: boolean;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backends: ['cpu', 'wasm', 'webgpu'], runs: 3, epochs: 5, torch: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backends') args.backends = next().split(',') as BackendName[];
    else if (a === '--runs') args.runs = Number(next());
    else if (a === '--epochs') args.epochs = Number(next());
    else if (a === '--no-torch') args.torch = false;
    else if (a === '--json') args.json = next();
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/**
 * Deterministic regression data: uniform features in [-1, 1) from Kiln's seeded PRNG, and a
 * nonlinear target with a little noise, so the MLP has something to learn.
 */
export function syntheticData(rows: number, features: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = createRng(seed);
  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let t = 0;
    for (let j = 0; j < features; j++) {
      const v = rng() * 2 - 1;
      x[i * features + j] = v;
      t += (j % 2 === 0 ? 1 : -0.5) * v;
    }
    const a = x[i * features]!;
    const b = x[i * features + 1]!;
    const c = x[i * features + 2]!;
    y[i] = t + 0.5 * Math.sin(3 * a) + b * c + 0.05 * (rng() - 0.5);
  }
  return { x, y };
}

function buildModel(seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 64, activation: 'relu', inputShape: [FEATURES], kernelInitializer: init(1) }),
      tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

interface TrainResult {
  label: string;
  backend: string;
  secondsPerRun: number[];
  /** epochs per timed run (1 on a software GPU) */
  epochs: number;
  samplesPerSec: number;
  finalLoss: number;
}

/** A warm-up epoch slower than this marks a software-emulated device: it gets one 1-epoch run. */
const SLOW_EPOCH_S = 5;

interface Timed {
  times: number[];
  loss: number;
  epochs: number;
}

async function timeRuns(runs: number, epochs: number, once: (epochs: number) => Promise<number>): Promise<Timed> {
  const w0 = performance.now();
  await once(1); // warm-up: shader/kernel compilation, wasm tiering, allocator growth
  if ((performance.now() - w0) / 1000 > SLOW_EPOCH_S) {
    // SwiftShader runs ~100× slower than wasm; the full schedule would take most of an hour.
    runs = 1;
    epochs = 1;
  }
  const times: number[] = [];
  let loss = NaN;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    loss = await once(epochs);
    times.push((performance.now() - t0) / 1000);
  }
  return { times, loss, epochs };
}

async function benchKilnLoop(backend: BackendInfo, x: tf.Tensor2D, y: tf.Tensor2D, a: Args): Promise<TrainResult> {
  const model = buildModel(SEED);
  const { times, loss, epochs: timedEpochs } = await timeRuns(a.runs, a.epochs, async (epochs) => {
    const r = await fitModel(tf, model, [x], y, { optimizer: 'adam', learningRate: LR, epochs, batchSize: BATCH, validationFraction: 0, seed: SEED, loss: 'meanSquaredError' });
    return r.history.at(-1)!.loss;
  });
  model.dispose();
  return { label: 'Kiln fitModel', backend: backend.adapter, secondsPerRun: times, epochs: timedEpochs, samplesPerSec: (ROWS * timedEpochs) / Math.min(...times), finalLoss: loss };
}

async function benchTfjsFit(backend: BackendInfo, x: tf.Tensor2D, y: tf.Tensor2D, a: Args): Promise<TrainResult> {
  const model = buildModel(SEED);
  model.compile({ optimizer: tf.train.adam(LR), loss: 'meanSquaredError' });
  const { times, loss, epochs: timedEpochs } = await timeRuns(a.runs, a.epochs, async (epochs) => {
    const h = await model.fit(x, y, { batchSize: BATCH, epochs, shuffle: true, verbose: 0 });
    return Number(h.history.loss!.at(-1));
  });
  model.dispose();
  return { label: 'tfjs model.fit (reference)', backend: backend.adapter, secondsPerRun: times, epochs: timedEpochs, samplesPerSec: (ROWS * timedEpochs) / Math.min(...times), finalLoss: loss };
}

interface LatencyResult {
  label: string;
  backend: string;
  ms1: number;
  ms1000: number;
}

async function medianMs(reps: number, fn: () => Promise<unknown>): Promise<number> {
  const w0 = performance.now();
  for (let i = 0; i < 10 && performance.now() - w0 < 2000; i++) await fn();
  const s: number[] = [];
  const t0 = performance.now();
  // Bounded at ~5 s so a software GPU still finishes; at least 5 samples for a median.
  for (let i = 0; i < reps && (i < 5 || performance.now() - t0 < 5000); i++) {
    const t0 = performance.now();
    await fn();
    s.push(performance.now() - t0);
  }
  s.sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

async function benchPredict(backend: BackendInfo, xAll: Float32Array): Promise<LatencyResult[]> {
  const model = buildModel(SEED);
  const direct = async (n: number) => {
    const t = tf.tensor2d(xAll.subarray(0, n * FEATURES), [n, FEATURES]);
    // tfjs's predict defaults to batches of 32 rows; one batch of n is what a server wants.
    const out = model.predict(t, { batchSize: n }) as tf.Tensor;
    await out.data();
    tf.dispose([t, out]);
  };
  const results: LatencyResult[] = [
    { label: 'tfjs model.predict(batch n)', backend: backend.adapter, ms1: await medianMs(200, () => direct(1)), ms1000: await medianMs(100, () => direct(1000)) },
  ];
  // Package path: the serialized model reloaded by lib/package's ModelRunner, fed a feature matrix.
  const member = await serializeModel(tf, model, [[...Array(FEATURES).keys()]], [false], 'bench-mlp');
  const features = Array.from({ length: FEATURES }, (_, j) => `x${j}`);
  const runner = await ModelRunner.load(tf, { members: [member], features, task: 'regression' });
  results.push({
    label: 'Kiln ModelRunner.predictMatrix',
    backend: backend.adapter,
    ms1: await medianMs(200, () => runner.predictMatrix(xAll.subarray(0, FEATURES), 1)),
    ms1000: await medianMs(100, () => runner.predictMatrix(xAll.subarray(0, 1000 * FEATURES), 1000)),
  });
  // The full package path an app pays for: JSON records → schema check → fitted preprocessing
  // (a standard_scale step here) → model → results, from a package built and re-read in memory.
  const nTrain = 2000;
  const table = {
    nRows: nTrain,
    columns: [
      ...features.map((name, j) => ({ name, type: 'numeric' as const, values: Float64Array.from({ length: nTrain }, (_, i) => xAll[i * FEATURES + j]!) })),
      { name: 'y', type: 'numeric' as const, values: new Float64Array(nTrain) },
    ],
  };
  const scaled = await runKindForBench(table, features);
  const trained: TrainedModel = {
    members: [member],
    features,
    task: 'regression',
    target: 'y',
    frame: scaled,
    history: [],
    seed: SEED,
  };
  const files = buildPackage(trained, { name: 'bench-mlp', lineage: { graphHash: 'bench', backend: backend.name, device: backend.adapter }, kilnVersion: 'bench' });
  const predictor = await PackagePredictor.load(tf, files);
  const records = Array.from({ length: 1000 }, (_, i) => Object.fromEntries(features.map((f, j) => [f, xAll[i * FEATURES + j]!])));
  results.push({
    label: 'Kiln package predict(records)',
    backend: backend.adapter,
    ms1: await medianMs(200, () => predictor.predict(records.slice(0, 1))),
    ms1000: await medianMs(100, () => predictor.predict(records)),
  });
  predictor.dispose();
  runner.dispose();
  model.dispose();
  return results;
}

interface TorchResult {
  threads: number;
  torch: string;
  secondsPerRun: number[];
  samplesPerSec: number;
  finalLoss: number;
  predictMs1: number;
  predictMs1000: number;
}

function runTorch(dataFile: string, threads: number, a: Args): TorchResult {
  const script = join(import.meta.dirname, 'train_torch.py');
  // Debian's python3-torch lives in the system interpreter, not in a pyenv shim.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const out = execFileSync(python, [script, dataFile, String(ROWS), String(FEATURES), String(threads), String(a.epochs), String(BATCH), String(a.runs)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as TorchResult;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  // The bench (not the library) opts into SwiftShader so webgpu runs on machines without a GPU.
  if (a.backends.includes('webgpu') && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

  const { x: xData, y: yData } = syntheticData(ROWS, FEATURES, SEED);
  const train: TrainResult[] = [];
  const latency: LatencyResult[] = [];
  const backends: BackendInfo[] = [];

  for (const name of a.backends) {
    let info: BackendInfo;
    try {
      info = await initNodeBackend(name, { vulkanIcdFiles: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES });
    } catch (e) {
      console.error(`skipping ${name}: ${(e as Error).message}`);
      continue;
    }
    backends.push(info);
    console.error(`… ${name}: ${info.adapter}`);
    const x = tf.tensor2d(xData, [ROWS, FEATURES]);
    const y = tf.tensor2d(yData, [ROWS, 1]);
    train.push(await benchKilnLoop(info, x, y, a));
    train.push(await benchTfjsFit(info, x, y, a));
    latency.push(...(await benchPredict(info, xData)));
    tf.dispose([x, y]);
  }
  await shutdownNodeBackend();

  const torch: TorchResult[] = [];
  if (a.torch) {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
    try {
      const file = join(dir, 'data.bin');
      const both = new Float32Array(xData.length + yData.length);
      both.set(xData);
      both.set(yData, xData.length);
      writeFileSync(file, new Uint8Array(both.buffer));
      for (const threads of [1, 2]) {
        console.error(`… PyTorch CPU, ${threads} thread(s)`);
        torch.push(runTorch(file, threads, a));
      }
    } catch (e) {
      console.error(`PyTorch skipped: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const rows = [
    ...train.map((r) => ({ what: r.label + (r.epochs !== a.epochs ? ' *' : ''), where: r.backend, sps: r.samplesPerSec, loss: r.finalLoss })),
    ...torch.map((r) => ({ what: `PyTorch ${r.torch}`, where: `CPU, ${r.threads} thread${r.threads > 1 ? 's' : ''}`, sps: r.samplesPerSec, loss: r.finalLoss })),
  ];
  const bestTorch = Math.max(0, ...torch.map((r) => r.samplesPerSec));
  const bestKiln = Math.max(0, ...train.filter((r) => r.label === 'Kiln fitModel').map((r) => r.samplesPerSec));
  console.log(`\nTraining: MLP ${FEATURES}→64→64→1, ${fmt(ROWS)} rows, batch ${BATCH}, ${a.epochs} epochs, Adam ${LR}; best of ${a.runs} after a warm-up epoch (* = software GPU: 1 run of 1 epoch)`);
  console.log(`${'what'.padEnd(28)} ${'backend / device'.padEnd(52)} ${'samples/s'.padStart(10)} ${'vs best torch'.padStart(13)} ${'final loss'.padStart(10)}`);
  for (const r of rows) {
    const ratio = bestTorch > 0 ? `${(r.sps / bestTorch).toFixed(2)}×` : '-';
    console.log(`${r.what.padEnd(28)} ${r.where.padEnd(52)} ${fmt(r.sps).padStart(10)} ${ratio.padStart(13)} ${r.loss.toFixed(4).padStart(10)}`);
  }
  console.log(`\nPredict latency (median, ms)`);
  console.log(`${'what'.padEnd(32)} ${'backend / device'.padEnd(52)} ${'1 row'.padStart(8)} ${'1,000 rows'.padStart(11)}`);
  for (const r of latency) console.log(`${r.label.padEnd(32)} ${r.backend.padEnd(52)} ${fmt(r.ms1, 3).padStart(8)} ${fmt(r.ms1000, 3).padStart(11)}`);
  for (const r of torch) console.log(`${`PyTorch no_grad`.padEnd(32)} ${`CPU, ${r.threads} thread(s)`.padEnd(52)} ${fmt(r.predictMs1, 3).padStart(8)} ${fmt(r.predictMs1000, 3).padStart(11)}`);
  if (bestTorch > 0) console.log(`\nKiln best / PyTorch best: ${(bestKiln / bestTorch).toFixed(2)}×`);

  if (a.json) {
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, tfjs: tf.version.tfjs },
      config: { rows: ROWS, features: FEATURES, batch: BATCH, epochs: a.epochs, runs: a.runs, lr: LR },
      backends,
      train,
      latency,
      torch,
    };
    writeFileSync(a.json, JSON.stringify(report, null, 2));
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    // Print one line: the wasm backend rethrows unhandled rejections from inside its 1 MB bundle.
    console.error(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  },
);
