/**
 * Dataset files from the server, fetched by the page (with its anti-forgery header, through
 * apiFetch): built-in vega datasets and uploaded dataset versions. Web workers never fetch
 * them: the canvas's run worker and the notebook kernel ask the page (run/page-data.ts,
 * notebook/kernel/page-api.ts), which fetches here and transfers the bytes.
 */
import type { DataSource } from '../../lib/nodes/types';
import { apiFetch } from '../studio/api-fetch';

/**
 * Fetches a dataset file's bytes and format; a refusal throws the server's one line (`{ error }`),
 * naming the dataset.
 */
export async function fetchDatasetFile(url: string, name: string, init: { signal?: AbortSignal; fetch?: typeof fetch } = {}): Promise<{ bytes: ArrayBuffer; format: 'csv' | 'json' }> {
  const res = await (init.fetch ?? apiFetch)(url, init.signal ? { signal: init.signal } : undefined);
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

/** URL of a built-in (vega) dataset's file. */
export const builtinUrl = (name: string) => `/api/datasets/builtin/${encodeURIComponent(name)}`;
/** URL of an uploaded dataset version's file. */
export const uploadedUrl = (id: string) => `/api/datasets/${encodeURIComponent(id)}/file`;
