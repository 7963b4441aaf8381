/**
 * Data for notebook cells, inside the kernel worker: project datasets (newest uploaded version)
 * or built-in vega datasets, parsed with lib/data exactly as runs parse them, exposed as records
 * and as tensors. The page fetches the files (the worker makes no request to /api) and transfers
 * their bytes; each file is asked for once per worker (versions are immutable).
 */
import type * as tfNs from '@tensorflow/tfjs';
import { parseTable } from '../../../lib/data/infer';
import { sampleDataSource } from '../../../lib/data/sample';
import type { Table } from '../../../lib/data/table';
import type { DataSource, Frame } from '../../../lib/nodes/types';
import type { ApiArgs, KernelApi } from './protocol';

type FileRef = ApiArgs<'datasetFile'>;

const files = new Map<string, Promise<DataSource>>();
const decoder = new TextDecoder();

/** A dataset file, asked of the page once per worker. */
export function datasetFile(api: KernelApi, ref: FileRef, signal?: AbortSignal): Promise<DataSource> {
  const key = ref.source === 'builtin' ? `builtin:${ref.name}` : `uploaded:${ref.id}`;
  let p = files.get(key);
  if (!p) {
    p = api('datasetFile', ref, signal).then(({ bytes, format }) => ({ name: ref.name, text: decoder.decode(bytes), format }));
    files.set(key, p);
    p.catch(() => files.delete(key));
  }
  return p;
}

/** The newest uploaded version of a dataset of the notebook's project, or null when it has none by that name. */
export async function projectDatasetId(api: KernelApi, name: string, signal?: AbortSignal): Promise<string | null> {
  return (await api('datasetVersion', { name }, signal))?.id ?? null;
}

/**
 * A graph's data ref: a built-in dataset by name, or the newest uploaded version of an input
 * dataset; none uploaded throws `missing(name)`.
 */
export async function loadRef(api: KernelApi, ref: { builtin?: string; input?: string }, missing: (name: string) => string, signal?: AbortSignal): Promise<DataSource> {
  if (ref.builtin) return datasetFile(api, { source: 'builtin', name: ref.builtin }, signal);
  const name = ref.input ?? '';
  const id = name ? await projectDatasetId(api, name, signal) : null;
  if (!id) throw new Error(missing(name));
  return datasetFile(api, { source: 'uploaded', id, name }, signal);
}

/** A project dataset by name when uploaded, else the built-in vega dataset of that name. */
export async function loadNamed(api: KernelApi, projectName: string, name: string, signal?: AbortSignal): Promise<DataSource> {
  if (typeof name !== 'string' || !name) throw new Error('kiln.data(name): name must be a dataset name, e.g. "cars"');
  const id = await projectDatasetId(api, name, signal);
  if (id) return datasetFile(api, { source: 'uploaded', id, name }, signal);
  try {
    return await datasetFile(api, { source: 'builtin', name }, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new Error(`kiln.data("${name}"): no dataset "${name}" in project "${projectName}" and no built-in dataset of that name (${e instanceof Error ? e.message : String(e)})`);
  }
}

export type Row = Record<string, string | number | boolean | null>;

function tableRecords(t: Table): Row[] {
  const out: Row[] = new Array(t.nRows);
  for (let i = 0; i < t.nRows; i++) {
    const r: Row = {};
    for (const c of t.columns) {
      const v = c.values[i];
      if (c.type === 'categorical') r[c.name] = (v as string | null) ?? null;
      else if (Number.isNaN(v as number)) r[c.name] = null;
      else if (c.type === 'boolean') r[c.name] = v === 1;
      else if (c.type === 'date') r[c.name] = new Date(v as number).toISOString();
      else r[c.name] = v as number;
    }
    out[i] = r;
  }
  return out;
}

/** A dataset as a cell sees it: records (shown as a table) and tensors on demand. */
export class KilnData {
  readonly columns: string[];
  readonly schema: { name: string; type: string }[];
  private recs?: Row[];

  constructor(
    readonly name: string,
    /** the parsed table (what `kiln.node` feeds to node kinds) */
    readonly table: Table,
    private readonly tf: typeof tfNs,
    readonly totalRows = table.nRows,
  ) {
    this.columns = table.columns.map((c) => c.name);
    this.schema = table.columns.map((c) => ({ name: c.name, type: c.type }));
  }

  get records(): Row[] {
    this.recs ??= tableRecords(this.table);
    return this.recs;
  }

  get length(): number {
    return this.table.nRows;
  }

  /** The frame a node kind takes on a `table` port. */
  toFrame(target?: string): Frame {
    return { table: this.table, ...(target ? { target } : {}), steps: [], inputSchema: [], datasetHashes: [] };
  }

  /**
   * `x` [rows, features] float32 and `y` [rows, 1] from numeric columns; rows with a missing
   * value in any of them are left out (`dropped` counts them). A categorical target becomes class
   * indices into `labels`.
   */
  toTensors(opts: { features?: string[]; target: string }): { x: tfNs.Tensor2D; y: tfNs.Tensor2D; features: string[]; labels?: string[]; dropped: number } {
    const col = (n: string) => {
      const c = this.table.columns.find((x) => x.name === n);
      if (!c) throw new Error(`${this.name}.toTensors: no column "${n}" (columns: ${this.columns.join(', ')})`);
      return c;
    };
    if (!opts || typeof opts.target !== 'string') throw new Error(`${this.name}.toTensors({ target }): name the target column`);
    const t = col(opts.target);
    const features = opts.features ?? this.table.columns.filter((c) => c.type !== 'categorical' && c.name !== opts.target).map((c) => c.name);
    const fcols = features.map((n) => {
      const c = col(n);
      if (c.type === 'categorical') throw new Error(`${this.name}.toTensors: feature "${n}" is categorical; encode it first (e.g. kiln.node("one_hot", …))`);
      return c.values as Float64Array;
    });
    let labels: string[] | undefined;
    let yv: ArrayLike<number>;
    if (t.type === 'categorical') {
      labels = [...new Set(t.values.filter((v): v is string => v !== null))].sort();
      const idx = new Map(labels.map((l, i) => [l, i]));
      yv = t.values.map((v) => (v === null ? NaN : idx.get(v)!));
    } else yv = t.values;
    const keep: number[] = [];
    for (let i = 0; i < this.table.nRows; i++) if (!Number.isNaN(yv[i]!) && fcols.every((c) => !Number.isNaN(c[i]!))) keep.push(i);
    const xs = new Float32Array(keep.length * features.length);
    const ys = new Float32Array(keep.length);
    keep.forEach((r, i) => {
      fcols.forEach((c, j) => (xs[i * features.length + j] = c[r]!));
      ys[i] = yv[r]!;
    });
    return {
      x: this.tf.tensor2d(xs, [keep.length, features.length]),
      y: this.tf.tensor2d(ys, [keep.length, 1]),
      features,
      ...(labels ? { labels } : {}),
      dropped: this.table.nRows - keep.length,
    };
  }
}

/** Loads a dataset for a cell: `sample` rows (seeded) or all of them. */
export async function kilnData(
  tf: typeof tfNs,
  api: KernelApi,
  projectName: string,
  name: string,
  opts: { sample?: number; seed?: number } = {},
  signal?: AbortSignal,
): Promise<KilnData> {
  const src = await loadNamed(api, projectName, name, signal);
  const s = opts.sample ? sampleDataSource(src, opts.sample, opts.seed ?? 42) : null;
  const table = parseTable(s ? s.source : src);
  return new KilnData(name, table, tf, s ? s.totalRows : table.nRows);
}
