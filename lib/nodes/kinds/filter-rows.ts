import { z } from 'zod';
import { KilnError } from '../../errors';
import { takeRows } from '../../data/table';
import { defineNode } from '../registry';
import { inputFrame } from '../frame-utils';
import type { Frame } from '../types';
import { ExprError, matchingRows, parseExpr } from '../expr';

export const filterRowsParams = z.object({
  expr: z
    .string()
    .min(1)
    .describe(
      "condition a row must meet to be kept, e.g. `age >= 18 and country in ('NO', 'SE')`; " +
        'names with spaces in back-ticks (`Miles per Gallon` > 20), missing values via `x is null`',
    ),
});

/**
 * Keeps the rows where `expr` is true. Training only: no step is recorded, because a served
 * model must answer for every record it is sent. The split, if any, is filtered with the rows.
 */
export const filterRows = defineNode({
  kind: 'filter_rows',
  label: 'Filter rows',
  category: 'preprocess',
  description:
    'Keeps the rows where a condition holds (training data only; serving still predicts every record). ' +
    'Rows where the condition is missing (e.g. compares a missing value) are dropped.',
  params: filterRowsParams,
  example: { expr: 'Horsepower is not null and Cylinders >= 4' },
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    let rows: number[];
    try {
      rows = matchingRows(parseExpr(params.expr), frame.table);
    } catch (e) {
      if (e instanceof ExprError) {
        throw new KilnError('FILTER_EXPR', `node "${ctx.nodeId}" param "expr": ${e.message}`, {
          nodeId: ctx.nodeId,
          param: 'expr',
          ...(e.column !== undefined ? { column: e.column } : {}),
        });
      }
      throw e;
    }
    if (rows.length === 0) {
      throw new KilnError(
        'FILTER_EMPTY',
        `node "${ctx.nodeId}" param "expr": the condition keeps none of the ${frame.table.nRows} rows`,
        { nodeId: ctx.nodeId, param: 'expr' },
      );
    }
    ctx.log(`kept ${rows.length} of ${frame.table.nRows} rows`);
    const out: Frame = { ...frame, table: takeRows(frame.table, rows) };
    if (frame.split) {
      const s = frame.split;
      out.split = Uint8Array.from(rows, (r) => s[r]!);
    }
    return { data: out };
  },
});
