/**
 * Shared helpers of the preprocessing kinds (impute, encoders, scalers, binning, polynomial
 * features, PCA). Their fitted states all follow one convention: `reads` lists the raw-or-derived
 * columns the step needs at serving time, so select/drop can tell which inputs are still required.
 */
import { KilnError } from '../../errors';
import type { Column, ColumnType, NumericColumn, Table } from '../../data/table';
import { resolveColumns } from '../frame-utils';
import type { Frame } from '../types';

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
