import { z } from 'zod';
import { defineNode } from '../registry';
import { linearSpec, penaltyStrengthParam } from './model-utils';

export const lassoParams = z.object({
  alpha: penaltyStrengthParam(0.01, 'L1 penalty strength: larger drives more weights to zero'),
});

export const lasso = defineNode({
  kind: 'lasso',
  label: 'LASSO (L1 linear)',
  category: 'model',
  description: 'Linear regression with an L1 penalty on the weights (sparse coefficients).',
  params: lassoParams,
  example: { alpha: 0.01 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    return { model: linearSpec(ctx.nodeId, 'lasso', { regularization: 'l1', alpha: p.alpha, l1Ratio: 1 }, `LASSO α=${p.alpha}`) };
  },
});
