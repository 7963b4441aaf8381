import type * as tfTypes from '@tensorflow/tfjs';
import { KilnError } from '../errors';
import { createRng, permutation } from '../rng';
import { yieldToEventLoop } from './yield';

type TF = typeof tfTypes;
type Tensor = tfTypes.Tensor;

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
export type LossName = 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy';

export interface FitOptions {
  optimizer: OptimizerName;
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** fraction of rows held out (seeded) to measure validation loss for early stopping */
  validationFraction: number;
  /** stop after this many epochs without improvement of the monitored loss; 0/undefined = off */
  patience?: number;
  seed: number;
  loss: LossName;
  signal?: AbortSignal;
  onEpoch?: (m: { epoch: number; loss: number; valLoss?: number }) => void;
}

export interface FitResult {
  history: { epoch: number; loss: number; valLoss?: number }[];
  stoppedEarly: boolean;
  /** epoch whose weights were kept (best monitored loss) */
  bestEpoch: number;
}

function makeOptimizer(tf: TF, name: OptimizerName, lr: number): tfTypes.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adagrad':
      return tf.train.adagrad(lr);
  }
}

const EPS = 1e-7;
/** Longest stretch of batches without letting timers and I/O run (heartbeats, UI). */
const YIELD_EVERY_MS = 25;

/** Mean loss over a batch. Probabilities are clipped so log never sees 0. */
function lossFn(tf: TF, name: LossName, yTrue: Tensor, yPred: Tensor): tfTypes.Scalar {
  switch (name) {
    case 'meanSquaredError':
      return tf.mean(tf.square(tf.sub(yPred, yTrue))) as tfTypes.Scalar;
    case 'binaryCrossentropy': {
      const p = tf.clipByValue(yPred, EPS, 1 - EPS);
      const l = tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p))));
      return tf.neg(tf.mean(l)) as tfTypes.Scalar;
    }
    case 'categoricalCrossentropy': {
      const p = tf.clipByValue(yPred, EPS, 1 - EPS);
      return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(p)), -1))) as tfTypes.Scalar;
    }
  }
}

function forward(model: tfTypes.LayersModel, xs: Tensor[], training: boolean): Tensor {
  const out = model.apply(xs.length === 1 ? xs[0]! : xs, { training });
  return (Array.isArray(out) ? out[0]! : out) as Tensor;
}

/**
 * Kiln's training loop: seeded shuffling (tfjs's `fit` shuffles with an unseeded generator),
 * seeded validation hold-out, early stopping that restores the best weights, cancellation
 * between batches, and one loss read-back per epoch (reads are the slow part on WebGPU).
 * Owns no tensors when it returns: everything it allocates is disposed.
 */
