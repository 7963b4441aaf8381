/**
 * Model package upload by runners and download by users. The storage key is always
 * `runs/<runId>/model.zip`, built from the run's id as stored in the database; nothing the
 * client sends (query, headers, names inside the zip) is used for it.
 */
import { getArtifact, getRun, recordArtifact } from '../jobs/queue';
import { readLimited, checkDeclaredLength } from './body';
import type { RouteContext } from './context';
import { formatErrorMessage } from '../../lib/errors';
import { errorJson, json } from './errors';
import { readPackageZip } from '../../lib/package/zip';
import { requireRunner } from './runner-routes';

/** The server's storage key of a run's model package. */
export function modelKey(runId: string): string {
  return `runs/${runId}/model.zip`;
}

function lost(runId: string): Response {
  return errorJson('LEASE_LOST', formatErrorMessage('LEASE_LOST', { runId }));
}

/** `PUT /api/runner/runs/:id/artifacts/model?attemptToken=…` with the zipped package as the body. */
export async function uploadModelHandler(ctx: RouteContext, req: Request, runId: string): Promise<Response> {
  requireRunner(ctx);
  const token = new URL(req.url).searchParams.get('attemptToken') ?? '';
  if (!/^[0-9a-f]{64}$/.test(token)) return errorJson('BAD_REQUEST', 'query parameter "attemptToken": must be the attempt token of the claim (64 hex digits)');
  checkDeclaredLength(req, ctx.config.maxArtifactBytes, 'model package');
  // A stale attempt is turned away before its upload is read.
  const held = async () => {
    const run = await getRun(ctx.db, runId);
    return run && run.status === 'running' && run.attemptToken === token ? run : null;
  };
  if (!(await held())) return (await getRun(ctx.db, runId)) ? lost(runId) : errorJson('NOT_FOUND', `no run ${runId}`);
  const zip = await readLimited(req, ctx.config.maxArtifactBytes, 'model package');
  readPackageZip(zip, ctx.config);
  // Checked again after the (possibly long) upload, right before the object is replaced. The
  // lease may still end between this check and recordArtifact; the new holder's own upload
  // then replaces the object again before it can complete.
  const run = await held();
  if (!run) return lost(runId);
  const key = modelKey(run.id);
  const put = await ctx.store.put(key, zip);
  const r = await recordArtifact(ctx.db, { runId: run.id, attemptToken: token, kind: 'model', storageKey: key, bytes: put.bytes, sha256: put.sha256 });
  if (!r.ok) return r.reason === 'not_found' ? errorJson('NOT_FOUND', `no run ${runId}`) : lost(runId);
  return json({ artifactId: r.artifact.id, bytes: put.bytes, sha256: put.sha256 });
}

/** `GET /api/runs/:id/artifacts/model`: the run's model package zip. */
export async function downloadModelHandler(ctx: RouteContext, runId: string): Promise<Response> {
  const a = await getArtifact(ctx.db, runId, 'model');
  if (!a) return errorJson('NOT_FOUND', `run ${runId} has no model package`);
  const stream = await ctx.store.get(a.storageKey);
  if (!stream) return errorJson('NOT_FOUND', `the model package of run ${runId} is missing from the artifact store`);
  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'content-length': String(a.bytes),
      'content-disposition': `attachment; filename="kiln-model-${runId.replace(/[^A-Za-z0-9-]/g, '')}.zip"`,
      'x-kiln-sha256': a.sha256,
      'cache-control': 'no-store',
    },
  });
}
