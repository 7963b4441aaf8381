/**
 * Sketches of every column of a table or of a stream of records (serving), mergeable and
 * serialisable: the statistics a dataset version, a training run and a window of predictions
 * carry, computed by the same code in the browser, the runner and serving.
 */
import { z } from 'zod';
import { columnTypeSchema, type ColumnSchema, type ColumnType } from '../data/column-schema';
import { isMissingValue, parseBooleanValue, parseDateValue, parseNumberValue } from '../data/infer';
import type { RawValue } from '../data/raw';
import type { Column, Table } from '../data/table';
import { KilnError } from '../errors';
import { CategoricalSketch, categoricalSketchJsonSchema } from './categorical-sketch';
import { NumericSketch, numericSketchJsonSchema, type NumericSketchOptions } from './numeric-sketch';

export const TABLE_SKETCH_VERSION = 1;

/** What a raw, non-missing cell looks like, whatever its column's type. */
export type RawKind = 'number' | 'boolean' | 'date' | 'string';

export interface SketchOptions extends NumericSketchOptions {
  /** distinct categories counted exactly (default 1,000) */
  maxCategories?: number;
}

export interface ColumnSketch {
  name: string;
  type: ColumnType;
  /** rows seen, missing included */
  rows: number;
  /** missing cells (null, NaN, empty or NA-like text) */
  missing: number;
  /** non-missing cells that did not parse as `type` (not in the value sketch) */
  invalid: number;
  /** what the non-missing raw cells looked like (records only; a typed table fills its type's kind) */
  kinds: Record<RawKind, number>;
  /** numeric, boolean (0/1) and date (epoch ms) columns */
  numeric?: NumericSketch;
  categorical?: CategoricalSketch;
}

export interface TableSketch {
  rows: number;
  columns: ColumnSketch[];
}

const kindsSchema = z.object({
  number: z.number().int().nonnegative(),
  boolean: z.number().int().nonnegative(),
  date: z.number().int().nonnegative(),
  string: z.number().int().nonnegative(),
});

const columnSketchJsonSchema = z.object({
  name: z.string().min(1),
  type: columnTypeSchema,
  rows: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  invalid: z.number().int().nonnegative(),
  kinds: kindsSchema,
  values: z.union([numericSketchJsonSchema, categoricalSketchJsonSchema]),
});

/** The persisted form: versioned, so an older sketch can be migrated rather than misread. */
export const tableSketchJsonSchema = z.object({
  version: z.literal(TABLE_SKETCH_VERSION),
  rows: z.number().int().nonnegative(),
  columns: z.array(columnSketchJsonSchema),
});
export type TableSketchJson = z.infer<typeof tableSketchJsonSchema>;

const KIND_OF_TYPE: Record<ColumnType, RawKind> = {
  numeric: 'number',
  boolean: 'boolean',
  date: 'date',
  categorical: 'string',
};

const noKinds = (): Record<RawKind, number> => ({ number: 0, boolean: 0, date: 0, string: 0 });

/** An empty sketch of one column of the given type. */
export function emptyColumnSketch(name: string, type: ColumnType, opts: SketchOptions = {}): ColumnSketch {
  const base = { name, type, rows: 0, missing: 0, invalid: 0, kinds: noKinds() };
  return type === 'categorical'
    ? { ...base, categorical: new CategoricalSketch({ maxCategories: opts.maxCategories }) }
    : { ...base, numeric: new NumericSketch(opts) };
}

/** Sketch of one typed column. */
export function sketchColumn(col: Column, opts: SketchOptions = {}): ColumnSketch {
  const s = emptyColumnSketch(col.name, col.type, opts);
  s.rows = col.values.length;
  s.missing = col.type === 'categorical' ? s.categorical!.addAll(col.values) : s.numeric!.addAll(col.values);
  s.kinds[KIND_OF_TYPE[col.type]] = s.rows - s.missing;
  return s;
}

/** Sketch of every column of a typed table (e.g. a dataset version when it is stored). */
export function sketchTable(table: Table, opts: SketchOptions = {}): TableSketch {
  return { rows: table.nRows, columns: table.columns.map((c) => sketchColumn(c, opts)) };
}

/** The kind of a raw non-missing cell, by the inference rules of lib/data/infer. */
export function rawKind(v: RawValue): RawKind {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (parseNumberValue(v) !== undefined) return 'number';
  if (parseBooleanValue(v) !== undefined) return 'boolean';
  if (parseDateValue(v) !== undefined) return 'date';
  return 'string';
}

/**
 * Streams raw records (serving's instances, a JSON file) into sketches of the schema's columns.
 * Cells are read with the schema's types as `tableFromRecords` reads them; a cell that does not
 * parse counts as `invalid` instead of failing the batch, since serving reports it as an anomaly.
 * Fields the schema does not name are counted per name in `extraFields`.
 */
export class RecordSketcher {
  readonly columns: ColumnSketch[];
  readonly extraFields = new Map<string, number>();
  rows = 0;
  private readonly byName: Map<string, ColumnSketch>;

  constructor(schema: readonly ColumnSchema[], opts: SketchOptions = {}) {
    this.columns = schema.map((c) => emptyColumnSketch(c.name, c.type, opts));
    this.byName = new Map(this.columns.map((c) => [c.name, c]));
  }

