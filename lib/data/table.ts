/**
 * Kiln's in-memory table: columnar, plain JS (no tensors), so it can be cached,
 * hashed, sent to a worker and serialised without owning GPU memory.
 *
 * Missing values: NaN in numeric columns, `null` in categorical columns.
 */
export type { ColumnSchema, ColumnType } from './column-schema';

/** numeric, boolean (0/1) and date (epoch milliseconds) columns are stored as numbers. */
export interface NumericColumn {
  name: string;
  type: 'numeric' | 'boolean' | 'date';
  values: Float64Array;
}

export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  values: (string | null)[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Table {
  columns: Column[];
  nRows: number;
}

export function isNumericColumn(c: Column): c is NumericColumn {
  return c.type !== 'categorical';
}

export function getColumn(t: Table, name: string): Column | undefined {
  return t.columns.find((c) => c.name === name);
}

/** Returns a new table with the given row indices (in order). */
export function takeRows(t: Table, rows: ArrayLike<number>): Table {
  const n = rows.length;
  return {
    nRows: n,
    columns: t.columns.map((c): Column => {
      if (c.type === 'categorical') {
        const v: (string | null)[] = new Array(n);
        for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!] ?? null;
        return { name: c.name, type: c.type, values: v };
      }
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = c.values[rows[i]!]!;
      return { name: c.name, type: c.type, values: v };
    }),
  };
}

/** Replaces (or appends) columns by name, keeping column order stable. */
export function withColumns(t: Table, replace: Column[], removeNames: string[] = []): Table {
  const byName = new Map(replace.map((c) => [c.name, c]));
  const removed = new Set(removeNames);
  const out: Column[] = [];
  for (const c of t.columns) {
    if (removed.has(c.name)) continue;
    const r = byName.get(c.name);
    out.push(r ?? c);
    byName.delete(c.name);
  }
  for (const c of byName.values()) out.push(c);
  return { columns: out, nRows: t.nRows };
}
