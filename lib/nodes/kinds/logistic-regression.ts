import { z } from 'zod';
import { defineNode } from '../registry';
import type { BuildInfo } from '../types';
import { makeRegularizer, regularizationSchema, sequentialDense } from './model-utils';

export const logisticRegressionParams = z.object({
  regularization: regularizationSchema.default('l2').describe('penalty on the weights'),
  alpha: z.number().min(0).max(100).default(0.0001).describe('penalty strength'),
  l1Ratio: z.number().min(0).max(1).default(0.5).describe('share of L1 in the l1_l2 penalty'),
});

export const logisticRegression = defineNode({
  kind: 'logistic_regression',
  label: 'Logistic regression',
  category: 'model',
  description: 'Linear classifier: sigmoid for two classes, softmax (multinomial) for more.',
  params: logisticRegressionParams,
  example: { regularization: 'l2', alpha: 0.0001, l1Ratio: 0.5 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    return {
      model: {
        kind: 'logistic_regression',
        nodeId: ctx.nodeId,
        name: 'Logistic regression',
        tasks: ['classification'],
        build: (info: BuildInfo) => sequentialDense(info, [], makeRegularizer(info.tf, p.regularization, p.alpha, p.l1Ratio), 'logistic_regression'),
      },
    };
  },
});
