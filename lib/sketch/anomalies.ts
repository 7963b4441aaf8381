/**
 * Anomalies of data against a {@link DataSchema}, with stable codes in TFDV's spirit. Each names
 * the column, the constraint it breaks and the observed value, so the studio, the CLI and alerts
 * can show one line without recomputing anything.
 */
import type { RawValue } from '../data/raw';
import { isMissingValue, parseBooleanValue, parseDateValue, parseNumberValue } from '../data/infer';
import type { DataColumn, DataSchema } from './data-schema';
import { datasetDrift, type DriftOptions, type DriftResult } from './drift';
import type { ColumnSketch, TableSketch } from './table-sketch';

export const ANOMALY_CODES = [
  'SCHEMA_NEW_COLUMN',
  'SCHEMA_MISSING_COLUMN',
  'TYPE_MISMATCH',
  'OUT_OF_RANGE',
  'UNKNOWN_CATEGORY',
  'MISSING_RATE_HIGH',
  /** one record: a value is missing in a column that is not nullable */
  'MISSING_VALUE',
  'DRIFT',
  'SKEW',
] as const;
export type AnomalyCode = (typeof ANOMALY_CODES)[number];

export interface Anomaly {
  code: AnomalyCode;
  column: string;
  /** the rule broken, e.g. `range [8, 230]`, `domain of 3 categories`, `missing rate ≤ 0.05` */
  constraint: string;
  /** what was seen, e.g. `max 250`, `"Mars" (12 values)`, `0.31` */
  observed: string;
  message: string;
  /** drift and skew only */
  drift?: DriftResult;
}

export interface ValidateOptions {
  /** the previous dataset version's (or window's) sketches: drifted columns are DRIFT */
  previous?: TableSketch;
  /** the model's training sketches: drifted columns are SKEW (training/serving skew) */
  training?: TableSketch;
  drift?: DriftOptions;
  /** unknown categories listed per anomaly (default 5) */
  listLimit?: number;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));

function anomaly(code: AnomalyCode, column: string, constraint: string, observed: string, drift?: DriftResult): Anomaly {
  return { code, column, constraint, observed, message: `${code} column "${column}": expected ${constraint}, observed ${observed}`, ...(drift ? { drift } : {}) };
}

/** Validates a table's sketches against a schema, and against reference sketches for drift/skew. */
export function validateSketch(schema: DataSchema, sketch: TableSketch, opts: ValidateOptions = {}): Anomaly[] {
  const out: Anomaly[] = [];
  const by = new Map(sketch.columns.map((c) => [c.name, c]));
  const known = new Set(schema.columns.map((c) => c.name));
  for (const col of schema.columns) {
    const s = by.get(col.name);
    if (!s) {
      if (col.required) out.push(anomaly('SCHEMA_MISSING_COLUMN', col.name, 'a required column', 'absent'));
      continue;
    }
    out.push(...columnAnomalies(col, s, opts.listLimit ?? 5));
  }
  for (const c of sketch.columns) {
    if (!known.has(c.name)) out.push(anomaly('SCHEMA_NEW_COLUMN', c.name, 'only the schema\'s columns', `a ${c.type} column with ${c.rows - c.missing} values`));
  }
  for (const [ref, code] of [[opts.previous, 'DRIFT'], [opts.training, 'SKEW']] as const) {
    if (!ref) continue;
    // Drift is only meaningful between columns of one type; a type change is already reported.
    const comparable: TableSketch = { rows: sketch.rows, columns: sketch.columns.filter((c) => known.has(c.name) && ref.columns.some((r) => r.name === c.name && r.type === c.type)) };
    for (const d of datasetDrift(ref, comparable, opts.drift).columns) {
      if (!d.drifted) continue;
      const test = d.pValue !== undefined;
      out.push(
        anomaly(
          code,
          d.column,
          test ? `${d.method} p-value above ${d.threshold}` : `${d.method} below ${d.threshold}`,
          test ? `p = ${d.pValue!.toPrecision(4)} (statistic ${d.statistic.toPrecision(4)})` : d.statistic.toPrecision(4),
          d,
        ),
      );
    }
  }
  return out;
}

