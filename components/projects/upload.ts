import type { ColumnSchema } from '../../lib/data/column-schema';
import type { Anomaly } from '../../lib/sketch/anomalies';
import type { ValidatedAgainst } from '../data/AnomalyList';
import { apiFetch } from '../studio/api-fetch';

/** Dataset uploads from the browser: `PUT /api/datasets`, with the server's one-line error on failure. */
export interface UploadedDataset {
  id: string;
  name: string;
  rows: number;
  bytes: number;
  schema: ColumnSchema[];
  created: boolean;
  /** anomalies against the previous version's schema (or the project's saved schema of the name) */
  anomalies: Anomaly[];
  validatedAgainst: ValidatedAgainst;
}

/** Dataset names the server accepts, derived from a file name. */
export function datasetNameFor(fileName: string): string {
  const cleaned = fileName.replace(/[^A-Za-z0-9 _.()-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'data.csv').slice(0, 128);
}

export async function uploadDataset(project: string, file: File): Promise<UploadedDataset> {
  const name = datasetNameFor(file.name);
  const format = /\.json$/i.test(name) ? 'json' : 'csv';
  const res = await apiFetch(`/api/datasets?project=${encodeURIComponent(project)}&name=${encodeURIComponent(name)}&format=${format}`, {
    method: 'PUT',
    body: file,
    headers: { 'content-type': format === 'csv' ? 'text/csv' : 'application/json' },
  });
  const body = (await res.json().catch(() => null)) as (UploadedDataset & { error?: string }) | null;
  if (!res.ok || !body) throw new Error(body?.error ?? `upload of ${file.name} failed (HTTP ${res.status})`);
  return body;
}
