import { z } from 'zod';
import { KilnError } from '../../errors';
import { classificationMetrics, regressionMetrics } from '../../metrics';
import { evaluateGate, parseGate } from '../../metrics/gates';
import { applySteps, featureMatrix, ModelRunner } from '../../package/predictor';
import { defineNode } from '../registry';
import type { Evaluation, TrainedModel } from '../types';

export const evaluateParams = z.object({
  gates: z
    .array(z.string().max(200))
    .max(50)
    .default([])
    .describe('pass/fail thresholds on metrics, e.g. "mape <= 0.45", "accuracy >= 0.9"')
    .superRefine((gates, ctx) => {
      gates.forEach((g, i) => {
        try {
          parseGate(g);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message, path: [i] });
        }
      });
    }),
});

export const evaluate = defineNode({
  kind: 'evaluate',
  label: 'Evaluate',
  category: 'evaluate',
  description: 'Scores a trained model on the test rows (or a given test file): metrics for the task, plus gates reported as passed or failed.',
  params: evaluateParams,
  example: { gates: ['rmse <= 4', 'r2 >= 0.7'] },
  role: 'evaluation',
  preservesRows: true,
  inputs: [{ name: 'model', type: 'trained' }],
  outputs: [{ name: 'metrics', type: 'metrics' }],
  async run(inputs, p, ctx) {
    const { nodeId, tf } = ctx;
    const trained = inputs.model as TrainedModel;
    const frame = trained.frame;
    let table = frame.table;
    let rows: number[];
    if (ctx.testData) {
      // An external test file goes through the packaged preprocessing, exactly as serving would.
      table = applySteps(frame.steps, ctx.testData);
      rows = Array.from({ length: table.nRows }, (_, i) => i);
    } else if (frame.split) {
      rows = [];
      for (let i = 0; i < table.nRows; i++) if (frame.split[i] === 1) rows.push(i);
    } else {
      ctx.log('no train/test split upstream: scoring on the training rows (optimistic)', 'warn');
      rows = Array.from({ length: table.nRows }, (_, i) => i);
    }
    const tcol = table.columns.find((c) => c.name === trained.target);
    if (!tcol) throw new KilnError('MISSING_COLUMN', `node "${nodeId}": the test data has no target column "${trained.target}"`, { nodeId, column: trained.target });
    const actualOf = (r: number): string | number | null => {
      const v = tcol.values[r] ?? null;
      if (typeof v === 'number') {
        if (Number.isNaN(v)) return null;
        if (trained.task === 'classification') return tcol.type === 'boolean' ? (v ? 'true' : 'false') : String(v);
      }
      return v;
    };
    rows = rows.filter((r) => actualOf(r) !== null);
    if (rows.length === 0) throw new KilnError('NO_TEST_ROWS', `node "${nodeId}": no test rows with a value for "${trained.target}"`, { nodeId });

    const x = featureMatrix(table, trained.features, rows);
    const runner = await ModelRunner.load(tf, trained);
    let pred;
    try {
      pred = await runner.predictMatrix(x, rows.length);
    } finally {
      runner.dispose();
    }
    let ev: Evaluation;
    if (trained.task === 'regression') {
      const actual = rows.map((r) => actualOf(r) as number);
      const predictions = Array.from(pred.values!);
      ev = { task: 'regression', metrics: regressionMetrics(actual, predictions), gates: [], nTest: rows.length, predictions, actual };
    } else {
      const labels = trained.labels!;
      const k = labels.length;
      const index = new Map(labels.map((l, i) => [l, i]));
      const actual = rows.map((r) => actualOf(r) as string);
      const unseen = actual.filter((a) => !index.has(a)).length;
      if (unseen) ctx.log(`${unseen} test rows have a class not seen in training; they count as errors`, 'warn');
      const yTrue = actual.map((a) => index.get(a) ?? -1);
      const probs: number[][] = [];
      for (let i = 0; i < rows.length; i++) probs.push(Array.from(pred.probs!.subarray(i * k, (i + 1) * k)));
      const { metrics, confusion } = classificationMetrics(yTrue, probs, k);
      ev = { task: 'classification', metrics, gates: [], nTest: rows.length, predictions: probs, actual, labels, confusion };
    }
    ev.gates = p.gates.map((g) => evaluateGate(g, ev.metrics));
    const failed = ev.gates.filter((g) => !g.passed);
    if (failed.length) ctx.log(`gates failed: ${failed.map((g) => `${g.expr} (got ${g.value ?? 'n/a'})`).join('; ')}`, 'warn');
    return { metrics: ev };
  },
});
