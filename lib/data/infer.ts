import { KilnError } from '../errors';
import type { DataSource } from './source';
import { parseCsv } from './csv';
import { parseJsonRecords, recordsToRaw } from './json';
import { rowRef, type RawTable, type RawValue } from './raw';
import { categoryCounts } from './stats';
import type { Column, ColumnSchema, ColumnType, Table } from './table';

/**
 * Text that means "no value". Trimmed, case-sensitive: the spellings pandas and R write, without
 * pandas' `None`, which is too often a real category ("None" of some feature).
 */
const MISSING_TEXT = new Set(['', 'NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan']);

/** Plain decimal numbers with optional sign, fraction and exponent; no hex, no Infinity, no `1,000`. */
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `YYYY-MM-DD`, optionally with a time `THH:MM[:SS[.fff]]` (or a space instead of `T`) and a zone
 * (`Z`, `+HH:MM`, `+HHMM`). Looser formats ("Jan 1 2000", "1/2/2000") are ambiguous across
 * locales, so such columns stay categorical.
 */
const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether a raw cell is missing: null/undefined, a NaN number, or one of the missing spellings. */
export function isMissingValue(v: RawValue): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') return MISSING_TEXT.has(v.trim());
  return false;
}

/** A raw cell as a finite number, or undefined when it is not one (booleans are not numbers). */
export function parseNumberValue(v: RawValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

/**
 * A raw cell as 0/1: JSON booleans and `true/false/yes/no` (any case). With `allowNumeric`, also
 * the numbers 0 and 1 — accepted when a schema says the column is boolean, since that is how
 * booleans are stored, but never used to infer a boolean column (a 0/1 column may be a count).
 */
export function parseBooleanValue(v: RawValue, allowNumeric = false): 0 | 1 | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === 'yes') return 1;
    if (s === 'false' || s === 'no') return 0;
    if (!allowNumeric) return undefined;
  }
  if (allowNumeric) {
    const n = parseNumberValue(v);
    if (n === 0 || n === 1) return n;
  }
  return undefined;
}

/**
 * An ISO-style date string as epoch milliseconds, or undefined. Dates and times without a zone
 * are read as UTC so that the same file gives the same numbers on every machine. Impossible
 * dates (2021-02-30) are rejected.
 */
const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};

/**
 * `YYYY-MM-DD` without a regex or a Date (serving checks a date column on every logged record):
 * epoch milliseconds, NaN for an impossible day (Feb 30), null when the text is not that shape
 * (the general parser decides). Days from the civil date by H. Hinnant's `days_from_civil`.
 */
function plainDate(s: string): number | null {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const y0 = digit(s, 0), y1 = digit(s, 1), y2 = digit(s, 2), y3 = digit(s, 3), m0 = digit(s, 5), m1 = digit(s, 6), d0 = digit(s, 8), d1 = digit(s, 9);
  if ((y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0) return null;
  const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const m = m0 * 10 + m1;
  const d = d0 * 10 + d1;
  if (m < 1 || m > 12 || d < 1) return NaN;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  if (d > dim) return NaN;
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return (era * 146097 + doe - 719468) * 86_400_000;
}

export function parseDateValue(v: RawValue): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.length === 10) {
    const t = plainDate(v);
    if (t !== null) return Number.isNaN(t) ? undefined : t;
  }
  const m = DATE_RE.exec(v.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] ? Number(m[4]) : 0;
  const mi = m[5] ? Number(m[5]) : 0;
  const s = m[6] ? Number(m[6]) : 0;
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  if (date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1) return undefined;
  let t = date.getTime();
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2, 4));
    if (zh > 23 || zm > 59) return undefined;
    t -= sign * (zh * 60 + zm) * 60_000;
  }
  return t;
}

/**
 * Infers one column's type from its raw cells: `boolean` if every non-missing cell is a boolean,
 * else `numeric` if every one is a number, else `date` if every one is an ISO-style date string,
 * else `categorical`. A column with no values at all is `numeric` (all NaN), as in pandas.
 */
export function inferColumnType(raw: RawTable, j: number): ColumnType {
  let bool = true;
  let num = true;
  let date = true;
  let any = false;
  for (const row of raw.rows) {
    const v = row[j];
    if (isMissingValue(v)) continue;
    any = true;
    if (bool && parseBooleanValue(v) === undefined) bool = false;
    if (num && parseNumberValue(v) === undefined) num = false;
    if (date && parseDateValue(v) === undefined) date = false;
    if (!bool && !num && !date) return 'categorical';
  }
  if (!any) return 'numeric';
  if (bool) return 'boolean';
  if (num) return 'numeric';
  return date ? 'date' : 'categorical';
}

