import { z } from 'zod';
import type * as tfTypes from '@tensorflow/tfjs';
import { KilnError } from '../../errors';
import { defineNode } from '../registry';
import type { BuildInfo } from '../types';
import { seededInit, outputLayer } from './model-utils';

export const convnetParams = z.object({
  height: z.number().int().min(2).max(512).default(8).describe('image height in pixels'),
  width: z.number().int().min(2).max(512).default(8).describe('image width in pixels'),
  channels: z.number().int().min(1).max(4).default(1).describe('colour channels'),
  filters: z.array(z.number().int().min(1).max(512)).min(1).max(6).default([8, 16]).describe('filters per conv block (conv 3×3 + ReLU + 2×2 max-pool)'),
  kernelSize: z.number().int().min(1).max(7).default(3).describe('convolution kernel size'),
  denseUnits: z.number().int().min(0).max(4096).default(32).describe('dense layer before the output (0 = none)'),
});

export const convnet = defineNode({
  kind: 'convnet',
  label: 'Small conv net',
  category: 'model',
  description: 'A small CNN for image-shaped features: the feature columns (row-major pixels) are reshaped to height×width×channels.',
  params: convnetParams,
  example: { height: 8, width: 8, channels: 1, filters: [8, 16], kernelSize: 3, denseUnits: 32 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    const nodeId = ctx.nodeId;
    return {
      model: {
        kind: 'convnet',
        nodeId,
        name: `ConvNet ${p.filters.join('-')}`,
        tasks: ['classification', 'regression'],
        build: (info: BuildInfo) => {
          const { tf } = info;
          const need = p.height * p.width * p.channels;
          if (info.features.length !== need) {
            throw new KilnError(
              'SHAPE_MISMATCH',
              `node "${nodeId}": ${info.features.length} feature columns cannot be reshaped to ${p.height}×${p.width}×${p.channels} (= ${need})`,
              { nodeId, param: 'height' },
            );
          }
          const input = tf.input({ shape: [need], name: 'pixels' });
          let h = tf.layers.reshape({ targetShape: [p.height, p.width, p.channels] }).apply(input) as tfTypes.SymbolicTensor;
          let size = Math.min(p.height, p.width);
          p.filters.forEach((f, i) => {
            h = tf.layers.conv2d({ filters: f, kernelSize: p.kernelSize, padding: 'same', activation: 'relu', ...seededInit(tf, info.seed, i) }).apply(h) as tfTypes.SymbolicTensor;
            if (size >= 2) {
              h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfTypes.SymbolicTensor;
              size = Math.floor(size / 2);
            }
          });
          h = tf.layers.flatten().apply(h) as tfTypes.SymbolicTensor;
          if (p.denseUnits > 0) {
            h = tf.layers.dense({ units: p.denseUnits, activation: 'relu', ...seededInit(tf, info.seed, p.filters.length) }).apply(h) as tfTypes.SymbolicTensor;
          }
          const out = outputLayer(tf, info, h, p.filters.length + 1);
          return tf.model({ inputs: input, outputs: out, name: 'convnet' });
        },
      },
    };
  },
});
