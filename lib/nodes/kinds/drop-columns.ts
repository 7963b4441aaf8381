import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Table } from '../../data/table';
import { defineNode } from '../registry';
import { inputFrame } from '../frame-utils';
import { checkColumnsExist, withColumnsRemoved } from './preprocess-utils';
import { fittedState } from '../fitted';

/** Fitted state of drop_columns; `reads` is empty because absent columns are simply skipped. */
export interface DropColumnsState {
  drop: string[];
  reads: string[];
}

/** Removes the named columns that the table has; others are ignored. */
export function applyDropColumns(state: DropColumnsState, table: Table): Table {
  const drop = new Set(state.drop);
  return { columns: table.columns.filter((c) => !drop.has(c.name)), nRows: table.nRows };
}

export const dropColumnsParams = z.object({
  columns: z.array(z.string().min(1)).min(1).describe('columns to remove (not the target)'),
});

/** The fitted state as its kind declares it (checked when a package is read). */
export const dropColumnsState = z.object({ drop: z.array(z.string()), reads: z.array(z.string()) });

export const dropColumns = defineNode({
  kind: 'drop_columns',
  label: 'Drop columns',
  category: 'preprocess',
  description: 'Removes the listed columns. Removed raw columns are no longer required by the packaged model.',
  params: dropColumnsParams,
  example: { columns: ['Name', 'Year'] },
  preservesRows: true,
  fitted: fittedState(dropColumnsState),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    checkColumnsExist(frame.table, params.columns, ctx.nodeId);
    if (frame.target !== undefined && params.columns.includes(frame.target)) {
      throw new KilnError(
        'DROP_TARGET',
        `node "${ctx.nodeId}" param "columns": column "${frame.target}" is the target and cannot be dropped`,
        { nodeId: ctx.nodeId, param: 'columns', column: frame.target },
      );
    }
    const state: DropColumnsState = { drop: [...new Set(params.columns)], reads: [] };
    return { data: withColumnsRemoved(frame, applyDropColumns(state, frame.table), new Set(state.drop), { kind: 'drop_columns', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applyDropColumns(state as DropColumnsState, table);
  },
});
