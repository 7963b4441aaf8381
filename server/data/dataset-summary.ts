/**
 * What the control plane computes from a stored dataset file: its schema and statistics at
 * upload, a bounded preview on request. Pure functions over bytes, so they run the same in the
 * parse worker (./parse-pool.ts) and in-thread where no worker can start.
 */
import { inferSchema, parseTable } from '../../lib/data/infer';
import { tableStats } from '../../lib/data/stats';
import { KilnError } from '../../lib/errors';
import type { Column, Table } from '../../lib/data/table';
import { inferDataSchema, type DataSchema } from '../../lib/sketch/data-schema';
import { mergeTableSketches, sketchTable, tableSketchToJson, type TableSketch, type TableSketchJson } from '../../lib/sketch/table-sketch';

export interface DatasetSummary {
  rows: number;
  schema: unknown;
  stats: unknown;
  /** mergeable sketches of every column (serialised) */
  sketch: TableSketchJson;
  /** the data schema inferred from `sketch` */
  dataSchema: DataSchema;
}

/** Rows sketched at a time: each part's sketch is merged into the running one, so memory beyond the parsed table stays bounded. */
export const SKETCH_PART_ROWS = 50_000;

function sliceColumn(c: Column, start: number, end: number): Column {
  return c.type === 'categorical' ? { ...c, values: c.values.slice(start, end) } : { ...c, values: c.values.subarray(start, end) };
}

/**
 * Sketches a table part by part (`partRows` rows each) and merges the parts: the result equals
 * the sketch of the whole (mergeable sketches), which is what lets the browser, a runner and
 * serving add their parts to a stored dataset's statistics.
 */
export function sketchInParts(table: Table, partRows = SKETCH_PART_ROWS): TableSketch {
  if (!(partRows >= 1)) throw new KilnError('BAD_REQUEST', `sketch part size must be at least 1 row, got ${partRows}`);
  let acc: TableSketch | null = null;
  for (let start = 0; start < table.nRows || acc === null; start += partRows) {
    const end = Math.min(table.nRows, start + partRows);
    const part = sketchTable({ nRows: end - start, columns: table.columns.map((c) => sliceColumn(c, start, end)) });
    acc = acc === null ? part : mergeTableSketches(acc, part);
    if (end >= table.nRows) break;
  }
  return acc!;
}

export type PreviewValue = string | number | boolean | null;

export interface DatasetPreview {
  columns: { name: string; type: string }[];
  /**
   * Rows as records keyed by column name. The records have no prototype, so a column named
   * `__proto__`, `constructor` or `prototype` is a key like any other.
   */
  rows: Record<string, PreviewValue>[];
  totalRows: number;
  /** some cell text was cut to `maxCellChars` (it then ends with "…") */
  truncated: boolean;
}

function parse(name: string, format: 'csv' | 'json', bytes: Uint8Array) {
  // The bytes were checked as UTF-8 on the way in (lib/data/limits.ts); fatal here too, so a file
  // that changed in the store is an error rather than replacement characters.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KilnError('BAD_UTF8', `${name}: not valid UTF-8`, { file: name });
  }
  return parseTable({ name, text, format });
}

/** Schema, statistics and row count of a dataset file; `EMPTY_DATASET` when it has no rows or columns. */
export function summarizeDataset(name: string, format: 'csv' | 'json', bytes: Uint8Array): DatasetSummary {
  const table = parse(name, format, bytes);
  if (table.nRows === 0 || table.columns.length === 0) throw new KilnError('EMPTY_DATASET', `${name}: no rows to train on`, { file: name });
  const sketch = sketchInParts(table);
  return { rows: table.nRows, schema: inferSchema(table), stats: tableStats(table), sketch: tableSketchToJson(sketch), dataSchema: inferDataSchema(sketch) };
}

/** Cuts `s` to `max` characters, ending with "…" when it was longer. */
export function truncateText(s: string, max: number): { text: string; cut: boolean } {
  return s.length > max ? { text: `${s.slice(0, Math.max(0, max - 1))}…`, cut: true } : { text: s, cut: false };
}

/** The first `rows` rows, parsed with the same rules as training (missing values are null), cells cut to `maxCellChars`. */
export function previewDataset(name: string, format: 'csv' | 'json', bytes: Uint8Array, rows: number, maxCellChars: number): DatasetPreview {
  const table = parse(name, format, bytes);
  const n = Math.min(rows, table.nRows);
  let truncated = false;
  const out: Record<string, PreviewValue>[] = [];
  // Column names are cells of the header too: cut the same way, keys and list alike.
  const names = table.columns.map((c) => {
    const t = truncateText(c.name, maxCellChars);
    truncated ||= t.cut;
    return t.text;
  });
  for (let i = 0; i < n; i++) {
    const r = Object.create(null) as Record<string, PreviewValue>;
    for (let j = 0; j < table.columns.length; j++) {
      const c = table.columns[j]!;
      const v = c.values[i];
      let x: PreviewValue;
      if (c.type === 'categorical') {
        if (typeof v === 'string') {
          const t = truncateText(v, maxCellChars);
          truncated ||= t.cut;
          x = t.text;
        } else x = null;
      } else if (typeof v !== 'number' || Number.isNaN(v)) x = null;
      else if (c.type === 'boolean') x = v === 1;
      else if (c.type === 'date') x = new Date(v).toISOString();
      else x = v;
      r[names[j]!] = x;
    }
    out.push(r);
  }
  return { columns: table.columns.map((c, j) => ({ name: names[j]!, type: c.type })), rows: out, totalRows: table.nRows, truncated };
}
