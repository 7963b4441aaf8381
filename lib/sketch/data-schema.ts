/**
 * A dataset's inferred schema in TFDV's spirit (SchemaGen): per column its type, whether it must
 * be present, whether values may be missing and at what rate, the numeric range and the category
 * domain. Inferred from sketches, validated against sketches (ExampleValidator) or one record at
 * a time (serving), and exported to / read back from JSON Schema (draft 2020-12) so a person can
 * relax a range or add a category and keep the result as a versioned artifact.
 */
import { z } from 'zod';
import { columnSchemaSchema, columnTypeSchema, type ColumnType } from '../data/column-schema';
import { KilnError } from '../errors';
import type { TableSketch } from './table-sketch';

export const DATA_SCHEMA_VERSION = 1;

/**
 * The column schema (lib/data/column-schema: name, type, nullable, categories — here the allowed
 * domain, absent = any value) with what validation adds.
 */
export const dataColumnSchema = columnSchemaSchema.extend({
  /** the column must be present in the data (a record without the field is missing it) */
  required: z.boolean(),
  /** the largest share of missing values that is not an anomaly (0..1) */
  maxMissingRate: z.number().min(0).max(1),
  /** inclusive range of numeric, boolean and date (epoch ms) values */
  min: z.number().optional(),
  max: z.number().optional(),
});
export type DataColumn = z.infer<typeof dataColumnSchema>;

export const dataSchemaSchema = z.object({
  version: z.literal(DATA_SCHEMA_VERSION),
  columns: z.array(dataColumnSchema),
});
export type DataSchema = z.infer<typeof dataSchemaSchema>;

export interface InferSchemaOptions {
  /** largest category domain recorded; a column with more distinct values gets none (default 1,000) */
  maxDomain?: number;
  /** added to the observed missing rate of a nullable column (default 0.05) */
  missingRateSlack?: number;
}

/**
 * Infers a schema from sketches of a dataset: observed types, range [min, max], every category
 * while they are exactly known (at most `maxDomain`), nullable when a value was missing.
 */
export function inferDataSchema(sketch: TableSketch, opts: InferSchemaOptions = {}): DataSchema {
  const maxDomain = opts.maxDomain ?? 1000;
  const slack = opts.missingRateSlack ?? 0.05;
  return {
    version: DATA_SCHEMA_VERSION,
    columns: sketch.columns.map((c): DataColumn => {
      const rate = c.rows > 0 ? c.missing / c.rows : 0;
      const nullable = c.missing > 0;
      const col: DataColumn = {
        name: c.name,
        type: c.type,
        required: true,
        nullable,
        maxMissingRate: nullable ? Math.min(1, rate + slack) : 0,
      };
      if (c.numeric && c.numeric.count > 0) {
        col.min = c.numeric.min;
        col.max = c.numeric.max;
      }
      if (c.categorical && !c.categorical.overflowed && c.categorical.categories().length <= maxDomain) {
        col.categories = c.categorical.categories().map(([v]) => v).sort();
      }
      return col;
    }),
  };
}

/** Parses a schema. @throws KilnError `DATA_SCHEMA_INVALID` naming the JSON path. */
export function parseDataSchema(json: unknown): DataSchema {
  const r = dataSchemaSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.join('.');
    throw new KilnError('DATA_SCHEMA_INVALID', `schema at ${path || '(root)'}: ${issue.message}`, { path });
  }
  for (const [i, c] of r.data.columns.entries()) {
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      throw new KilnError('DATA_SCHEMA_INVALID', `schema at columns.${i}.min: ${c.min} is above max ${c.max} (column "${c.name}")`, { path: `columns.${i}.min`, column: c.name });
    }
  }
  return r.data;
}

// ── JSON Schema (draft 2020-12) ─────────────────────────────────────────────────────────────

const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Kiln's facts JSON Schema has no word for ride along as `x-kiln-*` annotations. */
interface JsonSchemaProperty {
  type: string | string[];
  minimum?: number;
  maximum?: number;
  enum?: (string | null)[];
  format?: string;
  'x-kiln-type': ColumnType;
  'x-kiln-max-missing-rate': number;
  'x-kiln-min'?: number;
  'x-kiln-max'?: number;
}

/**
 * The schema as a JSON Schema for one record. Numbers carry `minimum`/`maximum`, categories an
 * `enum`, nullable columns `"null"` among their types; dates are ISO strings (`format: date-time`)
 * whose range stays in `x-kiln-min`/`x-kiln-max` (epoch ms). Additional properties are allowed
 * (they are SCHEMA_NEW_COLUMN anomalies, not invalid records).
 */
