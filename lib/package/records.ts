/**
 * Prediction request records (plain JSON objects, what an app POSTs) → a typed Table, checked
 * against a package's input schema. Strict on purpose: a request that sends `"12"` for a numeric
 * field is more likely a client bug than something to guess about.
 */
import { KilnError } from '../errors';
import { parseDateValue } from '../data/infer';
import type { Column, ColumnSchema, Table } from '../data/table';

/** Default cap on records per prediction call. */
export const MAX_RECORDS = 100_000;

export interface RecordsOptions {
  /** most records accepted in one call (default {@link MAX_RECORDS}) */
  maxRecords?: number;
}

/** A short description of a JSON value for error messages: `string "abc"`, `number 3`, `array`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

function recordError(i: number, field: string, message: string): KilnError {
  return new KilnError('INVALID_RECORD', `record ${i} field "${field}": ${message}`, { row: i, column: field, path: `[${i}].${field}` });
}

/**
 * Converts request records to a Table with one column per input-schema field, in schema order.
 *
 * Per field type: numeric takes finite JSON numbers; boolean takes `true`/`false`; date takes an
 * ISO-style string (`YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]`, no zone = UTC) or epoch
 * milliseconds; categorical takes strings, and numbers or booleans as their text (`3` → "3", as
 * the training data parser does). `null` is a missing value. Fields not in the schema (the
 * target, ids …) are ignored. Records are numbered from 0, as indices into the request array.
 *
 * @throws KilnError `INVALID_REQUEST` (not an array, or more than `maxRecords`),
 *   `INVALID_RECORD` (a record is not an object, misses a field, or has a value of the wrong
 *   type), each naming the record index and field.
 */
export function recordsToTable(records: unknown, schema: readonly ColumnSchema[], opts: RecordsOptions = {}): Table {
  const max = opts.maxRecords ?? MAX_RECORDS;
  if (!Array.isArray(records)) throw new KilnError('INVALID_REQUEST', `records: expected an array of objects, got ${describeValue(records)}`);
  if (records.length > max) {
    throw new KilnError('INVALID_REQUEST', `records: ${records.length} records is more than the ${max} allowed per call; send them in batches`);
  }
  const n = records.length;
  const columns: Column[] = schema.map((c) =>
    c.type === 'categorical' ? { name: c.name, type: c.type, values: new Array<string | null>(n).fill(null) } : { name: c.name, type: c.type, values: new Float64Array(n) },
  );
  for (let i = 0; i < n; i++) {
    const r: unknown = records[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new KilnError('INVALID_RECORD', `record ${i}: expected an object, got ${describeValue(r)}`, { row: i, path: `[${i}]` });
    }
    const rec = r as Record<string, unknown>;
    schema.forEach((field, j) => {
      const name = field.name;
      if (!Object.prototype.hasOwnProperty.call(rec, name)) {
        throw new KilnError('INVALID_RECORD', `record ${i}: missing field "${name}"`, { row: i, column: name, path: `[${i}]` });
      }
      const v = rec[name];
      const col = columns[j]!;
      if (col.type === 'categorical') {
        if (v === null) col.values[i] = null;
        else if (typeof v === 'string') col.values[i] = v;
        else if (typeof v === 'number' && Number.isFinite(v)) col.values[i] = String(v);
        else if (typeof v === 'boolean') col.values[i] = v ? 'true' : 'false';
        else throw recordError(i, name, `expected string, got ${describeValue(v)}`);
        return;
      }
      col.values[i] = parseField(col.type, v, i, name);
    });
  }
  return { columns, nRows: n };
}

function parseField(type: 'numeric' | 'boolean' | 'date', v: unknown, i: number, name: string): number {
  if (v === null) return NaN;
  if (type === 'numeric') {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw recordError(i, name, `expected number, got ${describeValue(v)}`);
  }
  if (type === 'boolean') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw recordError(i, name, `expected boolean (true or false), got ${describeValue(v)}`);
  }
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = parseDateValue(v);
    if (t !== undefined) return t;
  }
  throw recordError(i, name, `expected date (ISO string such as "2024-05-01T12:00:00Z" or epoch milliseconds), got ${describeValue(v)}`);
}
