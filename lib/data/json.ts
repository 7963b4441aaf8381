import { KilnError } from '../errors';
import type { RawTable, RawValue } from './raw';

/**
 * Parses a JSON array of records (`[{"a": 1, "b": "x"}, …]`, the layout of vega-datasets and of
 * `pandas.to_json(orient="records")`) into a header and rows.
 *
 * The header is the union of keys in order of first appearance; a key absent from a record is a
 * missing value. Nested objects and arrays are kept as their JSON text (a categorical value),
 * since a table cell holds a scalar.
 *
 * @param file display name used in error messages
 * @throws KilnError `EMPTY_FILE`, `BAD_JSON` (not valid JSON), `NOT_ARRAY` (top level is not an
 *   array), `BAD_RECORD` (an element is not an object; named by its 0-based index), `NO_ROWS`,
 *   `NO_COLUMNS` (every record is `{}`).
 */
export function parseJsonRecords(text: string, file: string): RawTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new KilnError('EMPTY_FILE', `${file}: the file is empty`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new KilnError('BAD_JSON', `${file}: invalid JSON (${detail})`, { file });
  }
  if (!Array.isArray(data)) {
    throw new KilnError('NOT_ARRAY', `${file}: expected a JSON array of records, got ${describeJson(data)}`, { file });
  }
  return recordsToRaw(data, file);
}

/**
 * Turns already-parsed records (e.g. the `instances` of a predict request) into a raw table.
 * Same rules and errors as {@link parseJsonRecords}.
 */
export function recordsToRaw(records: readonly unknown[], file: string): RawTable {
  if (records.length === 0) {
    throw new KilnError('NO_ROWS', `${file}: the array has no records`, { file });
  }
  const index = new Map<string, number>();
  const header: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new KilnError(
        'BAD_RECORD',
        `${file} record [${i}]: expected an object, got ${describeJson(r)}`,
        { file, path: `[${i}]` },
      );
    }
    for (const k of Object.keys(r)) {
      if (!index.has(k)) {
        index.set(k, header.length);
        header.push(k);
      }
    }
  }
  if (header.length === 0) {
    throw new KilnError('NO_COLUMNS', `${file}: the records have no fields`, { file });
  }
  const width = header.length;
  const rows: RawValue[][] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Record<string, unknown>;
    const row: RawValue[] = new Array(width).fill(undefined);
    for (const k of Object.keys(r)) {
      row[index.get(k)!] = toRawValue(r[k]);
    }
    rows[i] = row;
  }
  return { file, format: 'json', header, rows };
}

function toRawValue(v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? `a string` : `a ${typeof v}`;
}
