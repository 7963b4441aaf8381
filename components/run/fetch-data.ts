/**
 * Dataset files from the server in the browser: built-in vega datasets and uploaded dataset
 * versions. The canvas run worker fetches each URL once; pages fetch directly, also for the
 * notebook kernel, which never fetches /api itself (notebook/kernel/page-api.ts).
 */
import type { DataSource } from '../../lib/nodes/types';

const fetched = new Map<string, Promise<DataSource>>();

/**
 * Fetches a dataset file's bytes and format; a refusal throws the server's one line (`{ error }`),
 * naming the dataset.
 */
export async function fetchDatasetFile(url: string, name: string, init: { signal?: AbortSignal; fetch?: typeof fetch } = {}): Promise<{ bytes: ArrayBuffer; format: 'csv' | 'json' }> {
  const res = await (init.fetch ?? fetch)(url, init.signal ? { signal: init.signal } : undefined);
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (typeof body.error === 'string') msg = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(`dataset "${name}": ${msg}`);
  }
  const format = res.headers.get('x-kiln-format') === 'json' || /json/.test(res.headers.get('content-type') ?? '') ? 'json' : 'csv';
  return { bytes: await res.arrayBuffer(), format };
}

/** Fetches a dataset file as text, ready to parse. */
export async function fetchSource(url: string, name: string): Promise<DataSource> {
  const { bytes, format } = await fetchDatasetFile(url, name);
  return { name, text: new TextDecoder().decode(bytes), format };
}

/** Fetched once per worker: the same URL always serves the same bytes (versions are immutable). */
function fetchOnce(url: string, name: string): Promise<DataSource> {
  let p = fetched.get(url);
  if (!p) {
    p = fetchSource(url, name);
    fetched.set(url, p);
    p.catch(() => fetched.delete(url));
  }
  return p;
}

/** URL of a built-in (vega) dataset's file. */
export const builtinUrl = (name: string) => `/api/datasets/builtin/${encodeURIComponent(name)}`;
/** URL of an uploaded dataset version's file. */
export const uploadedUrl = (id: string) => `/api/datasets/${encodeURIComponent(id)}/file`;

/** The built-in (vega) dataset `name`. */
export function fetchBuiltin(name: string): Promise<DataSource> {
  return fetchOnce(builtinUrl(name), name);
}

/** The uploaded dataset version `id`, named `name`. */
export function fetchUploaded(id: string, name: string): Promise<DataSource> {
  return fetchOnce(uploadedUrl(id), name);
}

/**
 * A graph's data ref: a built-in dataset by name, or an input dataset by the version id `idOf`
 * finds for its name; none found throws `missing(name)`.
 */
export async function fetchDataRef(
  ref: { builtin?: string; input?: string },
  idOf: (name: string) => string | null | undefined | Promise<string | null | undefined>,
  missing: (name: string) => string,
): Promise<DataSource> {
  if (ref.builtin) return fetchBuiltin(ref.builtin);
  const name = ref.input ?? '';
  const id = await idOf(name);
  if (!id) throw new Error(missing(name));
  return fetchUploaded(id, name);
}