export function toJsonSchema(schema: DataSchema, title = 'Kiln data schema'): Record<string, unknown> {
  const properties: Record<string, JsonSchemaProperty> = {};
  for (const c of schema.columns) {
    const base = c.type === 'numeric' ? 'number' : c.type === 'boolean' ? 'boolean' : 'string';
    const p: JsonSchemaProperty = {
      type: c.nullable ? [base, 'null'] : base,
      'x-kiln-type': c.type,
      'x-kiln-max-missing-rate': c.maxMissingRate,
    };
    if (c.type === 'numeric') {
      if (c.min !== undefined) p.minimum = c.min;
      if (c.max !== undefined) p.maximum = c.max;
    } else if (c.type === 'date') {
      p.format = 'date-time';
      if (c.min !== undefined) p['x-kiln-min'] = c.min;
      if (c.max !== undefined) p['x-kiln-max'] = c.max;
    }
    if (c.categories) p.enum = c.nullable ? [...c.categories, null] : [...c.categories];
    properties[c.name] = p;
  }
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title,
    'x-kiln-schema-version': DATA_SCHEMA_VERSION,
    type: 'object',
    properties,
    required: schema.columns.filter((c) => c.required).map((c) => c.name),
  };
}

/**
 * Reads a JSON Schema written by {@link toJsonSchema}, possibly edited (a relaxed range, an added
 * category, a column made optional). Without `x-kiln-type`, the type follows the JSON type.
 * @throws KilnError `DATA_SCHEMA_INVALID` naming the JSON path of the first problem.
 */
export function fromJsonSchema(json: unknown): DataSchema {
  const bad = (path: string, problem: string, column?: string): never => {
    throw new KilnError('DATA_SCHEMA_INVALID', `schema at ${path}: ${problem}`, { path, column });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('(root)', 'expected a JSON Schema object');
  const root = json as Record<string, unknown>;
  if (root.$schema !== undefined && root.$schema !== JSON_SCHEMA_DIALECT) bad('$schema', `expected ${JSON_SCHEMA_DIALECT}, got ${JSON.stringify(root.$schema)}`);
  const props = root.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return bad('properties', 'expected an object of column schemas');
  const required = root.required ?? [];
  if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) bad('required', 'expected an array of column names');
  const req = new Set(required as string[]);
  for (const r of req) if (!(r in props)) bad('required', `"${r}" is not among properties`);
  const columns = Object.entries(props as Record<string, unknown>).map(([name, raw]): DataColumn => {
    const at = `properties.${name}`;
    if (typeof raw !== 'object' || raw === null) return bad(at, 'expected an object', name);
    const p = raw as Record<string, unknown>;
    const types = Array.isArray(p.type) ? p.type : [p.type];
    const nullable = types.includes('null');
    const jsonType = types.filter((t) => t !== 'null');
    if (jsonType.length !== 1 || !['number', 'integer', 'boolean', 'string'].includes(jsonType[0] as string)) {
      bad(`${at}.type`, `expected one of number, integer, boolean, string (optionally with "null"), got ${JSON.stringify(p.type)}`, name);
    }
    const derived: ColumnType = jsonType[0] === 'boolean' ? 'boolean' : jsonType[0] === 'string' ? (p.format === 'date-time' || p.format === 'date' ? 'date' : 'categorical') : 'numeric';
    const kilnType = p['x-kiln-type'];
    if (kilnType !== undefined && !columnTypeSchema.safeParse(kilnType).success) bad(`${at}.x-kiln-type`, `unknown type ${JSON.stringify(kilnType)}`, name);
    const type = (kilnType as ColumnType | undefined) ?? derived;
    const num = (key: string): number | undefined => {
      const v = p[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad(`${at}.${key}`, `expected a number, got ${JSON.stringify(v)}`, name);
      return v;
    };
    const rate = num('x-kiln-max-missing-rate') ?? (nullable ? 1 : 0);
    if (rate < 0 || rate > 1) bad(`${at}.x-kiln-max-missing-rate`, `${rate} is not between 0 and 1`, name);
    const col: DataColumn = { name, type, required: req.has(name), nullable, maxMissingRate: nullable ? rate : 0 };
    const min = type === 'date' ? num('x-kiln-min') : num('minimum');
    const max = type === 'date' ? num('x-kiln-max') : num('maximum');
    if (min !== undefined) col.min = min;
    if (max !== undefined) col.max = max;
    if (min !== undefined && max !== undefined && min > max) bad(`${at}.minimum`, `${min} is above maximum ${max}`, name);
    if (p.enum !== undefined) {
      if (!Array.isArray(p.enum) || p.enum.some((v) => v !== null && typeof v !== 'string')) bad(`${at}.enum`, 'expected an array of strings', name);
      if (type !== 'categorical') bad(`${at}.enum`, `a category domain needs a categorical column, "${name}" is ${type}`, name);
      col.categories = (p.enum as (string | null)[]).filter((v): v is string => v !== null);
    }
    return col;
  });
  return { version: DATA_SCHEMA_VERSION, columns };
}
