import { z } from 'zod';
import type { Column, Table } from '../../data/table';
import { defineNode } from '../registry';
import { fitRows, inputFrame, withStep } from '../frame-utils';
import {
  categoryAt,
  compareCategories,
  countCategories,
  encodeColumnsParam,
  featureColumns,
  requireColumn,
  vocabularyCodes,
  vocabularySchema,
  type Vocabulary,
} from './preprocess-utils';
import { firstCategories, fittedState } from '../fitted';

/** Vocabulary of one encoded column: category i gets code i; anything else gets `categories.length`. */
export type OrdinalColumn = Vocabulary;

export interface OrdinalEncodeState {
  columns: OrdinalColumn[];
  /**
   * Distinct codes per encoded column: K known categories + 1 reserved "unknown or missing" code.
   * Embedding models size their tables from this (the kind declares it as `fitted.cardinality`).
   */
  cardinality: Record<string, number>;
  reads: string[];
}

export const ordinalEncodeParams = z.object({
  columns: encodeColumnsParam,
  order: z
    .enum(['lexical', 'frequency'])
    .default('lexical')
    .describe('code order: sorted values (lexical) or most frequent first (frequency; ties sorted)'),
  maxCategories: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1000)
    .describe('keep at most this many categories (the most frequent); rarer ones share the unknown code'),
});

/** Replaces each encoded column by its integer codes (numeric type), in place. */
export function applyOrdinalEncode(state: OrdinalEncodeState, table: Table): Table {
  const replace = new Map<string, Column>();
  for (const spec of state.columns) {
    const c = requireColumn(table, spec.column, 'ordinal_encode');
    const codeOf = vocabularyCodes(spec);
    const unknown = spec.categories.length;
    const values = new Float64Array(table.nRows);
    for (let r = 0; r < table.nRows; r++) {
      const raw = categoryAt(c, r);
      values[r] = raw === null ? unknown : codeOf(raw) ?? unknown;
    }
    replace.set(c.name, { name: c.name, type: 'numeric', values });
  }
  return { nRows: table.nRows, columns: table.columns.map((c) => replace.get(c.name) ?? c) };
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const ordinalEncodeState = z.object({
  columns: z.array(vocabularySchema),
  cardinality: z.record(z.string(), z.number().int().nonnegative()),
  reads: z.array(z.string()),
});

export const ordinalEncode = defineNode({
  kind: 'ordinal_encode',
  label: 'Ordinal encode',
  category: 'preprocess',
  description:
    'Replaces categories by integer codes 0..K-1 learnt from the training rows; unknown and missing values get the ' +
    'reserved code K, so an embedding has an "unknown" slot (cardinality K+1).',
  params: ordinalEncodeParams,
  example: { columns: ['Origin'], order: 'frequency', maxCategories: 1000 },
  preservesRows: true,
  // Embedding models size their tables from the codes this step produced.
  fitted: fittedState(ordinalEncodeState, { cardinality: (s) => s.cardinality, typicalValues: firstCategories }),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['categorical'], ['categorical', 'numeric', 'boolean'], ctx.nodeId);
    const rows = fitRows(frame);
    const specs: OrdinalColumn[] = columns.map((c) => {
      const byFrequency = [...countCategories(c, rows).entries()].sort((a, b) => b[1] - a[1] || compareCategories(a[0], b[0]));
      const kept = byFrequency.slice(0, params.maxCategories).map(([k]) => k);
      if (byFrequency.length > params.maxCategories) {
        ctx.log(
          `column "${c.name}": kept the ${params.maxCategories} most frequent of ${byFrequency.length} categories; the rest share the unknown code`,
          'warn',
        );
      }
      if (params.order === 'lexical') kept.sort(compareCategories);
      return { column: c.name, numeric: c.type !== 'categorical', categories: kept as string[] | number[] };
    });
    const state: OrdinalEncodeState = {
      columns: specs,
      cardinality: Object.fromEntries(specs.map((s) => [s.column, s.categories.length + 1])),
      reads: specs.map((s) => s.column),
    };
    return {
      data: withStep(frame, applyOrdinalEncode(state, frame.table), { kind: 'ordinal_encode', nodeId: ctx.nodeId, state }),
    };
  },
  apply(state, table) {
    return applyOrdinalEncode(state as OrdinalEncodeState, table);
  },
});
