/**
 * Request and response shapes of the two serving APIs, turned into raw records (what the
 * package's preprocessing takes) and back:
 * - TensorFlow Serving REST: `{"instances": [...]}` (row format: records, or arrays in input
 *   schema order) or `{"inputs": ...}` (columnar `{field: [values]}`, or a row list), answered
 *   `{"predictions": [...]}`.
 * - KServe Open Inference Protocol V2: `{"inputs": [{"name", "datatype", "shape", "data"}]}`,
 *   one tensor per input field, answered with named output tensors.
 * Every error is a 4xx naming the field.
 */
import type { ColumnSchema } from '../../lib/data/table';
import { describeValue } from '../../lib/package/records';
import type { Manifest } from '../../lib/package/manifest';
import type { PredictionResult } from '../../lib/package/package-predictor';
import { KilnError } from '../../lib/errors';

function bad(message: string): KilnError {
  return new KilnError('INVALID_REQUEST', message);
}

function tooMany(what: string, n: number, max: number): KilnError {
  return new KilnError('TOO_MANY_INSTANCES', `${what}: ${n} instances is more than the ${max} allowed per request; send them in batches`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One row given as an array, in input-schema order, as a record. */
function rowToRecord(row: unknown[], schema: readonly ColumnSchema[], where: string): Record<string, unknown> {
  if (row.length !== schema.length) {
    throw bad(`${where}: has ${row.length} values; expected ${schema.length} in input schema order (${schema.map((c) => c.name).join(', ')})`);
  }
  // Records are keyed by input names, which are data: no prototype, so `__proto__` is a field.
  const rec = Object.create(null) as Record<string, unknown>;
  for (let j = 0; j < schema.length; j++) rec[schema[j]!.name] = row[j];
  return rec;
}

function rowsToRecords(rows: unknown[], schema: readonly ColumnSchema[], what: string): unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (Array.isArray(r)) {
      out ??= rows.slice(0, i);
      out.push(rowToRecord(r, schema, `${what}[${i}]`));
    } else if (isObject(r)) out?.push(r);
    else throw bad(`${what}[${i}]: expected an object of input fields or an array of ${schema.length} values, got ${describeValue(r)}`);
  }
  // Records pass through as they are: no copy on the common path.
  return out ?? rows;
}

/** Columnar `{field: [values]}` (all the same length) or `{field: value}` (one instance) → records. */
function columnsToRecords(cols: Record<string, unknown>, schema: readonly ColumnSchema[], maxInstances: number): unknown[] {
  let n = -1;
  let lengthFrom = '';
  for (const c of schema) {
    if (!Object.prototype.hasOwnProperty.call(cols, c.name)) throw bad(`inputs.${c.name}: missing field`);
    const v = cols[c.name];
    const len = Array.isArray(v) ? v.length : -2;
    if (n === -1) {
      n = len;
      lengthFrom = c.name;
    } else if ((len === -2) !== (n === -2) || len !== n) {
      throw bad(`inputs.${c.name}: ${len === -2 ? 'a single value' : `${len} values`}, but inputs.${lengthFrom} has ${n === -2 ? 'a single value' : `${n} values`} (ragged columns)`);
    }
  }
  if (n === -2) return [cols];
  if (n > maxInstances) throw tooMany('inputs', n, maxInstances);
  const records: Record<string, unknown>[] = new Array(Math.max(0, n));
  for (let i = 0; i < n; i++) {
    const rec = Object.create(null) as Record<string, unknown>;
    for (const c of schema) rec[c.name] = (cols[c.name] as unknown[])[i];
    records[i] = rec;
  }
  return records;
}

/**
 * A TF Serving `:predict` body → raw records.
 * @throws KilnError 400 (shape, naming the field), 413 (more than `maxInstances`)
 */
export function tfRequestRecords(body: unknown, schema: readonly ColumnSchema[], maxInstances: number): unknown[] {
  if (!isObject(body)) throw bad(`body: expected a JSON object with "instances" or "inputs", got ${describeValue(body)}`);
  const hasInstances = Object.prototype.hasOwnProperty.call(body, 'instances');
  const hasInputs = Object.prototype.hasOwnProperty.call(body, 'inputs');
  if (hasInstances && hasInputs) throw bad('body: send "instances" or "inputs", not both');
  if (hasInstances) {
    const inst = body.instances;
    if (!Array.isArray(inst)) throw bad(`instances: expected an array, got ${describeValue(inst)}`);
    if (inst.length > maxInstances) throw tooMany('instances', inst.length, maxInstances);
    return rowsToRecords(inst, schema, 'instances');
  }
  if (hasInputs) {
    const inp = body.inputs;
    if (Array.isArray(inp)) {
      if (inp.length > maxInstances) throw tooMany('inputs', inp.length, maxInstances);
      return rowsToRecords(inp, schema, 'inputs');
    }
    if (isObject(inp)) return columnsToRecords(inp, schema, maxInstances);
    throw bad(`inputs: expected an object of columns or an array of instances, got ${describeValue(inp)}`);
  }
  throw bad('body: expected "instances" (a list of records) or "inputs" (columns)');
}

