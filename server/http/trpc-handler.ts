/** Serves the tRPC routers at `/api/trpc/*` for Kiln's own server and Next's route file alike. */
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '../trpc/root';
import { readLimited } from './body';
import { errorJson } from './errors';
import { isKilnError } from '../../lib/errors';
import { capLogLine } from '../../lib/log-line';
import { TRPC_MAX_BATCH } from './trpc-limits';
import type { RouteContext } from './context';

/**
 * Answers one tRPC request. Bodies are capped at `config.maxGraphBytes` (413 before reading
 * when the length is declared); internal errors are logged, never sent with their stack.
 */
export async function handleTrpc(ctx: RouteContext, req: Request): Promise<Response> {
  // A subscription without (good) credentials is refused here, before tRPC: its stream would
  // otherwise answer 200 and carry the 401 inside. Queries and mutations answer it in tRPC's own
  // format (the access middleware), which every tRPC client reads.
  if (!ctx.principal) {
    const names = decodeURIComponent(new URL(req.url).pathname.replace(/^\/api\/trpc\/?/, '')).split(',');
    const procs = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string; meta?: { access?: { kind: string } } } }> } })._def.procedures;
    if (names.some((n) => procs[n]?._def.type === 'subscription' && procs[n]?._def.meta?.access?.kind !== 'public')) {
      if (isKilnError(ctx.authError)) return errorJson(ctx.authError.code, ctx.authError.message);
      return errorJson('SIGN_IN_REQUIRED', 'sign in, or send a token (Authorization: Bearer <token>)');
    }
  }
  let request = req;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.body) {
    // Read here under the cap so tRPC never buffers an unbounded body itself.
    const bytes = await readLimited(req, ctx.config.maxGraphBytes, 'request body');
    request = new Request(req.url, { method: req.method, headers: req.headers, body: bytes as unknown as BodyInit, signal: req.signal });
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: appRouter,
    maxBatchSize: TRPC_MAX_BATCH,
    createContext: () => ({ db: ctx.db, store: ctx.store, config: ctx.config, principal: ctx.principal, authError: ctx.authError ?? null, authOptions: ctx.authOptions, authSecret: ctx.authSecret }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') (ctx.log ?? console.error)(capLogLine(`kiln api: trpc ${path ?? '?'}: ${error.cause?.stack ?? error.stack ?? error.message}`));
    },
  });
}
