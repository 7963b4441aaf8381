import { z } from 'zod';
import { defineNode } from '../registry';
import type { BuildInfo } from '../types';
import { l1RatioParam, penalizedLinear, penaltyStrengthParam, regularizationSchema } from './model-utils';

export const logisticRegressionParams = z.object({
  regularization: regularizationSchema.default('l2').describe('penalty on the weights'),
  alpha: penaltyStrengthParam(0.0001, 'penalty strength'),
  l1Ratio: l1RatioParam,
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
        build: (info: BuildInfo) => penalizedLinear(info, p, 'logistic_regression'),
      },
    };
  },
});
