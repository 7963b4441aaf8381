import { z } from 'zod';
import { defineNode } from '../registry';
import { l1RatioParam, linearSpec, penaltyStrengthParam, regularizationSchema } from './model-utils';

export const linearRegressionParams = z.object({
  regularization: regularizationSchema.default('none').describe('penalty on the weights: l1 = LASSO, l2 = ridge, l1_l2 = elastic net'),
  alpha: penaltyStrengthParam(0.001, 'penalty strength (ignored when regularization is none)'),
  l1Ratio: l1RatioParam,
});

export const linearRegression = defineNode({
  kind: 'linear_regression',
  label: 'Linear regression',
  category: 'model',
  description: 'Linear model y = Xw + b for a numeric target, with optional L1/L2 penalty.',
  params: linearRegressionParams,
  example: { regularization: 'none', alpha: 0.001, l1Ratio: 0.5 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    const label = p.regularization === 'none' ? 'Linear regression' : `Linear regression (${p.regularization}, α=${p.alpha})`;
    return { model: linearSpec(ctx.nodeId, 'linear_regression', p, label) };
  },
});
