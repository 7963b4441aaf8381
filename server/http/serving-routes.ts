/**
 * The control plane's side of the serving contract (docs/serving.md): the serving config and
 * the registered versions' packages, for serving processes holding a machine token (the same
 * kind runners use). Predictions themselves never pass through here.
 */
import { KilnError } from '../../lib/errors';
import type { Db } from '../db/client';
import { getVersionById } from '../registry/registry';
import { servingConfig, servingConfigEtag, type ServingConfig } from '../registry/serving-config';
import { LONG_POLL_MAX_S, pruneReplicas, readServingRevision, RECHECK_MS, REPLICA_ID, reportReplica, watchRevision } from '../registry/serving-revision';
import type { RouteContext } from './context';
import { errorJson, json } from './errors';

interface Answer {
  config: ServingConfig;
  etag: string;
}

/**
 * The config last computed per database and studio origins, so the replicas that a change
 * wakes all at once share one computation. Keyed by the revision it was asked for.
 */
const answers = new WeakMap<Db, Map<string, { revision: number; answer: Promise<Answer> }>>();

function compute(db: Db, studioOrigins: readonly string[]): Promise<Answer> {
  return servingConfig(db, { studioOrigins }).then((config) => ({ config, etag: servingConfigEtag(config) }));
}

/** The config at `revision` (just read): the cached one when it was computed for it. */
function answerAt(db: Db, studioOrigins: readonly string[], revision: number): Promise<Answer> {
  let byOrigins = answers.get(db);
  if (!byOrigins) answers.set(db, (byOrigins = new Map()));
  const key = studioOrigins.join(' ');
  const hit = byOrigins.get(key);
  if (hit && hit.revision === revision) return hit.answer;
  const answer = compute(db, studioOrigins);
  byOrigins.set(key, { revision, answer });
  answer.catch(() => {
    if (byOrigins.get(key)?.answer === answer) byOrigins.delete(key);
  });
  return answer;
}

function reply(a: Answer, ifNoneMatch: string | null): Response {
  // The ETag covers the revision and the studio origins, so a poller that has it gets an empty 304.
  if (ifNoneMatch === a.etag) return new Response(null, { status: 304, headers: { etag: a.etag, 'cache-control': 'no-store' } });
  return json(a.config, 200, { etag: a.etag });
}

function intParam(q: URLSearchParams, name: string): number | null {
  const raw = q.get(name);
  if (raw === null) return null;
  if (!/^\d{1,9}$/.test(raw)) throw new KilnError('BAD_REQUEST', `${name} must be a non-negative integer, got "${raw.slice(0, 20)}"`);
  return Number(raw);
}

/**
 * `GET /api/serving/config[?after=REV&replica=ID&wait=S]`: every endpoint, its access, keys'
 * hashes, CORS origins, versions, default and split.
 *
 * Without `after` it answers at once (ETag / 304, today's poll). With `after` (the revision the
 * replica has applied) it is a long poll: answered as soon as the revision is not `after`, else
 * 304 after `wait` seconds (at most {@link LONG_POLL_MAX_S}). `replica` records that revision
 * as applied by that replica, which is how a key revocation knows it is in force.
 */
export async function servingConfigHandler(ctx: RouteContext, req: Request): Promise<Response> {
  // The route's access is `machine('serving')`: the principal is that serving process's token.
  const runner = { id: ctx.principal!.id };
  const q = new URL(req.url).searchParams;
  const replica = q.get('replica');
  if (replica !== null && !REPLICA_ID.test(replica)) throw new KilnError('BAD_REQUEST', 'replica must be 1 to 100 characters of A-Z a-z 0-9 . _ : -');
  const after = intParam(q, 'after');
  const waitS = Math.min(intParam(q, 'wait') ?? LONG_POLL_MAX_S, LONG_POLL_MAX_S);
  const db = ctx.db;
  const studio = ctx.config.studioOrigins;
  const ifNoneMatch = req.headers.get('if-none-match');
  if (replica !== null) {
    await reportReplica(db, { id: replica, runnerId: runner.id, appliedRevision: after ?? 0 });
    if (after === null) await pruneReplicas(db);
  }
  if (after === null || req.method === 'HEAD') return reply(await compute(db, studio), ifNoneMatch);

  const deadline = Date.now() + waitS * 1000;
  const watch = watchRevision(db, after, req.signal);
  try {
    let first = true;
    for (;;) {
      // The no-change path: one primary-key read per re-check.
      const { revision } = await readServingRevision(db);
      if (revision !== after) return reply(await answerAt(db, studio, revision), ifNoneMatch);
      // Same revision but another ETag (the studio origins changed with a restart): answer now.
      // Computed once per revision and process; the replicas waiting on it share it.
      if (first && ifNoneMatch) {
        const a = await answerAt(db, studio, revision);
        if (a.etag !== ifNoneMatch) return reply(a, ifNoneMatch);
      }
      first = false;
      const left = deadline - Date.now();
      if (left <= 0 || req.signal.aborted) break;
      await watch.next(Math.min(left, RECHECK_MS));
    }
  } finally {
    watch.close();
  }
  if (req.signal.aborted) return new Response(null, { status: 304 });
  // Computed afresh: a change nobody bumped the revision for gets one here.
  return reply(await compute(db, studio), ifNoneMatch);
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