export async function fitModel(
  tf: TF,
  model: tfTypes.LayersModel,
  xs: Tensor[],
  y: Tensor,
  opts: FitOptions,
): Promise<FitResult> {
  const n = y.shape[0]!;
  if (n === 0) throw new KilnError('NO_TRAINING_ROWS', 'no training rows left to fit the model');
  if (!(opts.learningRate > 0)) throw new KilnError('BAD_PARAM', `learning rate must be > 0, got ${opts.learningRate}`, { param: 'learningRate' });
  const rng = createRng(opts.seed);

  // Seeded train/validation partition.
  const perm = permutation(n, rng);
  const nVal = opts.validationFraction > 0 ? Math.min(n - 1, Math.round(n * opts.validationFraction)) : 0;
  const valIdx = Array.from(perm.subarray(0, nVal)).sort((a, b) => a - b);
  const trainIdx = Array.from(perm.subarray(nVal)).sort((a, b) => a - b);
  const nTrain = trainIdx.length;

  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const gatherAll = (idx: number[]) => {
    const it = keep(tf.tensor1d(idx, 'int32'));
    return { xs: xs.map((x) => keep(tf.gather(x, it))), y: keep(tf.gather(y, it)) };
  };
  const train = nVal > 0 ? gatherAll(trainIdx) : { xs, y };
  const val = nVal > 0 ? gatherAll(valIdx) : null;

  const optimizer = makeOptimizer(tf, opts.optimizer, opts.learningRate);
  const history: FitResult['history'] = [];
  const patience = opts.patience ?? 0;
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: Tensor[] | null = null;
  let sinceBest = 0;
  let stoppedEarly = false;
  const batch = Math.max(1, Math.min(opts.batchSize, nTrain));
  const regularized = model.layers.some((l) => {
    const c = l.getConfig() as Record<string, unknown>;
    return c.kernelRegularizer != null || c.biasRegularizer != null;
  });

  try {
    let lastYield = performance.now();
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      await yieldToEventLoop();
      lastYield = performance.now();
      if (opts.signal?.aborted) throw new KilnError('CANCELLED', 'training cancelled');
      const order = permutation(nTrain, rng);
      // One gather per epoch, then contiguous slices per batch: far fewer kernel launches.
      const orderT = tf.tensor1d(Int32Array.from(order), 'int32');
      const ex = train.xs.map((x) => tf.gather(x, orderT));
      const ey = tf.gather(train.y, orderT);
      orderT.dispose();
      // Batch losses are kept and summed once per epoch: no extra kernels per step.
      const batchLosses: Tensor[] = [];
      const batchSizes: number[] = [];
      try {
        for (let start = 0; start < nTrain; start += batch) {
          const size = Math.min(batch, nTrain - start);
          const batchLoss = optimizer.minimize(
            () => {
              const bx = ex.map((x) => x.slice(start, size));
              const by = ey.slice(start, size);
              let l = lossFn(tf, opts.loss, by, forward(model, bx, true));
              if (regularized) {
                for (const r of (model as unknown as { calculateLosses(): tfTypes.Scalar[] }).calculateLosses()) l = tf.add(l, r);
              }
              return l;
            },
            true,
          )!;
          batchLosses.push(batchLoss);
          batchSizes.push(size);
          if (performance.now() - lastYield > YIELD_EVERY_MS) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
          if (opts.signal?.aborted) break;
        }
        const lossSum = tf.tidy(() => tf.sum(tf.mul(tf.stack(batchLosses), tf.tensor1d(batchSizes))));
        const loss = (await lossSum.data())[0]! / batchSizes.reduce((a, b) => a + b, 0);
        lossSum.dispose();
        let valLoss: number | undefined;
        if (val) {
          const vl = tf.tidy(() => lossFn(tf, opts.loss, val.y, forward(model, val.xs, false)));
          valLoss = (await vl.data())[0]!;
          vl.dispose();
        }
        if (opts.signal?.aborted) throw new KilnError('CANCELLED', 'training cancelled');
        if (!Number.isFinite(loss)) {
          throw new KilnError('DIVERGED', `training diverged at epoch ${epoch} (loss ${loss}); lower the learning rate or scale the features`, { param: 'learningRate' });
        }
        const m = valLoss === undefined ? { epoch, loss } : { epoch, loss, valLoss };
        history.push(m);
        opts.onEpoch?.(m);
        const monitored = valLoss ?? loss;
        if (patience > 0) {
          if (monitored < best - 1e-12) {
            best = monitored;
            bestEpoch = epoch;
            sinceBest = 0;
            bestWeights?.forEach((w) => w.dispose());
            bestWeights = model.getWeights().map((w) => w.clone());
          } else if (++sinceBest >= patience) {
            stoppedEarly = epoch < opts.epochs;
            break;
          }
        } else {
          bestEpoch = epoch;
        }
      } finally {
        batchLosses.forEach((t) => t.dispose());
        ex.forEach((t) => t.dispose());
        ey.dispose();
      }
    }
    // Like Keras' restore_best_weights: keep the epoch with the best monitored loss.
    if (bestWeights && bestEpoch !== history.length) model.setWeights(bestWeights);
    return { history, stoppedEarly, bestEpoch };
  } finally {
    bestWeights?.forEach((w) => w.dispose());
    optimizer.dispose();
    owned.forEach((t) => t.dispose());
  }
}
