import { z } from 'zod';
import { defineNode } from '../registry';
import type { ModelSpec } from '../types';
import { makeRegularizer, regularizationSchema, sequentialDense } from './model-utils';

export const linearRegressionParams = z.object({
  regularization: regularizationSchema.default('none').describe('penalty on the weights: l1 = LASSO, l2 = ridge, l1_l2 = elastic net'),
  alpha: z.number().min(0).max(100).default(0.001).describe('penalty strength (ignored when regularization is none)'),
  l1Ratio: z.number().min(0).max(1).default(0.5).describe('share of L1 in the l1_l2 penalty'),
});

/** Ordinary least squares (optionally penalised) as one dense unit, fitted by the train node's optimizer. */
export function linearSpec(nodeId: string, kind: string, p: z.infer<typeof linearRegressionParams>, name: string): ModelSpec {
  return {
    kind,
    nodeId,
    name,
    tasks: ['regression'],
    build: (info) => sequentialDense(info, [], makeRegularizer(info.tf, p.regularization, p.alpha, p.l1Ratio), kind),
  };
}

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
