/**
 * Shared helpers of the preprocessing kinds (impute, encoders, scalers, binning, polynomial
 * features, PCA). Their fitted states all follow one convention: `reads` lists the raw-or-derived
 * columns the step needs at serving time, so select/drop can tell which inputs are still required.
 */
import { z } from 'zod';
import { KilnError, type ErrorCode } from '../../errors';
import type { Column, ColumnSchema, ColumnType, NumericColumn, Table } from '../../data/table';
import { columnsReadBySteps } from '../fitted';
import { resolveColumns, withStep } from '../frame-utils';
import type { FittedStep, Frame } from '../types';

/**
 * The feature columns a node transforms: `requested` (validated against `acceptExplicit`) or,
 * when empty, every `acceptDefault` column but the target. Naming the target is an error:
 * the target is the label, and serving never sends it.
 */
export function featureColumns(
  frame: Frame,
  requested: string[] | undefined,
  acceptDefault: ColumnType[],
  acceptExplicit: ColumnType[],
  nodeId: string,
  param = 'columns',
): Column[] {
  if (!requested || requested.length === 0) return resolveColumns(frame, undefined, acceptDefault, nodeId, param);
  const unique = [...new Set(requested)];
  const cols = resolveColumns(frame, unique, acceptExplicit, nodeId, param);
  if (frame.target !== undefined && unique.includes(frame.target)) {
    throw new KilnError(
      'TARGET_COLUMN',
      `node "${nodeId}" param "${param}": column "${frame.target}" is the target; preprocessing transforms feature columns only`,
      { nodeId, param, column: frame.target },
    );
  }
  return cols;
}

/** The column `name` of a table being transformed by a fitted step, or a KilnError naming it. */
export function requireColumn(table: Table, name: string, kind: string): Column {
  const c = table.columns.find((x) => x.name === name);
  if (!c) {
    throw new KilnError('MISSING_COLUMN', `column "${name}" is missing (needed by the fitted ${kind} step)`, { column: name });
  }
  return c;
}

/** Like `requireColumn`, for steps that only work on numbers. */
export function requireNumericColumn(table: Table, name: string, kind: string): NumericColumn {
  const c = requireColumn(table, name, kind);
  if (c.type === 'categorical') {
    throw new KilnError('COLUMN_TYPE', `column "${name}" is categorical, but the fitted ${kind} step needs numbers`, { column: name });
  }
  return c;
}

/**
 * The input schema without the columns this node removed, except those an earlier step still
 * reads: serving replays every step, so those must still be sent.
 */
export function pruneInputSchema(frame: Frame, removed: Set<string>): ColumnSchema[] {
  const read = columnsReadBySteps(frame.steps);
  if (read === null) return frame.inputSchema;
  return frame.inputSchema.filter((c) => !removed.has(c.name) || read.has(c.name));
}

/** Fails naming node, param and column when a listed column is not in the table. */
export function checkColumnsExist(table: Table, names: string[], nodeId: string, param = 'columns'): void {
  const have = new Set(table.columns.map((c) => c.name));
  for (const name of names) {
    if (!have.has(name)) {
      throw new KilnError(
        'UNKNOWN_COLUMN',
        `node "${nodeId}" param "${param}": column "${name}" does not exist (columns: ${table.columns.map((c) => c.name).join(', ')})`,
        { nodeId, param, column: name },
      );
    }
  }
}

/**
 * A frame after a step that removes columns (select, drop): the new table, the step, and an
 * input schema that no longer asks for the removed raw columns.
 */
export function withColumnsRemoved(frame: Frame, table: Table, removed: Set<string>, step: FittedStep): Frame {
  return { ...withStep(frame, table, step), inputSchema: pruneInputSchema(frame, removed) };
}

/** Non-missing values of a numeric column at the given rows. */
export function presentValues(values: Float64Array, rows: number[]): number[] {
  const out: number[] = [];
  for (const r of rows) {
    const v = values[r]!;
    if (!Number.isNaN(v)) out.push(v);
  }
  return out;
}

/**
 * The non-missing training values of a numeric column a node fits on. None at all is `code`
 * (each kind keeps its own), naming node and column: the step would have nothing to learn from.
 */
