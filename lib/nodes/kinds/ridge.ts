import { z } from 'zod';
import { defineNode } from '../registry';
import { linearSpec, penaltyStrengthParam } from './model-utils';

export const ridgeParams = z.object({
  alpha: penaltyStrengthParam(0.01, 'L2 penalty strength: larger shrinks the weights'),
});

export const ridge = defineNode({
  kind: 'ridge',
  label: 'Ridge (L2 linear)',
  category: 'model',
  description: 'Linear regression with an L2 penalty on the weights.',
  params: ridgeParams,
  example: { alpha: 0.01 },
  // A model spec holds no rows: it never changes which rows are test rows.
  preservesRows: true,
  inputs: [],
  outputs: [{ name: 'model', type: 'model' }],
  async run(_inputs, p, ctx) {
    return { model: linearSpec(ctx.nodeId, 'ridge', { regularization: 'l2', alpha: p.alpha, l1Ratio: 0 }, `Ridge α=${p.alpha}`) };
  },
});