const PARSERS: Record<Exclude<ColumnType, 'categorical'>, { parse: (v: RawValue) => number | undefined; what: string }> =
  {
    numeric: { parse: parseNumberValue, what: 'a number' },
    boolean: { parse: (v) => parseBooleanValue(v, true), what: 'a boolean (true/false/yes/no/1/0)' },
    date: { parse: parseDateValue, what: 'a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)' },
  };

/**
 * Builds column `j` of a raw table as `type`.
 * @throws KilnError `BAD_VALUE` naming file, row and column when a cell does not parse as `type`.
 */
export function buildColumn(raw: RawTable, j: number, type: ColumnType): Column {
  const name = raw.header[j]!;
  const n = raw.rows.length;
  if (type === 'categorical') {
    const values: (string | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = raw.rows[i]![j];
      values[i] = isMissingValue(v) ? null : typeof v === 'string' ? v : String(v);
    }
    return { name, type, values };
  }
  const { parse, what } = PARSERS[type];
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw.rows[i]![j];
    if (isMissingValue(v)) {
      values[i] = NaN;
      continue;
    }
    const x = parse(v);
    if (x === undefined) {
      const ref = rowRef(raw, i);
      throw new KilnError(
        'BAD_VALUE',
        `${raw.file} ${ref.label} column "${name}": ${JSON.stringify(v)} is not ${what}`,
        { file: raw.file, row: ref.row, path: ref.path, column: name },
      );
    }
    values[i] = x;
  }
  return { name, type, values };
}

export interface ParseTableOptions {
  /**
   * Parse these columns as these types instead of inferring them (e.g. test or serving data
   * read against a training schema). Every schema column must be present; columns the schema
   * does not name are kept, with inferred types. Column order follows the file.
   */
  schema?: ColumnSchema[];
}

/**
 * Turns a raw table into a typed {@link Table}.
 * @throws KilnError `MISSING_COLUMN` (a schema column is absent), `BAD_VALUE` (a cell does not
 *   parse as its schema type).
 */
export function tableFromRaw(raw: RawTable, opts: ParseTableOptions = {}): Table {
  const wanted = new Map((opts.schema ?? []).map((c) => [c.name, c.type]));
  for (const name of wanted.keys()) {
    if (!raw.header.includes(name)) {
      throw new KilnError(
        'MISSING_COLUMN',
        `${raw.file}: column "${name}" is missing (expected by the schema; the file has ${raw.header.map((h) => `"${h}"`).join(', ')})`,
        { file: raw.file, column: name },
      );
    }
  }
  const columns = raw.header.map((name, j) => buildColumn(raw, j, wanted.get(name) ?? inferColumnType(raw, j)));
  return { columns, nRows: raw.rows.length };
}

/**
 * Parses a CSV or JSON data source into a typed table, inferring column types unless
 * `opts.schema` fixes them. Errors name `source.name` and the row (CSV: file row, header = 1;
 * JSON: 0-based record index) and column.
 */
export function parseTable(source: DataSource, opts: ParseTableOptions = {}): Table {
  const raw = source.format === 'csv' ? parseCsv(source.text, source.name) : parseJsonRecords(source.text, source.name);
  return tableFromRaw(raw, opts);
}

/**
 * Builds a table from in-memory records (e.g. a predict request's `instances`), with the same
 * missing-value, typing and error rules as a JSON file. `name` labels errors.
 */
export function tableFromRecords(
  records: readonly unknown[],
  opts: ParseTableOptions & { name?: string } = {},
): Table {
  return tableFromRaw(recordsToRaw(records, opts.name ?? 'records'), opts);
}

/**
 * Describes a table's columns as a schema: type, whether any value is missing, and for
 * categorical columns the observed categories, most frequent first (ties in code-unit order),
 * at most `maxCategories`.
 */
export function inferSchema(table: Table, maxCategories = 50): ColumnSchema[] {
  return table.columns.map((c): ColumnSchema => {
    if (c.type === 'categorical') {
      const counts = categoryCounts(c.values);
      return {
        name: c.name,
        type: c.type,
        nullable: counts.missing > 0,
        categories: counts.entries.slice(0, maxCategories).map(([v]) => v),
      };
    }
    let nullable = false;
    for (let i = 0; i < c.values.length; i++) {
      if (Number.isNaN(c.values[i]!)) {
        nullable = true;
        break;
      }
    }
    return { name: c.name, type: c.type, nullable };
  });
}