export function trainingValues(c: Column, rows: number[], nodeId: string, code: ErrorCode): number[] {
  const v = presentValues((c as NumericColumn).values, rows);
  if (v.length === 0) {
    throw new KilnError(
      code,
      `node "${nodeId}" param "columns": column "${c.name}" has no values in the training rows; impute or drop it first`,
      { nodeId, param: 'columns', column: c.name },
    );
  }
  return v;
}

/**
 * Replaces each column a fitted spec names by `f(value, spec)` of its values (a numeric column),
 * keeping every column where it was; a spec's column must still be there and hold numbers.
 */
export function mapNumericColumns<S extends { column: string }>(
  table: Table,
  specs: readonly S[],
  kind: string,
  f: (x: number, spec: S) => number,
): Table {
  const replace = new Map<string, Column>();
  for (const s of specs) {
    const c = requireNumericColumn(table, s.column, kind);
    const values = new Float64Array(table.nRows);
    for (let i = 0; i < values.length; i++) values[i] = f(c.values[i]!, s);
    replace.set(c.name, { name: c.name, type: 'numeric', values });
  }
  return { nRows: table.nRows, columns: table.columns.map((c) => replace.get(c.name) ?? c) };
}

/**
 * Replaces each column named in `replace` by its list of new columns, in place, keeping every
 * other column where it was. New names must not clash with columns that remain.
 */
export function spliceColumns(table: Table, replace: Map<string, Column[]>, where: { nodeId?: string; kind: string }): Table {
  const out: Column[] = [];
  for (const c of table.columns) {
    const r = replace.get(c.name);
    if (r) out.push(...r);
    else out.push(c);
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c.name)) {
      const who = where.nodeId ? `node "${where.nodeId}"` : `the fitted ${where.kind} step`;
      throw new KilnError(
        'DUPLICATE_COLUMN',
        `${who}: output column "${c.name}" already exists; rename or drop the existing column first`,
        { column: c.name, ...(where.nodeId ? { nodeId: where.nodeId } : {}) },
      );
    }
    seen.add(c.name);
  }
  return { columns: out, nRows: table.nRows };
}

/** Code-unit order: locale-independent, so fitted vocabularies are identical on every platform. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `columns` param of the scalers: which numeric columns to scale. */
export const scaleColumnsParam = z
  .array(z.string().min(1))
  .optional()
  .describe('numeric columns to scale; empty = every numeric column except the target');

/** The `columns` param of the encoders: which columns get a vocabulary. */
export const encodeColumnsParam = z
  .array(z.string().min(1))
  .optional()
  .describe('columns to encode; empty = every categorical column except the target (numeric and boolean columns may be named)');

/** A vocabulary entry: the text of a categorical cell, the number of any other cell. */
export type CategoryKey = string | number;

/** The cell at row `r` as a vocabulary entry; null when missing. */
export function categoryAt(c: Column, r: number): CategoryKey | null {
  if (c.type === 'categorical') return c.values[r] ?? null;
  const v = c.values[r]!;
  return Number.isNaN(v) ? null : v;
}

/** Vocabulary order: numbers numerically, strings in code-unit order. */
export function compareCategories(a: CategoryKey, b: CategoryKey): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : compareStrings(String(a), String(b));
}

/** How often each category occurs at the given rows, in first-seen order; missing cells are not counted. */
export function countCategories(c: Column, rows: number[]): Map<CategoryKey, number> {
  const counts = new Map<CategoryKey, number>();
  for (const r of rows) {
    const k = categoryAt(c, r);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The fitted vocabulary of one encoded column (one_hot, ordinal_encode): category i has code i. */
export interface Vocabulary {
  column: string;
  /** whether the vocabulary holds numbers (a numeric or boolean column) rather than strings */
  numeric: boolean;
  categories: string[] | number[];
}

/** `Vocabulary` as fitted states declare it. */
export const vocabularySchema = z.object({
  column: z.string(),
  numeric: z.boolean(),
  categories: z.union([z.array(z.string()), z.array(z.number())]),
});

/**
 * The code of a category in a fitted vocabulary, or undefined for one not seen in training. A
 * number sent as text (or the reverse) still finds its entry.
 */
export function vocabularyCodes(spec: Vocabulary): (raw: CategoryKey) => number | undefined {
  const index = new Map<CategoryKey, number>((spec.categories as CategoryKey[]).map((v, i) => [v, i]));
  return (raw) => index.get(spec.numeric ? (typeof raw === 'number' ? raw : Number(raw)) : String(raw));
}
