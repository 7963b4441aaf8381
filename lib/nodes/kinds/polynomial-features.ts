import { z } from 'zod';
import { KilnError } from '../../errors';
import type { Column, Table } from '../../data/table';
import { defineNode } from '../registry';
import { inputFrame, withStep } from '../frame-utils';
import { featureColumns, requireNumericColumn, spliceColumns } from './preprocess-utils';
import { fittedState } from '../fitted';

export interface PolynomialTerm {
  name: string;
  /** indices into `columns` of the factors, ascending, repeated for powers */
  factors: number[];
}

export interface PolynomialState {
  columns: string[];
  terms: PolynomialTerm[];
  includeBias: boolean;
  reads: string[];
}

/** Caps that keep a degree-4 expansion of many columns from exhausting memory. */
export const POLYNOMIAL_LIMITS = { maxOutputColumns: 10_000, maxOutputValues: 100_000_000 } as const;

export const BIAS_COLUMN = 'bias';

export const polynomialFeaturesParams = z.object({
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe('numeric columns to combine; empty = every numeric column except the target'),
  degree: z.number().int().min(2).max(4).default(2).describe('highest total degree of the products'),
  interactionOnly: z.boolean().default(false).describe('only products of distinct columns (a*b, no a^2)'),
  includeBias: z.boolean().default(false).describe(`add a constant column "${BIAS_COLUMN}" of ones`),
});

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Number of new product columns (degree 2..d) for n inputs, without generating them. */
export function countPolynomialTerms(n: number, degree: number, interactionOnly: boolean): number {
  let total = 0;
  for (let k = 2; k <= degree; k++) total += interactionOnly ? (k <= n ? binomial(n, k) : 0) : binomial(n + k - 1, k);
  return total;
}

/** Name of a product: factors joined by `*`, repeated factors as powers (`a^2*b`). */
export function termName(columns: string[], factors: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < factors.length; ) {
    let j = i;
    while (j < factors.length && factors[j] === factors[i]) j++;
    const name = columns[factors[i]!]!;
    parts.push(j - i > 1 ? `${name}^${j - i}` : name);
    i = j;
  }
  return parts.join('*');
}

/** Products of degree 2..d in scikit-learn's order (by degree, then lexicographic factor indices). */
function generateTerms(n: number, degree: number, interactionOnly: boolean): number[][] {
  const out: number[][] = [];
  const combo: number[] = [];
  const rec = (start: number, k: number): void => {
    if (combo.length === k) {
      out.push(combo.slice());
      return;
    }
    for (let i = start; i < n; i++) {
      combo.push(i);
      rec(interactionOnly ? i + 1 : i, k);
      combo.pop();
    }
  };
  for (let k = 2; k <= degree; k++) rec(0, k);
  return out;
}

/** Appends the product columns (and the bias column) after the existing ones; NaN propagates. */
export function applyPolynomialFeatures(state: PolynomialState, table: Table, nodeId?: string): Table {
  const inputs = state.columns.map((name) => requireNumericColumn(table, name, 'polynomial_features').values);
  const added: Column[] = [];
  if (state.includeBias) added.push({ name: BIAS_COLUMN, type: 'numeric', values: new Float64Array(table.nRows).fill(1) });
  for (const t of state.terms) {
    const values = new Float64Array(table.nRows);
    for (let r = 0; r < table.nRows; r++) {
      let p = 1;
      for (const f of t.factors) p *= inputs[f]![r]!;
      values[r] = p;
    }
    added.push({ name: t.name, type: 'numeric', values });
  }
  // splice after the last column so the originals stay where they were
  const last = table.columns[table.columns.length - 1];
  if (!last) return table;
  return spliceColumns(table, new Map([[last.name, [last, ...added]]]), {
    kind: 'polynomial_features',
    ...(nodeId ? { nodeId } : {}),
  });
}

/** The fitted state as its kind declares it (checked when a package is read). */
export const polynomialState = z.object({
  columns: z.array(z.string()),
  terms: z.array(z.object({ name: z.string(), factors: z.array(z.number().int().nonnegative()) })),
  includeBias: z.boolean(),
  reads: z.array(z.string()),
});

export const polynomialFeatures = defineNode({
  kind: 'polynomial_features',
  label: 'Polynomial features',
  category: 'preprocess',
  description:
    'Adds products of numeric columns up to a degree: `a^2`, `a*b`, … (the inputs are kept). Useful before linear models.',
  params: polynomialFeaturesParams,
  example: { columns: ['Horsepower', 'Weight_in_lbs'], degree: 2, interactionOnly: false, includeBias: false },
  preservesRows: true,
  fitted: fittedState(polynomialState),
  inputs: [{ name: 'data', type: 'table' }],
  outputs: [{ name: 'data', type: 'table' }],
  async run(inputs, params, ctx) {
    const frame = inputFrame(inputs, 'data', ctx.nodeId);
    const columns = featureColumns(frame, params.columns, ['numeric'], ['numeric', 'boolean'], ctx.nodeId);
    if (columns.length === 0) {
      throw new KilnError('NO_COLUMNS', `node "${ctx.nodeId}" param "columns": there are no numeric columns to combine`, {
        nodeId: ctx.nodeId,
        param: 'columns',
      });
    }
    const n = countPolynomialTerms(columns.length, params.degree, params.interactionOnly);
    if (n > POLYNOMIAL_LIMITS.maxOutputColumns) {
      throw new KilnError(
        'TOO_MANY_FEATURES',
        `node "${ctx.nodeId}" param "degree": degree ${params.degree} on ${columns.length} columns makes ${n} new columns, more than ${POLYNOMIAL_LIMITS.maxOutputColumns}; lower the degree or select fewer columns`,
        { nodeId: ctx.nodeId, param: 'degree' },
      );
    }
    if (n * frame.table.nRows > POLYNOMIAL_LIMITS.maxOutputValues) {
      throw new KilnError(
        'TOO_MANY_FEATURES',
        `node "${ctx.nodeId}" param "degree": ${n} new columns × ${frame.table.nRows} rows is more than ${POLYNOMIAL_LIMITS.maxOutputValues} values; lower the degree or select fewer columns`,
        { nodeId: ctx.nodeId, param: 'degree' },
      );
    }
    if (n === 0) ctx.log('no products to add (interactionOnly needs at least 2 columns)', 'warn');
    const names = columns.map((c) => c.name);
    const terms = generateTerms(names.length, params.degree, params.interactionOnly).map(
      (factors): PolynomialTerm => ({ name: termName(names, factors), factors }),
    );
    const state: PolynomialState = { columns: names, terms, includeBias: params.includeBias, reads: names };
    const table = applyPolynomialFeatures(state, frame.table, ctx.nodeId);
    return { data: withStep(frame, table, { kind: 'polynomial_features', nodeId: ctx.nodeId, state }) };
  },
  apply(state, table) {
    return applyPolynomialFeatures(state as PolynomialState, table);
  },
});
