/**
 * Form field descriptors derived from a node kind's zod params schema (through zod 4's JSON
 * Schema export), so the studio's parameter forms follow the schema: adding a param to a kind
 * adds its field. Framework-free: the canvas renders these.
 */
import { z } from 'zod';

interface FieldBase {
  name: string;
  label: string;
  description?: string;
  /** absent from the params: the kind's default (if any) applies */
  optional: boolean;
  default?: unknown;
  /** the kind's example value for this param (`NodeKind.example`), shown as a hint */
  example?: unknown;
}

export type FieldDescriptor =
  | (FieldBase & { type: 'number'; int: boolean; min?: number; max?: number; exclusiveMin?: number; exclusiveMax?: number })
  | (FieldBase & { type: 'enum'; options: string[] })
  | (FieldBase & { type: 'boolean' })
  /** `column`: the value is one column name of the upstream data */
  | (FieldBase & { type: 'string'; column: boolean; minLength?: number; maxLength?: number })
  /** a number or a string (e.g. an imputation fill value) */
  | (FieldBase & { type: 'numberOrString' })
  /** a list of column names of the upstream data */
  | (FieldBase & { type: 'columns'; minItems?: number; maxItems?: number })
  | (FieldBase & { type: 'stringList'; minItems?: number; maxItems?: number })
  | (FieldBase & { type: 'numberList'; int: boolean; min?: number; max?: number; minItems?: number; maxItems?: number })
  /** rows of scalar fields (e.g. the layers of an MLP); `itemDefault` is a new row */
  | (FieldBase & { type: 'objectList'; fields: FieldDescriptor[]; itemDefault: Record<string, unknown>; minItems?: number; maxItems?: number })
  /** anything else: edited as JSON text */
  | (FieldBase & { type: 'json' });

type Js = {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Js;
  properties?: Record<string, Js>;
  required?: string[];
};

/** `learningRate` → "Learning rate". */
export function humanize(name: string): string {
  const s = name.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const bound = (v: number | undefined) => (v === undefined || Math.abs(v) >= MAX_SAFE ? undefined : v);

function isScalarField(f: FieldDescriptor): boolean {
  return f.type === 'number' || f.type === 'enum' || f.type === 'boolean' || f.type === 'string' || f.type === 'numberOrString';
}

function describeField(name: string, js: Js, optional: boolean): FieldDescriptor {
  const base: FieldBase = {
    name,
    label: humanize(name),
    optional,
    ...(js.description ? { description: js.description } : {}),
    ...(js.default !== undefined ? { default: js.default } : {}),
  };
  const types = Array.isArray(js.type) ? js.type : js.type ? [js.type] : [];
  const lim = { ...(js.minItems !== undefined ? { minItems: js.minItems } : {}), ...(js.maxItems !== undefined ? { maxItems: js.maxItems } : {}) };
  if (Array.isArray(js.enum) && js.enum.every((v) => typeof v === 'string')) return { ...base, type: 'enum', options: js.enum as string[] };
  if (types.length === 2 && types.includes('number') && types.includes('string')) return { ...base, type: 'numberOrString' };
  if (types.length === 1) {
    const t = types[0];
    if (t === 'number' || t === 'integer') {
      return {
        ...base,
        type: 'number',
        int: t === 'integer',
        ...(bound(js.minimum) !== undefined ? { min: js.minimum } : {}),
        ...(bound(js.maximum) !== undefined ? { max: js.maximum } : {}),
        ...(js.exclusiveMinimum !== undefined ? { exclusiveMin: js.exclusiveMinimum } : {}),
        ...(js.exclusiveMaximum !== undefined ? { exclusiveMax: js.exclusiveMaximum } : {}),
      };
    }
    if (t === 'boolean') return { ...base, type: 'boolean' };
    if (t === 'string') {
      return {
        ...base,
        type: 'string',
        column: /^(target|column|by)$/i.test(name),
        ...(js.minLength !== undefined ? { minLength: js.minLength } : {}),
        ...(js.maxLength !== undefined ? { maxLength: js.maxLength } : {}),
      };
    }
    if (t === 'array' && js.items) {
      const it = js.items;
      if (it.type === 'string' && !it.enum) return /column/i.test(name) ? { ...base, type: 'columns', ...lim } : { ...base, type: 'stringList', ...lim };
      if (it.type === 'number' || it.type === 'integer') {
        return { ...base, type: 'numberList', int: it.type === 'integer', ...(bound(it.minimum) !== undefined ? { min: it.minimum } : {}), ...(bound(it.maximum) !== undefined ? { max: it.maximum } : {}), ...lim };
      }
      if (it.type === 'object' && it.properties) {
        const req = new Set(it.required ?? []);
        const fields = Object.entries(it.properties).map(([k, v]) => describeField(k, v, !req.has(k)));
        if (fields.every(isScalarField)) {
          const itemDefault: Record<string, unknown> = {};
          for (const f of fields) {
            if (f.default !== undefined) itemDefault[f.name] = f.default;
            else if (!f.optional) itemDefault[f.name] = f.type === 'number' ? Math.max(f.min ?? 1, Math.min(32, f.max ?? 32)) : f.type === 'enum' ? f.options[0] : f.type === 'boolean' ? false : '';
          }
          return { ...base, type: 'objectList', fields, itemDefault, ...lim };
        }
      }
    }
  }
  return { ...base, type: 'json' };
}

/**
 * One descriptor per top-level param of `schema` (an object schema), in declaration order. With
 * the kind's `example` params, each field also carries its example value.
 */
export function paramFields(schema: z.ZodType, example?: unknown): FieldDescriptor[] {
  let js: Js;
  try {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Js;
  } catch {
    return [];
  }
  if (!js.properties) return [];
  const req = new Set(js.required ?? []);
  const ex = example && typeof example === 'object' ? (example as Record<string, unknown>) : {};
  return Object.entries(js.properties).map(([k, v]) => {
    const f = describeField(k, v, !req.has(k));
    return ex[k] === undefined ? f : { ...f, example: ex[k] };
  });
}

/**
 * Params for a new node: the schema's parse of `{}` when that succeeds (every default filled in),
 * otherwise the defaults the fields declare.
 */
export function defaultParams(schema: z.ZodType): Record<string, unknown> {
  const p = schema.safeParse({});
  if (p.success && p.data && typeof p.data === 'object') return p.data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of paramFields(schema)) {
    if (f.default !== undefined) out[f.name] = f.default;
    else if (!f.optional && (f.type === 'columns' || f.type === 'stringList')) out[f.name] = [];
  }
  return out;
}

/**
 * The schema's complaints about `params`, keyed by field path (`epochs`, `layers.1.units`;
 * `''` for the params object itself). Several issues on one field are joined.
 */
export function paramIssues(schema: z.ZodType, params: unknown): Record<string, string> {
  const r = schema.safeParse(params);
  if (r.success) return {};
  const out: Record<string, string> = {};
  for (const i of r.error.issues) {
    const key = i.path.map(String).join('.');
    out[key] = out[key] ? `${out[key]}; ${i.message}` : i.message;
  }
  return out;
}

/** A param the user has not filled in. */
function isBlank(v: unknown): boolean {
  return v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * Whether a form shows the kind's example under a field holding `value`: only where it tells
 * something the form does not already show — a blank free-form field whose default (what the
 * control displays) is not the example itself. A select or a checkbox lists its choices anyway.
 */
export function showsExample(f: FieldDescriptor, value: unknown): boolean {
  if (f.example === undefined || f.type === 'enum' || f.type === 'boolean' || !isBlank(value)) return false;
  return JSON.stringify(f.example) !== JSON.stringify(f.default);
}
