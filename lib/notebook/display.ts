/**
 * Turns a cell's value into outputs, by type: tables for arrays of records, tensor summaries,
 * model summaries, charts and HTML from explicit markers, text for scalars, bounded JSON for the
 * rest. Text never becomes HTML: only a `kiln.html(...)` marker yields an `html` output, which
 * the UI shows in a sandboxed iframe.
 */
import type * as tfNs from '@tensorflow/tfjs';
import type { CellOutput } from './schema';

/** Rows a table output carries; `totalRows` keeps the full length. */
export const TABLE_ROW_LIMIT = 1000;
/** Characters of JSON or text an output carries before it is cut. */
export const TEXT_LIMIT = 100_000;
/** Values of a tensor read for the preview and the statistics. */
const TENSOR_READ_LIMIT = 1_000_000;

const MARK = '__kilnDisplay';

/** A value that displays as a Vega-Lite chart. */
export interface ChartMarker {
  readonly __kilnDisplay: 'chart';
  readonly spec: Record<string, unknown>;
}
/** A value that displays as HTML in a sandboxed iframe. */
export interface HtmlMarker {
  readonly __kilnDisplay: 'html';
  readonly html: string;
}

/** Marks a Vega-Lite spec (data inlined) to be shown as a chart. */
export function chartMarker(spec: Record<string, unknown>): ChartMarker {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new TypeError('kiln.chart(spec): spec must be a Vega-Lite object');
  return { [MARK]: 'chart', spec } as ChartMarker;
}

/** Marks a string of HTML to be shown in a sandboxed iframe (no scripts, no same-origin). */
export function htmlMarker(html: string): HtmlMarker {
  if (typeof html !== 'string') throw new TypeError('kiln.html(s): s must be a string');
  return { [MARK]: 'html', html } as HtmlMarker;
}

function marker(v: object): 'chart' | 'html' | undefined {
  const m = (v as Record<string, unknown>)[MARK];
  return m === 'chart' || m === 'html' ? m : undefined;
}

function cut(s: string, limit = TEXT_LIMIT): string {
  return s.length > limit ? `${s.slice(0, limit)}… (${s.length - limit} more characters)` : s;
}

/** Duck-typed: tfjs objects may come from another copy of the library (module vs builtin). */
export function isTensor(v: unknown): v is tfNs.Tensor {
  return !!v && typeof v === 'object' && typeof (v as tfNs.Tensor).dataId === 'object' && Array.isArray((v as tfNs.Tensor).shape) && typeof (v as tfNs.Tensor).dtype === 'string';
}

/** A tfjs layers model (Sequential or functional). */
export function isLayersModel(v: unknown): v is tfNs.LayersModel {
  return !!v && typeof v === 'object' && Array.isArray((v as tfNs.LayersModel).layers) && typeof (v as tfNs.LayersModel).countParams === 'function' && typeof (v as tfNs.LayersModel).dispose === 'function';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

type Cell = string | number | boolean | null;

function cellValue(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  try {
    return cut(JSON.stringify(v) ?? String(v), 500);
  } catch {
    return String(v);
  }
}

/** Columns in first-seen order over the rows shown. */
function tableOutput(rows: Record<string, unknown>[]): CellOutput {
  const shown = rows.slice(0, TABLE_ROW_LIMIT);
  const seen = new Set<string>();
  const columns: string[] = [];
  for (const r of shown) {
    for (const k of Object.keys(r)) {
      if (seen.has(k)) continue;
      seen.add(k);
      columns.push(k);
    }
  }
  return { type: 'table', columns, rows: shown.map((r) => columns.map((c) => cellValue(r[c]))), totalRows: rows.length };
}

function fmt(x: number, dtype: string): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (dtype === 'int32') return String(x);
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? x.toExponential(4) : String(Number(x.toPrecision(6)));
}

/**
 * A tfjs-`toString`-like nested preview that shows at most `edge` items at each end of every
 * axis, so a tensor of any size gives a short string.
 */
export function tensorPreview(values: ArrayLike<number> | string[], shape: number[], dtype: string, edge = 3): string {
  if (shape.length === 0) return typeof values[0] === 'string' ? JSON.stringify(values[0]) : fmt(Number(values[0]), dtype);
  const strides: number[] = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const item = (i: number) => (typeof values[i] === 'string' ? JSON.stringify(values[i]) : fmt(Number(values[i]), dtype));
  const rec = (axis: number, offset: number, indent: string): string => {
    const n = shape[axis]!;
    const idx = n > edge * 2 ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, k) => n - edge + k)] : [...Array(n).keys()];
    if (axis === shape.length - 1) return `[${idx.map((i) => (i < 0 ? '...' : item(offset + i))).join(', ')}]`;
    const inner = idx.map((i) => (i < 0 ? '...' : rec(axis + 1, offset + i * strides[axis]!, `${indent} `)));
    return `[${inner.join(`,\n${indent} `)}]`;
  };
  return rec(0, 0, '');
}