  add(record: Readonly<Record<string, unknown>>): void {
    this.rows++;
    for (const c of this.columns) {
      c.rows++;
      const v = record[c.name] as RawValue;
      if (isMissingValue(v)) {
        c.missing++;
        continue;
      }
      c.kinds[rawKind(v)]++;
      if (c.categorical) {
        c.categorical.add(typeof v === 'string' ? v : String(v));
        continue;
      }
      const x = c.type === 'numeric' ? parseNumberValue(v) : c.type === 'boolean' ? parseBooleanValue(v, true) : parseDateValue(v);
      if (x === undefined) c.invalid++;
      else c.numeric!.add(x);
    }
    for (const k in record) if (!this.byName.has(k)) this.extraFields.set(k, (this.extraFields.get(k) ?? 0) + 1);
  }

  sketch(): TableSketch {
    return { rows: this.rows, columns: this.columns };
  }
}

/**
 * Merges two table sketches into a new one (neither input changes). A column present in only one
 * side is missing in every row of the other, so the merge of parts still equals the whole.
 * @throws KilnError `SKETCH_MISMATCH` when a column's type or sketch options differ.
 */
export function mergeTableSketches(a: TableSketch, b: TableSketch): TableSketch {
  const out = new Map<string, ColumnSketch>();
  for (const c of a.columns) out.set(c.name, cloneColumn(c));
  for (const c of b.columns) {
    const mine = out.get(c.name);
    if (!mine) {
      const copy = cloneColumn(c);
      copy.rows += a.rows;
      copy.missing += a.rows;
      out.set(c.name, copy);
      continue;
    }
    if (mine.type !== c.type) {
      throw new KilnError('SKETCH_MISMATCH', `table sketch merge: column "${c.name}" is ${mine.type} on one side and ${c.type} on the other`, { column: c.name });
    }
    mine.rows += c.rows;
    mine.missing += c.missing;
    mine.invalid += c.invalid;
    for (const k of Object.keys(mine.kinds) as RawKind[]) mine.kinds[k] += c.kinds[k];
    if (mine.numeric) mine.numeric.merge(c.numeric!);
    else mine.categorical!.merge(c.categorical!);
  }
  const names = new Set(b.columns.map((c) => c.name));
  for (const c of a.columns) {
    if (!names.has(c.name)) {
      const mine = out.get(c.name)!;
      mine.rows += b.rows;
      mine.missing += b.rows;
    }
  }
  return { rows: a.rows + b.rows, columns: [...out.values()] };
}

function cloneColumn(c: ColumnSketch): ColumnSketch {
  return {
    ...c,
    kinds: { ...c.kinds },
    numeric: c.numeric?.clone(),
    categorical: c.categorical?.clone(),
  };
}

export function tableSketchToJson(t: TableSketch): TableSketchJson {
  return {
    version: TABLE_SKETCH_VERSION,
    rows: t.rows,
    columns: t.columns.map((c) => ({
      name: c.name,
      type: c.type,
      rows: c.rows,
      missing: c.missing,
      invalid: c.invalid,
      kinds: { ...c.kinds },
      values: c.numeric ? c.numeric.toJSON() : c.categorical!.toJSON(),
    })),
  };
}

/**
 * Reads a persisted table sketch. `trusted`: JSON this code wrote itself and stored (the server's
 * prediction rollup, read for every hour of a report), so the schema check is skipped; the
 * sketches' count checks still run.
 * @throws KilnError `SKETCH_INVALID` naming the JSON path of the first problem.
 */
export function tableSketchFromJson(json: unknown, where = 'table sketch', trusted = false): TableSketch {
  let data: TableSketchJson;
  if (trusted) {
    data = json as TableSketchJson;
    if (data?.version !== TABLE_SKETCH_VERSION || !Array.isArray(data.columns)) throw new KilnError('SKETCH_INVALID', `${where} at version: expected a version ${TABLE_SKETCH_VERSION} table sketch`, { path: 'version' });
  } else {
    const parsed = tableSketchJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.join('.');
      throw new KilnError('SKETCH_INVALID', `${where} at ${path || '(root)'}: ${issue.message}`, { path });
    }
    data = parsed.data;
  }
  return {
    rows: data.rows,
    columns: data.columns.map((c, i): ColumnSketch => {
      const at = `${where} columns.${i} ("${c.name}")`;
      const numericType = c.type !== 'categorical';
      if (numericType !== (c.values.kind === 'numeric')) {
        throw new KilnError('SKETCH_INVALID', `${at} at values.kind: a ${c.type} column needs a ${numericType ? 'numeric' : 'categorical'} sketch`, { path: `columns.${i}.values.kind`, column: c.name });
      }
      const base = { name: c.name, type: c.type, rows: c.rows, missing: c.missing, invalid: c.invalid, kinds: { ...c.kinds } };
      return c.values.kind === 'numeric'
        ? { ...base, numeric: NumericSketch.fromJSON(c.values, at, trusted) }
        : { ...base, categorical: CategoricalSketch.fromJSON(c.values, at, trusted) };
    }),
  };
}