/** TF Serving's answer: numbers for regression, `{label, probabilities}` for classification. */
export function tfResponse(manifest: Manifest, preds: PredictionResult[]): string {
  if (manifest.task === 'regression') {
    let s = '{"predictions":[';
    for (let i = 0; i < preds.length; i++) {
      const v = (preds[i] as { prediction: number }).prediction;
      s += (i ? ',' : '') + (Number.isFinite(v) ? String(v) : 'null');
    }
    return `${s}]}`;
  }
  return JSON.stringify({ predictions: preds });
}

/** KServe V2 datatypes each input field type takes. */
const V2_TYPES: Record<ColumnSchema['type'], readonly string[]> = {
  numeric: ['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'],
  categorical: ['BYTES'],
  boolean: ['BOOL'],
  date: ['BYTES', 'INT64'],
};

/**
 * What each KServe V2 datatype holds: a JSON value outside it (300 as INT8, -1 as UINT8, 1.5 as
 * INT32, "x" as FP32, 1 as BOOL) is a 400 naming the input and the index, never a silent
 * coercion. `null` is a missing value in every type (the package's imputation handles it, as on
 * TF Serving's path). INT64/UINT64 take integers JSON can carry exactly (|x| ≤ 2^53 − 1).
 */
interface V2Kind {
  kind: 'int' | 'float' | 'bool' | 'bytes';
  min: number;
  max: number;
}
const int = (min: number, max: number): V2Kind => ({ kind: 'int', min, max });
const float = (max: number): V2Kind => ({ kind: 'float', min: -max, max });
const V2_RANGES: Record<string, V2Kind> = {
  INT8: int(-128, 127),
  INT16: int(-32768, 32767),
  INT32: int(-2147483648, 2147483647),
  INT64: int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  UINT8: int(0, 255),
  UINT16: int(0, 65535),
  UINT32: int(0, 4294967295),
  UINT64: int(0, Number.MAX_SAFE_INTEGER),
  FP16: float(65504),
  FP32: float(3.4028234663852886e38),
  FP64: float(Number.MAX_VALUE),
  BOOL: { kind: 'bool', min: 0, max: 0 },
  BYTES: { kind: 'bytes', min: 0, max: 0 },
};

