import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Column, Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import { compareStrings, featureColumns, presentValues, requireColumn } from './preprocess-utils';
import { fittedState } from '../fitted';

/** One column's fill value: a number for numeric-stored columns, a string for categorical ones. */
export interface ImputeFill {
  column: string;
  value: number | string;
}

export interface ImputeState {
  strategy: 'mean' | 'median' | 'most_frequent' | 'constant';
  fills: ImputeFill[];
  reads: string[];
}

export const imputeParams = z.object({
  strategy: z
    .enum(['mean', 'median', 'most_frequent', 'constant'])
    .default('mean')
    .describe('mean and median: numeric columns only; most_frequent and constant: any column'),
  fillValue: z
    .union([z.number(), z.string()])
    .optional()
    .describe('value for strategy "constant" (default 0 for numeric columns, "missing" for categorical)'),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('columns to impute; empty = every numeric column (mean, median) or every column (others), except the target'),
});

type ImputeParams = z.infer<typeof imputeParams>;

/** numpy-style median: the mean of the two middle values for an even count. */
function median(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** The most frequent value; ties go to the smallest value (as scikit-learn's SimpleImputer does). */
function mostFrequent<T extends number | string>(values: T[], cmp: (a: T, b: T) => number): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== undefined && cmp(v, best) < 0)) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

function constantFor(c: Column, fillValue: number | string | undefined, nodeId: string): number | string {
  if (c.type === 'categorical') return fillValue === undefined ? 'missing' : String(fillValue);
  if (fillValue === undefined) return 0;
  const v = typeof fillValue === 'number' ? fillValue : fillValue.trim() === '' ? NaN : Number(fillValue);
  if (!Number.isFinite(v)) {
    throw new KilnError(
      'IMPUTE_FILL',
      `node "${nodeId}" param "fillValue": "${fillValue}" is not a number, but column "${c.name}" is ${c.type}`,
      { nodeId, param: 'fillValue', column: c.name },
    );
  }
  return v;
}

function fitColumn(c: Column, rows: number[], p: ImputeParams, nodeId: string): number | string {
  if (p.strategy === 'constant') return constantFor(c, p.fillValue, nodeId);
  const empty = (): never => {
    throw new KilnError(
      'IMPUTE_EMPTY',
      `node "${nodeId}" param "strategy": column "${c.name}" has no values in the training rows, so ${p.strategy} is undefined; use strategy "constant"`,
      { nodeId, param: 'strategy', column: c.name },
    );
  };
  if (c.type === 'categorical') {
    const present: string[] = [];
    for (const r of rows) {
      const v = c.values[r];
      if (v !== null && v !== undefined) present.push(v);
    }
    return mostFrequent(present, compareStrings) ?? empty();
  }
  const present = presentValues(c.values, rows);
  if (present.length === 0) return empty();
  if (p.strategy === 'most_frequent') return mostFrequent(present, (a, b) => a - b)!;
  if (p.strategy === 'median') return median(present.sort((a, b) => a - b));
  let sum = 0;
  for (const v of present) sum += v;
  return sum / present.length;
}

/** Fills missing values (NaN, null) with the fitted per-column values. */
export function applyImpute(state: ImputeState, table: Table): Table {
  const replace = new Map<string, Column>();
  for (const f of state.fills) {
    const c = requireColumn(table, f.column, 'impute');
    if (c.type === 'categorical') {
      const fill = String(f.value);
      replace.set(c.name, { name: c.name, type: c.type, values: c.values.map((v) => (v === null ? fill : v)) });
    } else {
      const fill = Number(f.value);
      const values = new Float64Array(c.values.length);
      for (let i = 0; i < values.length; i++) {
        const v = c.values[i]!;
        values[i] = Number.isNaN(v) ? fill : v;
      }
      replace.set(c.name, { name: c.name, type: c.type, values });
    }
  }
  return { nRows: table.nRows, columns: table.columns.map((c) => replace.get(c.name) ?? c) };
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const imputeState = z.object({
  strategy: z.enum(['mean', 'median', 'most_frequent', 'constant']),
  fills: z.array(z.object({ column: z.string(), value: z.union([z.number(), z.string()]) })),
  reads: z.array(z.string()),
});

export const impute = defineNode({
  kind: 'impute',
  label: 'Impute',
  category: 'preprocess',
  description:
    'Fills missing values with the training rows’ mean, median or most frequent value, or a constant. ' +
    'The fill values are stored in the model package and used at serving time.',
  params: imputeParams,
  example: { strategy: 'median', columns: ['Horsepower'] },
  preservesRows: true,
  fitted: fittedState(imputeState, { typicalValues: (s) => Object.fromEntries(s.fills.map((f) => [f.column, f.value])) }),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const numericOnly = params.strategy === 'mean' || params.strategy === 'median';
    const columns = numericOnly
      ? featureColumns(frame, params.columns, ['numeric'], ['numeric', 'boolean', 'date'], ctx.nodeId)
      : featureColumns(frame, params.columns, ['numeric', 'boolean', 'date', 'categorical'], ['numeric', 'boolean', 'date', 'categorical'], ctx.nodeId);
    const rows = fitRows(frame);
    const fills: ImputeFill[] = columns.map((c) => ({ column: c.name, value: fitColumn(c, rows, params, ctx.nodeId) }));
    const state: ImputeState = { strategy: params.strategy, fills, reads: fills.map((f) => f.column) };
    return { data: withStep(frame, applyImpute(state, frame.table), { kind: 'impute', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applyImpute(state as ImputeState, table);
  },
});
