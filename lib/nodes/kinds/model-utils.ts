import { z } from 'zod';
import type * as tfTypes from '@tensorflow/tfjs';
import type { BuildInfo, ModelSpec } from '../types';

export const activationSchema = z.enum(['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'linear', 'softplus']);

export const denseLayerSchema = z.object({
  units: z.number().int().min(1).max(4096).describe('neurons in this layer'),
  activation: activationSchema.default('relu').describe('activation function'),
  dropout: z.number().min(0).max(0.9).default(0).describe('dropout rate after this layer (training only)'),
});
export type DenseLayer = z.infer<typeof denseLayerSchema>;

/** A `layers` param: the hidden dense layers of a network, input to output. */
export function denseLayersParam(defaults: DenseLayer[], description: string) {
  return z.array(denseLayerSchema).min(1).max(32).default(defaults).describe(description);
}

export const regularizationSchema = z.enum(['none', 'l1', 'l2', 'l1_l2']);

/** An `alpha` param: the strength of a weight penalty (scikit-learn's alpha). */
export function penaltyStrengthParam(defaultAlpha: number, description: string) {
  return z.number().min(0).max(100).default(defaultAlpha).describe(description);
}

/** The `l1Ratio` param of the kinds that offer the l1_l2 (elastic net) penalty. */
export const l1RatioParam = z.number().min(0).max(1).default(0.5).describe('share of L1 in the l1_l2 penalty');

/** A weight penalty as the linear kinds hold it. */
export interface Penalty {
  regularization: z.infer<typeof regularizationSchema>;
  alpha: number;
  l1Ratio: number;
}

/** A tfjs regularizer for the given penalty; alpha is the penalty strength (sklearn's alpha). */
export function makeRegularizer(tf: BuildInfo['tf'], kind: z.infer<typeof regularizationSchema>, alpha: number, l1Ratio = 0.5) {
  if (kind === 'none' || alpha === 0) return undefined;
  if (kind === 'l1') return tf.regularizers.l1({ l1: alpha });
  if (kind === 'l2') return tf.regularizers.l2({ l2: alpha });
  return tf.regularizers.l1l2({ l1: alpha * l1Ratio, l2: alpha * (1 - l1Ratio) });
}

/**
 * Seeded initialisers for layer `i`. Explicit seeds make the same graph start from the same
 * weights on cpu, wasm and webgpu, which is what makes backend parity reachable.
 */
export function seededInit(tf: BuildInfo['tf'], seed: number, i: number) {
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed: (seed + 7919 * (i + 1)) % 2147483647 }),
    biasInitializer: tf.initializers.zeros(),
  };
}

/** Dense hidden stack (+ dropout) on a symbolic tensor. */
export function denseStack(
  tf: BuildInfo['tf'],
  x: tfTypes.SymbolicTensor,
  layers: DenseLayer[],
  seed: number,
  regularizer?: ReturnType<typeof makeRegularizer>,
  offset = 0,
): tfTypes.SymbolicTensor {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.layers
      .dense({ units: l.units, activation: l.activation, ...seededInit(tf, seed, offset + i), ...(regularizer ? { kernelRegularizer: regularizer } : {}) })
      .apply(h) as tfTypes.SymbolicTensor;
    if (l.dropout > 0) h = tf.layers.dropout({ rate: l.dropout, seed: (seed + 104729 * (offset + i + 1)) % 2147483647 }).apply(h) as tfTypes.SymbolicTensor;
  });
  return h;
}

/** The output layer for the task (units and activation come from BuildInfo). */
export function outputLayer(tf: BuildInfo['tf'], info: BuildInfo, x: tfTypes.SymbolicTensor, index: number, regularizer?: ReturnType<typeof makeRegularizer>) {
  return tf.layers
    .dense({ units: info.outputUnits, activation: info.outputActivation, ...seededInit(tf, info.seed, index), ...(regularizer ? { kernelRegularizer: regularizer } : {}) })
    .apply(x) as tfTypes.SymbolicTensor;
}

/** A single-input model: features → hidden layers → output. */
export function sequentialDense(info: BuildInfo, layers: DenseLayer[], regularizer?: ReturnType<typeof makeRegularizer>, name = 'model') {
  const { tf } = info;
  const input = tf.input({ shape: [info.features.length], name: 'features' });
  const h = denseStack(tf, input, layers, info.seed, regularizer);
  const out = outputLayer(tf, info, h, layers.length, regularizer);
  return tf.model({ inputs: input, outputs: out, name });
}

/** A linear model (features → the output layer, no hidden layers) with an optional weight penalty. */
export function penalizedLinear(info: BuildInfo, p: Penalty, name: string) {
  return sequentialDense(info, [], makeRegularizer(info.tf, p.regularization, p.alpha, p.l1Ratio), name);
}

/**
 * A linear regression spec (ordinary least squares, optionally penalised) fitted by the train
 * node's optimizer; linear_regression, lasso and ridge differ only in the penalty they pass.
 */
export function linearSpec(nodeId: string, kind: string, p: Penalty, name: string): ModelSpec {
  return { kind, nodeId, name, tasks: ['regression'], build: (info) => penalizedLinear(info, p, kind) };
}
