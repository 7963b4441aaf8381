import { z } from 'zod';
import type { Table } from '../../data/table';
import { defineNode } from '../registry';
import { inputFrame } from '../frame-utils';
import { fittedState } from '../fitted';
import { checkColumnsExist, withColumnsRemoved } from './preprocess-utils';

/**
 * Fitted state of select_columns. `reads` is empty: selecting never requires a column to be
 * present at serving time (absent ones, such as the target, are skipped).
 */
export interface SelectColumnsState {
  keep: string[];
  reads: string[];
}

/** Keeps the named columns, in `keep` order, skipping any the table lacks. */
export function applySelectColumns(state: SelectColumnsState, table: Table): Table {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const columns = [];
  for (const name of state.keep) {
    const c = byName.get(name);
    if (c) columns.push(c);
  }
  return { columns, nRows: table.nRows };
}

export const selectColumnsParams = z.object({
  columns: z
    .array(z.string().min(1))
    .min(1)
    .describe('columns to keep, in this order; the target column is always kept'),
});

/** The fitted state as its kind declares it (checked when a package is read). */
export const selectColumnsState = z.object({ keep: z.array(z.string()), reads: z.array(z.string()) });

export const selectColumns = defineNode({
  kind: 'select_columns',
  label: 'Select columns',
  category: 'preprocess',
  description:
    'Keeps only the listed columns (and the target). Removed raw columns are no longer required by the packaged model.',
  params: selectColumnsParams,
  example: { columns: ['Horsepower', 'Weight_in_lbs', 'Origin'] },
  preservesRows: true,
  fitted: fittedState(selectColumnsState),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    checkColumnsExist(frame.table, params.columns, ctx.nodeId);
    const keep = [...new Set(params.columns)];
    if (frame.target !== undefined && !keep.includes(frame.target) && frame.table.columns.some((c) => c.name === frame.target)) {
      keep.push(frame.target);
    }
    const kept = new Set(keep);
    const removed = new Set(frame.table.columns.map((c) => c.name).filter((n) => !kept.has(n)));
    const state: SelectColumnsState = { keep, reads: [] };
    return { data: withColumnsRemoved(frame, applySelectColumns(state, frame.table), removed, { kind: 'select_columns', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applySelectColumns(state as SelectColumnsState, table);
  },
});
