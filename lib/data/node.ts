/**
 * Node-only data access: the built-in datasets shipped in the `vega-datasets` npm package and
 * data files on disk. Browser code receives `DataSource`s from uploads or fetches instead.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { KilnError } from '../errors';
import type { DataSource } from '../nodes/types';

export interface BuiltinDataset {
  /** name to pass to {@link loadBuiltinDataset}, e.g. `seattle-weather` */
  name: string;
  /** file name inside vega-datasets/data, e.g. `seattle-weather.csv` */
  file: string;
  format: 'csv' | 'json';
  bytes: number;
}

/** Names shown first in "unknown dataset" messages: the ones the examples use. */
const SUGGESTED = ['cars', 'penguins', 'seattle-weather', 'iris', 'stocks', 'movies', 'flights-10k'];

let dataDirCache: string | undefined;

/**
 * vega-datasets' package.json is not in its `exports`, so resolve the entry point (build/index.js)
 * and walk up to the package root.
 */
function dataDir(): string {
  if (dataDirCache) return dataDirCache;
  const require = createRequire(import.meta.url);
  const entry = require.resolve('vega-datasets');
  dataDirCache = join(dirname(dirname(entry)), 'data');
  return dataDirCache;
}

function formatOf(file: string): 'csv' | 'json' | undefined {
  const ext = extname(file).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : undefined;
}

/**
 * Every CSV and JSON file in vega-datasets, sorted by name. Where a name exists as both CSV and
 * JSON, both are listed under their file names and the bare name loads the CSV.
 */
export async function listBuiltinDatasets(): Promise<BuiltinDataset[]> {
  const dir = dataDir();
  const files = (await readdir(dir)).filter((f) => formatOf(f) !== undefined).sort();
  const out: BuiltinDataset[] = [];
  for (const file of files) {
    const s = await stat(join(dir, file));
    if (!s.isFile()) continue;
    out.push({ name: file.slice(0, -extname(file).length), file, format: formatOf(file)!, bytes: s.size });
  }
  return out;
}

/**
 * Loads a built-in dataset by name (`cars`, `seattle-weather`) or file name (`cars.json`).
 * The bare name tries `.csv`, then `.json`.
 * @throws KilnError `UNKNOWN_DATASET` for names that are not a CSV/JSON file of vega-datasets,
 *   including any name with a path separator or `..` (no reading outside the package).
 */
export async function loadBuiltinDataset(name: string): Promise<DataSource> {
  const found = await findBuiltinDataset(name);
  const text = await readFile(join(dataDir(), found.file), 'utf8');
  return { name: found.file, text, format: found.format };
}

/**
 * The built-in dataset a name stands for, without reading it (the server checks a graph's
 * built-in names at submit this way).
 * @throws KilnError `UNKNOWN_DATASET`, as {@link loadBuiltinDataset}
 */
export async function findBuiltinDataset(name: string): Promise<BuiltinDataset> {
  const all = await listBuiltinDatasets();
  const safe = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) && !name.includes('..');
  const found = safe
    ? (formatOf(name) ? all.find((d) => d.file === name) : undefined) ??
      all.find((d) => d.file === `${name}.csv`) ??
      all.find((d) => d.file === `${name}.json`)
    : undefined;
  if (!found) {
    const names = new Set(all.map((d) => d.name));
    const shown = SUGGESTED.filter((s) => names.has(s)).slice(0, 5);
    throw new KilnError(
      'UNKNOWN_DATASET',
      `unknown built-in dataset ${JSON.stringify(name)} (try ${shown.join(', ')}; ${names.size} available, see listBuiltinDatasets)`,
      { path: name },
    );
  }
  return found;
}

/**
 * Reads a CSV or JSON data file (format from the extension, any case). The source is named by
 * the file's base name, so parse errors read `cars.csv row 12: …`.
 * @throws KilnError `UNSUPPORTED_FORMAT`, `FILE_NOT_FOUND`, `FILE_UNREADABLE`, each naming `path`.
 */
export async function readDataFile(path: string): Promise<DataSource> {
  const format = formatOf(path);
  if (!format) {
    const ext = extname(path) || '(none)';
    throw new KilnError(
      'UNSUPPORTED_FORMAT',
      `${path}: unsupported data file extension ${ext} (expected .csv or .json)`,
      { file: path },
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new KilnError('FILE_NOT_FOUND', `${path}: no such file`, { file: path });
    }
    const why = code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new KilnError('FILE_UNREADABLE', `${path}: cannot read (${why})`, { file: path });
  }
  return { name: basename(path), text, format };
}
