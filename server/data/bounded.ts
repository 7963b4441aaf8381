/**
 * Cell text in API answers, bounded: a dataset may hold a megabyte-long category (a cell up to
 * `KILN_MAX_CELL_BYTES`), and schemas and statistics repeat categories. Listings, uploads'
 * answers and statistics carry each one cut to a few hundred characters, ending with "…", and say
 * `truncated: true` when any was cut. Column names are kept whole (graphs refer to them).
 */
import { truncateText } from './dataset-summary';

interface Cut {
  cut: boolean;
}

function cutText(s: unknown, max: number, c: Cut): unknown {
  if (typeof s !== 'string') return s;
  const t = truncateText(s, max);
  c.cut ||= t.cut;
  return t.text;
}

function boundedColumns(columns: unknown, max: number, c: Cut, key: 'categories' | 'top'): unknown {
  if (!Array.isArray(columns)) return columns;
  return columns.map((col: unknown) => {
    if (!col || typeof col !== 'object') return col;
    const o = col as Record<string, unknown>;
    const list = o[key];
    if (!Array.isArray(list)) return col;
    const bounded = key === 'categories' ? list.map((v) => cutText(v, max, c)) : list.map((e: unknown) => (e && typeof e === 'object' ? { ...(e as object), value: cutText((e as { value?: unknown }).value, max, c) } : e));
    return { ...o, [key]: bounded };
  });
}

/** A stored dataset schema (column schemas) with each category cut to `max` characters. */
export function boundedSchema(schema: unknown, max: number): unknown {
  return boundedColumns(schema, max, { cut: false }, 'categories');
}

/** Schema and statistics of a dataset version with category text cut, and whether any was. */
export function boundedDataset(d: { schema: unknown; stats: unknown }, max: number): { schema: unknown; stats: unknown; truncated: boolean } {
  const c: Cut = { cut: false };
  const schema = boundedColumns(d.schema, max, c, 'categories');
  const stats = d.stats && typeof d.stats === 'object' ? { ...(d.stats as object), columns: boundedColumns((d.stats as { columns?: unknown }).columns, max, c, 'top') } : d.stats;
  return { schema, stats, truncated: c.cut };
}

/** Whether any category of `schema` is longer than `max` characters. */
export function schemaTruncated(schema: unknown, max: number): boolean {
  const c: Cut = { cut: false };
  boundedColumns(schema, max, c, 'categories');
  return c.cut;
}
