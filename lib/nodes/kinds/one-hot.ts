import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Column, NumericColumn, Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import {
  categoryAt,
  compareCategories,
  countCategories,
  encodeColumnsParam,
  featureColumns,
  requireColumn,
  spliceColumns,
  vocabularyCodes,
  vocabularySchema,
  type CategoryKey,
  type Vocabulary,
} from './preprocess-utils';
import { firstCategories, fittedState } from '../fitted';

/** Vocabulary of one encoded column, sorted (code-unit order for strings, numeric for numbers). */
export type OneHotColumn = Vocabulary;

export interface OneHotState {
  columns: OneHotColumn[];
  handleUnknown: 'ignore' | 'error';
  dropOriginal: boolean;
  reads: string[];
}

export const oneHotParams = z.object({
  columns: encodeColumnsParam,
  handleUnknown: z
    .enum(['ignore', 'error'])
    .default('ignore')
    .describe('a category not seen in training: all-zero indicators (ignore) or an error (error)'),
  maxCategories: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(50)
    .describe('fail when a column has more distinct training values than this (use ordinal encoding + embedding instead)'),
  dropOriginal: z.boolean().default(true).describe('remove the encoded column, keeping only its indicators'),
});

/** Name of the indicator column for one category. */
export function oneHotName(column: string, category: string | number): string {
  return `${column}=${String(category)}`;
}

function unknownError(column: string, value: string | number, nodeId: string | undefined, row: number): never {
  const who = nodeId ? `node "${nodeId}" param "handleUnknown": ` : '';
  throw new KilnError(
    'UNKNOWN_CATEGORY',
    `${who}column "${column}" has category "${String(value)}" at row ${row + 1}, which was not seen in training`,
    { column, row: row + 1, ...(nodeId ? { nodeId, param: 'handleUnknown' } : {}) },
  );
}

/**
 * Replaces each encoded column by 0/1 indicator columns named `column=category`, in place.
 * Missing values give all zeros; unseen categories give all zeros or an error (handleUnknown).
 */
export function applyOneHot(state: OneHotState, table: Table, nodeId?: string): Table {
  const replace = new Map<string, Column[]>();
  for (const spec of state.columns) {
    const c = requireColumn(table, spec.column, 'one_hot');
    const codeOf = vocabularyCodes(spec);
    const outs: NumericColumn[] = (spec.categories as CategoryKey[]).map((v) => ({
      name: oneHotName(c.name, v),
      type: 'numeric',
      values: new Float64Array(table.nRows),
    }));
    for (let r = 0; r < table.nRows; r++) {
      const raw = categoryAt(c, r);
      if (raw === null) continue;
      const k = codeOf(raw);
      if (k === undefined) {
        if (state.handleUnknown === 'error') unknownError(c.name, raw, nodeId, r);
        continue;
      }
      outs[k]!.values[r] = 1;
    }
    replace.set(c.name, state.dropOriginal ? outs : [c, ...outs]);
  }
  return spliceColumns(table, replace, { kind: 'one_hot', ...(nodeId ? { nodeId } : {}) });
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const oneHotState = z.object({
  columns: z.array(vocabularySchema),
  handleUnknown: z.enum(['ignore', 'error']),
  dropOriginal: z.boolean(),
  reads: z.array(z.string()),
});

export const oneHot = defineNode({
  kind: 'one_hot',
  label: 'One-hot encode',
  category: 'preprocess',
  description:
    'Turns each category into a 0/1 column named `column=value`. Categories come from the training rows, sorted; ' +
    'missing values encode as all zeros.',
  params: oneHotParams,
  example: { columns: ['Origin'], handleUnknown: 'ignore', maxCategories: 50, dropOriginal: true },
  preservesRows: true,
  fitted: fittedState(oneHotState, { typicalValues: firstCategories }),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['categorical'], ['categorical', 'numeric', 'boolean'], ctx.nodeId);
    const rows = fitRows(frame);
    const specs: OneHotColumn[] = columns.map((c) => {
      const categories = [...countCategories(c, rows).keys()].sort(compareCategories) as string[] | number[];
      if (categories.length > params.maxCategories) {
        throw new KilnError(
          'TOO_MANY_CATEGORIES',
          `node "${ctx.nodeId}" param "maxCategories": column "${c.name}" has ${categories.length} categories in the training rows, more than ${params.maxCategories}; raise maxCategories or use ordinal_encode with an embedding`,
          { nodeId: ctx.nodeId, param: 'maxCategories', column: c.name },
        );
      }
      if (categories.length === 0) ctx.log(`column "${c.name}" has no values in the training rows; it encodes to no columns`, 'warn');
      return { column: c.name, numeric: c.type !== 'categorical', categories };
    });
    const state: OneHotState = {
      columns: specs,
      handleUnknown: params.handleUnknown,
      dropOriginal: params.dropOriginal,
      reads: specs.map((s) => s.column),
    };
    const table = applyOneHot(state, frame.table, ctx.nodeId);
    return { data: withStep(frame, table, { kind: 'one_hot', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applyOneHot(state as OneHotState, table);
  },
});
