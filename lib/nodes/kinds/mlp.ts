import { z } from 'zod';
import { defineNode } from '../registry';
import type { BuildInfo } from '../types';
import { denseLayersParam, makeRegularizer, sequentialDense } from './model-utils';

export const mlpParams = z.object({
  layers: denseLayersParam(
    [
      { units: 64, activation: 'relu', dropout: 0 },
      { units: 64, activation: 'relu', dropout: 0 },
    ],
    'hidden layers, input to output',
  ),
  l2: z.number().min(0).max(10).default(0).describe('L2 weight penalty on every layer'),
});

export const mlp = defineNode({
  kind: 'mlp',
  label: 'MLP',
  category: 'model',
  description: 'Multi-layer perceptron: dense hidden layers with activations and dropout; regression or classification.',
  params: mlpParams,
  example: { layers: [{ units: 64, activation: 'relu', dropout: 0 }, { units: 32, activation: 'relu', dropout: 0.1 }], l2: 0 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    return {
      model: {
        kind: 'mlp',
        nodeId: ctx.nodeId,
        name: `MLP ${p.layers.map((l) => l.units).join('-')}`,
        tasks: ['regression', 'classification'],
        build: (info: BuildInfo) => sequentialDense(info, p.layers, makeRegularizer(info.tf, 'l2', p.l2), 'mlp'),
      },
    };
  },
});