async function tensorOutput(t: tfNs.Tensor): Promise<CellOutput> {
  const shape = [...t.shape];
  if (t.isDisposed) return { type: 'text', text: `Tensor (disposed) shape [${shape.join(', ')}] ${t.dtype}` };
  if (t.size > TENSOR_READ_LIMIT || t.dtype === 'complex64') {
    return { type: 'tensor', shape, dtype: t.dtype, preview: `(${t.size} values; too large to preview)`, stats: null };
  }
  const data = (await t.data()) as ArrayLike<number> | string[];
  let stats: { min: number; max: number; mean: number } | null = null;
  if (t.dtype !== 'string' && data.length > 0) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < data.length; i++) {
      const x = Number(data[i]);
      if (Number.isNaN(x)) continue;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      n++;
    }
    if (n > 0) stats = { min, max, mean: sum / n };
  }
  return { type: 'tensor', shape, dtype: t.dtype, preview: tensorPreview(data, shape, t.dtype), stats };
}

function shapeText(s: unknown): string {
  if (Array.isArray(s) && s.length && Array.isArray(s[0])) return s.map(shapeText).join(', ');
  return Array.isArray(s) ? `[${s.map((d) => (d === null ? 'null' : String(d))).join(', ')}]` : String(s ?? '?');
}

function modelOutput(m: tfNs.LayersModel): CellOutput {
  const layers = m.layers.map((l) => {
    let outputShape = '?';
    try {
      outputShape = shapeText(l.outputShape);
    } catch {
      // a layer not yet built has no output shape
    }
    let params = 0;
    try {
      params = l.countParams();
    } catch {
      // not built
    }
    return { name: l.name, type: l.getClassName(), outputShape, params };
  });
  let totalParams = layers.reduce((s, l) => s + l.params, 0);
  try {
    totalParams = m.countParams();
  } catch {
    // keep the sum
  }
  return { type: 'model', name: m.name, layers, totalParams };
}

function jsonOutput(v: unknown): CellOutput {
  const seen = new WeakSet<object>();
  let s: string | undefined;
  try {
    s = JSON.stringify(
      v,
      (_k, x: unknown) => {
        if (typeof x === 'bigint') return x.toString();
        if (typeof x === 'function') return `[function ${(x as { name?: string }).name || 'anonymous'}]`;
        if (isTensor(x)) return `[Tensor ${x.dtype} ${shapeText(x.shape)}]`;
        if (x instanceof Map) return Object.fromEntries(x);
        if (x instanceof Set) return [...x];
        if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>).slice(0, 1000);
        if (x && typeof x === 'object') {
          if (seen.has(x)) return '[circular]';
          seen.add(x);
        }
        return x;
      },
      2,
    );
  } catch (e) {
    s = undefined;
    return { type: 'text', text: `${Object.prototype.toString.call(v)} (not displayable: ${e instanceof Error ? e.message : String(e)})` };
  }
  return { type: 'json', json: cut(s ?? String(v)) };
}

/** An error as one output; `line` is the cell line when known. */
export function errorOutput(e: unknown, line?: number): CellOutput {
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : cut(String(e), 2000);
  return { type: 'error', name, message: cut(message.split('\n')[0] ?? '', 2000), ...(line !== undefined ? { line } : {}) };
}

/**
 * The outputs that show `value`. Never throws: a value that cannot be shown becomes a text line
 * that says so. Async only because tensor values are read with `await data()` (WebGPU in Node
 * cannot read synchronously).
 */
export async function toOutputs(value: unknown): Promise<CellOutput[]> {
  try {
    if (value === undefined) return [];
    if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return [{ type: 'text', text: String(value) }];
    if (typeof value === 'string') return [{ type: 'text', text: cut(value) }];
    if (typeof value === 'symbol') return [{ type: 'text', text: value.toString() }];
    if (typeof value === 'function') return [{ type: 'text', text: `[function ${value.name || 'anonymous'}]` }];
    if (value instanceof Error) return [errorOutput(value)];
    const m = marker(value);
    if (m === 'chart') return [{ type: 'chart', spec: (value as ChartMarker).spec }];
    if (m === 'html') return [{ type: 'html', html: (value as HtmlMarker).html }];
    if (isTensor(value)) return [await tensorOutput(value)];
    if (isLayersModel(value)) return [modelOutput(value)];
    if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) return [tableOutput(value)];
    // kiln.data(...) results and similar: an object carrying `records` shows as its table
    if (isRecord(value) === false && typeof value === 'object' && Array.isArray((value as { records?: unknown }).records)) {
      const recs = (value as { records: unknown[] }).records;
      if (recs.every(isRecord)) return [tableOutput(recs as Record<string, unknown>[])];
    }
    if (value instanceof Date) return [{ type: 'text', text: value.toISOString() }];
    return [jsonOutput(value)];
  } catch (e) {
    return [{ type: 'text', text: `(value not displayable: ${e instanceof Error ? e.message : String(e)})` }];
  }
}

/** The numeric fields of a yielded progress object: one point of a `progress` output. */
export function progressPoint(v: unknown): Record<string, number> | null {
  if (!v || typeof v !== 'object') return null;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  return Object.keys(out).length ? out : null;
}

