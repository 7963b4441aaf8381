/**
 * The control plane's side of the serving contract (docs/serving.md): the serving config and
 * the registered versions' packages, for serving processes holding a machine token (the same
 * kind runners use). Predictions themselves never pass through here.
 */
import { getVersionById } from '../registry/registry';
import { servingConfig } from '../registry/serving-config';
import type { RouteContext } from './context';
import { errorJson, json } from './errors';

/** `GET /api/serving/config`: every endpoint, its keys' hashes, versions, default and split. */
export async function servingConfigHandler(ctx: RouteContext, req: Request): Promise<Response> {
    const config = await servingConfig(ctx.db);
  // The revision doubles as an ETag, so a poller that has it already gets an empty 304.
  const etag = `"${config.revision}"`;
  if (req.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers: { etag, 'cache-control': 'no-store' } });
  return json(config, 200, { etag });
}

/** `GET /api/serving/versions/:id/package`: a registered version's model package zip, streamed. */
export async function servingPackageHandler(ctx: RouteContext, req: Request, versionId: string): Promise<Response> {
    const v = await getVersionById(ctx.db, versionId);
  if (!v) return errorJson('NOT_FOUND', `no model version ${versionId}`);
  if (v.status === 'FAILED') return errorJson('VERSION_FAILED', `model version ${versionId} failed its serveability check: ${v.statusReason ?? ''}`);
  const stream = await ctx.store.get(v.storageKey);
  if (!stream) return errorJson('NOT_FOUND', `the package of model version ${versionId} is missing from the artifact store`);
  return new Response(req.method === 'HEAD' ? null : stream, {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'x-kiln-sha256': v.sha256,
      'x-kiln-model-version': String(v.version),
      'cache-control': 'no-store',
    },
  });
}
