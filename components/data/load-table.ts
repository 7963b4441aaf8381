/** Fetching a dataset's file (uploaded version or built-in) and parsing it as training does. */
import { parseTable } from '../../lib/data/infer';
import { tableStats, type TableStats } from '../../lib/data/stats';
import type { Table } from '../../lib/data/table';
import { builtinUrl, fetchSource, uploadedUrl } from '../run/fetch-data';

export type DataSourceRef = { kind: 'upload'; id: string; name: string } | { kind: 'builtin'; name: string };

export interface LoadedTable {
  table: Table;
  stats: TableStats;
  bytes: number;
}

export function sourceKey(s: DataSourceRef): string {
  return s.kind === 'upload' ? `upload:${s.id}` : `builtin:${s.name}`;
}

/** Loads and parses the file; throws one line naming the dataset on failure. */
export async function loadTable(s: DataSourceRef): Promise<LoadedTable> {
  const src = await fetchSource(s.kind === 'upload' ? uploadedUrl(s.id) : builtinUrl(s.name), s.name);
  const table = parseTable(src);
  return { table, stats: tableStats(table, { bins: 20, topK: 10 }), bytes: src.text.length };
}

/** A cell as text: dates as ISO dates, booleans as true/false, missing as null. */
export function cellText(table: Table, col: number, row: number): string | null {
  const c = table.columns[col]!;
  if (c.type === 'categorical') return c.values[row] ?? null;
  const v = c.values[row]!;
  if (Number.isNaN(v)) return null;
  if (c.type === 'boolean') return v === 1 ? 'true' : 'false';
  if (c.type === 'date') {
    const d = new Date(v);
    const iso = d.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
  }
  return String(Number(v.toPrecision(8)));
}