function columnAnomalies(col: DataColumn, s: ColumnSketch, listLimit: number): Anomaly[] {
  const out: Anomaly[] = [];
  if (s.type !== col.type) {
    out.push(anomaly('TYPE_MISMATCH', col.name, `type ${col.type}`, `type ${s.type}`));
    return out;
  }
  if (s.invalid > 0) out.push(anomaly('TYPE_MISMATCH', col.name, `type ${col.type}`, `${s.invalid} value(s) that are not ${col.type}`));
  const rate = s.rows > 0 ? s.missing / s.rows : 0;
  if (s.missing > 0 && (!col.nullable || rate > col.maxMissingRate)) {
    out.push(anomaly('MISSING_RATE_HIGH', col.name, col.nullable ? `missing rate ≤ ${fmt(col.maxMissingRate)}` : 'no missing values', `${fmt(rate)} (${s.missing} of ${s.rows})`));
  }
  const n = s.numeric;
  if (n && n.count > 0) {
    const below = col.min !== undefined && n.min < col.min;
    const above = col.max !== undefined && n.max > col.max;
    if (below || above) {
      const outside = n.exact ? [...n.exact].filter(([v]) => (col.min !== undefined && v < col.min) || (col.max !== undefined && v > col.max)).reduce((a, [, c]) => a + c, 0) : undefined;
      const seen = [below ? `min ${fmt(n.min)}` : '', above ? `max ${fmt(n.max)}` : ''].filter(Boolean).join(', ');
      out.push(anomaly('OUT_OF_RANGE', col.name, `range [${fmt(col.min ?? -Infinity)}, ${fmt(col.max ?? Infinity)}]`, outside === undefined ? seen : `${seen} (${outside} value(s) outside)`));
    }
  }
  const c = s.categorical;
  if (c && col.categories) {
    const domain = new Set(col.categories);
    const unknown = c.categories().filter(([v]) => !domain.has(v));
    if (unknown.length > 0 || c.other > 0) {
      const listed = unknown.slice(0, listLimit).map(([v, k]) => `${JSON.stringify(v)} (${k})`);
      if (unknown.length > listLimit) listed.push(`${unknown.length - listLimit} more`);
      if (c.other > 0) listed.push(`${c.other} value(s) past the sketch's ${c.maxCategories} categories`);
      out.push(anomaly('UNKNOWN_CATEGORY', col.name, `domain of ${col.categories.length} categories`, listed.join(', ')));
    }
  }
  return out;
}

/** One soft anomaly of one record: the code and the column. */
export interface RecordAnomaly {
  code: AnomalyCode;
  column: string;
}

const NONE: readonly RecordAnomaly[] = Object.freeze([]);

/**
 * A per-record checker for serving, built once per schema: called on every prediction, it
 * allocates nothing for a clean record (it returns one shared empty array) and only the
 * anomalies otherwise. Codes: SCHEMA_MISSING_COLUMN (a required field absent), MISSING_VALUE,
 * TYPE_MISMATCH, OUT_OF_RANGE, UNKNOWN_CATEGORY, SCHEMA_NEW_COLUMN (a field the schema lacks).
 */
export function createRecordChecker(schema: DataSchema): (record: Readonly<Record<string, unknown>>) => readonly RecordAnomaly[] {
  const cols = schema.columns.map((c) => ({
    name: c.name,
    type: c.type,
    required: c.required,
    nullable: c.nullable,
    min: c.min ?? -Infinity,
    max: c.max ?? Infinity,
    domain: c.categories ? new Set(c.categories) : null,
  }));
  const names = new Set(cols.map((c) => c.name));
  const nCols = cols.length;
  // No closure per call (a `push` helper made one per record): anomalies are pushed inline.
  return (record) => {
    let out: RecordAnomaly[] | null = null;
    for (let i = 0; i < nCols; i++) {
      const c = cols[i]!;
      const v = record[c.name] as RawValue;
      let code: AnomalyCode | null = null;
      if (v === undefined) {
        if (c.required) code = 'SCHEMA_MISSING_COLUMN';
      } else if (isMissingValue(v)) {
        if (!c.nullable) code = 'MISSING_VALUE';
      } else if (c.type === 'categorical') {
        if (c.domain !== null && !c.domain.has(typeof v === 'string' ? v : String(v))) code = 'UNKNOWN_CATEGORY';
      } else {
        const x = c.type === 'numeric' ? parseNumberValue(v) : c.type === 'boolean' ? parseBooleanValue(v, true) : parseDateValue(v);
        if (x === undefined) code = 'TYPE_MISMATCH';
        else if (x < c.min || x > c.max) code = 'OUT_OF_RANGE';
      }
      if (code !== null) (out ??= []).push({ code, column: c.name });
    }
    for (const k in record) if (!names.has(k)) (out ??= []).push({ code: 'SCHEMA_NEW_COLUMN', column: k });
    return out ?? NONE;
  };
}