/** Why `v` does not fit `datatype`, or null when it does. */
function v2Mismatch(v: unknown, datatype: string, t: V2Kind): string | null {
  if (v === null) return null;
  switch (t.kind) {
    case 'bytes':
      return typeof v === 'string' ? null : `expected a string for ${datatype}, got ${describeValue(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? null : `expected true or false for ${datatype}, got ${describeValue(v)}`;
    case 'int':
      if (typeof v !== 'number') return `expected an integer for ${datatype}, got ${describeValue(v)}`;
      if (!Number.isInteger(v)) return `${v} is not an integer (${datatype})`;
      return v < t.min || v > t.max ? `${v} is out of range for ${datatype} (${t.min} to ${t.max})` : null;
    case 'float':
      if (typeof v !== 'number') return `expected a number for ${datatype}, got ${describeValue(v)}`;
      return v < t.min || v > t.max ? `${v} is out of range for ${datatype} (±${t.max})` : null;
  }
}

/** The first value of `data` that does not fit `datatype`, as a 400 naming the input and the index. */
function checkV2Data(data: unknown[], datatype: string, where: string): void {
  const t = V2_RANGES[datatype]!;
  for (let j = 0; j < data.length; j++) {
    const why = v2Mismatch(data[j], datatype, t);
    if (why !== null) throw bad(`${where}.data[${j}]: ${why}`);
  }
}

/** The V2 datatype advertised for a field. */
export function v2Datatype(type: ColumnSchema['type']): string {
  return type === 'numeric' ? 'FP32' : type === 'boolean' ? 'BOOL' : 'BYTES';
}

function flatten(data: unknown[], where: string, depth = 0): unknown[] {
  if (!data.some(Array.isArray)) return data;
  if (depth > 4) throw bad(`${where}: nested too deeply`);
  const out: unknown[] = [];
  for (const d of data) {
    if (Array.isArray(d)) for (const x of flatten(d, where, depth + 1)) out.push(x);
    else out.push(d);
  }
  return out;
}

/**
 * A KServe V2 infer body → raw records (one tensor per input field, shape `[n]` or `[n, 1]`).
 * @throws KilnError 400 naming the input, 413 over `maxInstances`
 */
export function v2RequestRecords(body: unknown, schema: readonly ColumnSchema[], maxInstances: number): { records: unknown[]; id?: string } {
  if (!isObject(body)) throw bad(`body: expected a JSON object with "inputs", got ${describeValue(body)}`);
  const inputs = body.inputs;
  if (!Array.isArray(inputs)) throw bad(`inputs: expected an array of tensors ({"name", "shape", "datatype", "data"}), got ${describeValue(inputs)}`);
  const byName = new Map<string, { data: unknown[]; i: number }>();
  let n = -1;
  let lengthFrom = '';
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (!isObject(t) || typeof t.name !== 'string') throw bad(`inputs[${i}]: expected a tensor object with a "name"`);
    const field = schema.find((c) => c.name === t.name);
    if (!field) throw bad(`inputs[${i}].name: "${t.name}" is not an input of this model (inputs: ${schema.map((c) => c.name).join(', ')})`);
    if (typeof t.datatype !== 'string' || !V2_TYPES[field.type].includes(t.datatype)) {
      throw bad(`inputs[${i}] "${t.name}": datatype ${JSON.stringify(t.datatype)} does not fit a ${field.type} field (use ${V2_TYPES[field.type].join(' or ')})`);
    }
    if (!Array.isArray(t.shape) || t.shape.length < 1 || t.shape.length > 2 || !t.shape.every((d) => Number.isInteger(d) && d >= 0) || (t.shape.length === 2 && t.shape[1] !== 1)) {
      throw bad(`inputs[${i}] "${t.name}": shape must be [n] or [n, 1], got ${JSON.stringify(t.shape)}`);
    }
    if (!Array.isArray(t.data)) throw bad(`inputs[${i}] "${t.name}": data must be an array, got ${describeValue(t.data)}`);
    const data = flatten(t.data, `inputs[${i}] "${t.name}".data`);
    checkV2Data(data, t.datatype, `inputs[${i}] "${t.name}"`);
    const rows = t.shape[0] as number;
    if (data.length !== rows) throw bad(`inputs[${i}] "${t.name}": data has ${data.length} values but shape ${JSON.stringify(t.shape)} needs ${rows}`);
    if (n === -1) {
      n = rows;
      lengthFrom = t.name;
    } else if (rows !== n) throw bad(`inputs[${i}] "${t.name}": ${rows} rows, but "${lengthFrom}" has ${n} (ragged inputs)`);
    if (byName.has(t.name)) throw bad(`inputs[${i}]: "${t.name}" is given twice`);
    byName.set(t.name, { data, i });
  }
  for (const c of schema) if (!byName.has(c.name)) throw bad(`inputs: missing tensor "${c.name}"`);
  if (n > maxInstances) throw tooMany('inputs', n, maxInstances);
  const records: Record<string, unknown>[] = new Array(Math.max(0, n));
  for (let r = 0; r < n; r++) {
    const rec = Object.create(null) as Record<string, unknown>;
    for (const c of schema) rec[c.name] = byName.get(c.name)!.data[r];
    records[r] = rec;
  }
  return typeof body.id === 'string' ? { records, id: body.id } : { records };
}

/** A V2 infer answer: regression → one FP32 tensor named after the target; classification → `label` (BYTES) and `probabilities` (FP32 [n, K]). */
export function v2Response(manifest: Manifest, name: string, version: number, preds: PredictionResult[], id?: string): string {
  const n = preds.length;
  let outputs: unknown[];
  if (manifest.task === 'regression') {
    outputs = [{ name: manifest.target, datatype: 'FP32', shape: [n], data: preds.map((p) => (p as { prediction: number }).prediction) }];
  } else {
    const labels = manifest.labels!;
    const probs: number[] = [];
    for (const p of preds) {
      const pr = (p as { probabilities: Record<string, number> }).probabilities;
      for (const l of labels) probs.push(pr[l]!);
    }
    outputs = [
      { name: 'label', datatype: 'BYTES', shape: [n], data: preds.map((p) => (p as { label: string }).label) },
      { name: 'probabilities', datatype: 'FP32', shape: [n, labels.length], data: probs },
    ];
  }
  return JSON.stringify({ model_name: name, model_version: String(version), ...(id !== undefined ? { id } : {}), outputs });
}
