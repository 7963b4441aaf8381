/**
 * `.ipynb` (nbformat 4.5) import and export. Each output is written in the MIME types Jupyter
 * tooling renders (text/plain, application/json, Vega-Lite, text/html, error), and the cell's
 * `metadata.kiln = { id, manual, outputs }` keeps Kiln's own outputs so a round trip is exact.
 *
 * Import from Jupyter: code cells keep their source; markdown cells become comment-only cells
 * (every line prefixed with `// `) so the prose stays in place without running; raw cells are
 * skipped. Outputs without Kiln metadata are mapped back by MIME type where possible.
 */
import { KilnError } from '../errors';
import {
  cellIdSchema, cellOutputSchema, newCellId, NOTEBOOK_VERSION,
  type CellOutput, type NotebookCell, type NotebookDoc,
} from './schema';

type Json = Record<string, unknown>;

const KERNELSPEC = { name: 'kiln-ts', display_name: 'TypeScript (Kiln)', language: 'typescript' };
const LANGUAGE_INFO = { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' };
const VEGA_LITE = 'application/vnd.vegalite.v5+json';

/** Jupyter's multiline string: a list of lines, each but the last ending in '\n'. */
function toLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

function textOf(o: CellOutput): string {
  switch (o.type) {
    case 'text': return o.text;
    case 'table': {
      const head = o.columns.join('\t');
      const rows = o.rows.slice(0, 20).map((r) => r.map((v) => (v === null ? '' : String(v))).join('\t'));
      const more = o.totalRows > rows.length ? [`… ${o.totalRows} rows in all`] : [];
      return [head, ...rows, ...more].join('\n');
    }
    case 'tensor': return `Tensor ${o.dtype} [${o.shape.join(', ')}]\n${o.preview}`;
    case 'model': return [`Model ${o.name}`, ...o.layers.map((l) => `${l.name} (${l.type}) ${l.outputShape} ${l.params}`), `Total params: ${o.totalParams}`].join('\n');
    case 'progress': return `${o.points.length} epoch${o.points.length === 1 ? '' : 's'}${o.done ? '' : ' (running)'}: ${JSON.stringify(o.points.at(-1) ?? {})}`;
    case 'chart': return 'Vega-Lite chart';
    case 'html': return '[HTML output]';
    case 'json': return o.json;
    case 'error': return `${o.name}: ${o.message}`;
  }
}

function toJupyterOutput(o: CellOutput, count: number): Json {
  if (o.type === 'error') {
    return { output_type: 'error', ename: o.name, evalue: o.message, traceback: [`${o.name}: ${o.message}${o.line ? ` (line ${o.line})` : ''}`] };
  }
  const data: Json = { 'text/plain': toLines(textOf(o)) };
  if (o.type === 'table') data['application/json'] = { columns: o.columns, rows: o.rows, totalRows: o.totalRows };
  if (o.type === 'tensor' || o.type === 'model' || o.type === 'progress') data['application/json'] = { ...o };
  if (o.type === 'json') { try { data['application/json'] = JSON.parse(o.json) as unknown; } catch { /* text only */ } }
  if (o.type === 'chart') data[VEGA_LITE] = o.spec;
  if (o.type === 'html') data['text/html'] = toLines(o.html);
  return { output_type: 'execute_result', execution_count: count, data, metadata: {} };
}

/** The notebook as an nbformat 4.5 JSON object (stringify it to write the file). */
export function toIpynb(doc: NotebookDoc, meta: { name?: string } = {}): Json {
  let count = 0;
  const cells = doc.cells.map((c) => {
    const executed = c.outputs.length > 0 ? ++count : null;
    return {
      cell_type: 'code',
      id: c.id,
      metadata: { kiln: { id: c.id, manual: c.manual, outputs: c.outputs } },
      execution_count: executed,
      source: toLines(c.source),
      outputs: c.outputs.map((o) => toJupyterOutput(o, executed ?? 0)),
    };
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNELSPEC, language_info: LANGUAGE_INFO, ...(meta.name ? { kiln: { name: meta.name } } : {}) },
    cells,
  };
}

function fail(path: string, message: string): never {
  throw new KilnError('NOTEBOOK_FORMAT', `${path}: ${message}`, { path });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A multiline string field: a string or a list of strings. */
function readText(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  return fail(path, 'expected a string or list of strings');
}

/** Best effort mapping of a Jupyter output (from another kernel) to a Kiln output. */
function fromJupyterOutput(o: unknown, path: string): CellOutput | null {
  if (!isObject(o)) return fail(path, 'expected an object');
  switch (o.output_type) {
    case 'stream': return { type: 'text', text: readText(o.text ?? '', `${path}.text`) };
    case 'error': return { type: 'error', name: String(o.ename ?? 'Error'), message: String(o.evalue ?? '') };
    case 'execute_result': case 'display_data': {
      const data = o.data;
      if (!isObject(data)) return fail(`${path}.data`, 'expected an object of MIME types');
      if (isObject(data[VEGA_LITE])) return { type: 'chart', spec: data[VEGA_LITE] };
      if (data['text/html'] !== undefined) return { type: 'html', html: readText(data['text/html'], `${path}.data.text/html`) };
      if (data['text/plain'] !== undefined) return { type: 'text', text: readText(data['text/plain'], `${path}.data.text/plain`) };
      if (data['application/json'] !== undefined) return { type: 'json', json: JSON.stringify(data['application/json']) };
      return null; // images and other types Kiln cannot show
    }
    default: return fail(`${path}.output_type`, `unknown output type ${JSON.stringify(o.output_type)}`);
  }
}

/** Kiln's own outputs from `metadata.kiln.outputs`, when present and valid. */
function kilnOutputs(v: unknown): CellOutput[] | null {
  if (!Array.isArray(v)) return null;
  const out: CellOutput[] = [];
  for (const o of v) {
    const parsed = cellOutputSchema.safeParse(o);
    if (!parsed.success) return null;
    out.push(parsed.data);
  }
  return out;
}

/** Reads an nbformat 4 notebook. Throws a KilnError naming the first problem ("cells[3].source: …"). */
export function fromIpynb(json: unknown): NotebookDoc {
  if (!isObject(json)) fail('notebook', 'expected a JSON object');
  if (json.nbformat !== 4) fail('nbformat', `expected 4, got ${JSON.stringify(json.nbformat ?? null)}`);
  if (!Array.isArray(json.cells)) fail('cells', 'expected a list of cells');
  const used = new Set<string>();
  const uniqueId = (want: unknown): string => {
    let id = typeof want === 'string' && cellIdSchema.safeParse(want).success && !used.has(want) ? want : newCellId();
    while (used.has(id)) id = newCellId();
    used.add(id);
    return id;
  };
  const cells: NotebookCell[] = [];
  json.cells.forEach((cell: unknown, i: number) => {
    const path = `cells[${i}]`;
    if (!isObject(cell)) fail(path, 'expected an object');
    const source = readText(cell.source, `${path}.source`);
    if (source.length > 200_000) fail(`${path}.source`, `${source.length} characters is over the 200000 limit`);
    const metadata = isObject(cell.metadata) ? cell.metadata : {};
    const kiln = isObject(metadata.kiln) ? metadata.kiln : {};
    if (cell.cell_type === 'raw') return;
    if (cell.cell_type === 'markdown') {
      const text = source.replace(/\n$/, '');
      cells.push({ id: uniqueId(cell.id), source: text.split('\n').map((l) => (l ? `// ${l}` : '//')).join('\n'), manual: false, outputs: [] });
      return;
    }
    if (cell.cell_type !== 'code') fail(`${path}.cell_type`, `expected "code", "markdown" or "raw", got ${JSON.stringify(cell.cell_type ?? null)}`);
    let outputs = kilnOutputs(kiln.outputs);
    if (!outputs) {
      if (cell.outputs !== undefined && !Array.isArray(cell.outputs)) fail(`${path}.outputs`, 'expected a list');
      outputs = ((cell.outputs ?? []) as unknown[])
        .map((o, k) => fromJupyterOutput(o, `${path}.outputs[${k}]`))
        .filter((o): o is CellOutput => o !== null)
        .slice(0, 100);
    }
    cells.push({ id: uniqueId(kiln.id ?? cell.id), source, manual: kiln.manual === true, outputs });
  });
  if (cells.length > 1000) fail('cells', `${cells.length} cells is over the 1000 limit`);
  return { version: NOTEBOOK_VERSION, cells };
}
