import { getDataset } from '../db/catalog';
import type { Dataset } from '../db/schema';
import type { ApiContext } from './context';
import { errorJson } from './errors';

/**
 * The stored file of dataset version `datasetId`, streamed from the artifact store with its
 * content type and length plus the caller's `headers`; 404 when the version or its file is missing.
 */
export async function datasetFileResponse(ctx: ApiContext, datasetId: string, headers: (d: Dataset) => Record<string, string>): Promise<Response> {
  const d = await getDataset(ctx.db, datasetId);
  if (!d) return errorJson('NOT_FOUND', `no dataset version ${datasetId}`);
  const stream = await ctx.store.get(d.storageKey);
  if (!stream) return errorJson('NOT_FOUND', `the file of dataset version ${datasetId} is missing from the artifact store`);
  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': d.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'content-length': String(d.bytes),
      ...headers(d),
    },
  });
}
