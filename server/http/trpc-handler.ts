/** Serves the tRPC routers at `/api/trpc/*` for Kiln's own server and Next's route file alike. */
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '../trpc/root';
import { readLimited } from './body';
import { TRPC_MAX_BATCH } from './trpc-limits';
import type { ApiContext } from './context';

/**
 * Answers one tRPC request. Bodies are capped at `config.maxGraphBytes` (413 before reading
 * when the length is declared); internal errors are logged, never sent with their stack.
 */
export async function handleTrpc(ctx: ApiContext, req: Request): Promise<Response> {
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
    createContext: () => ({ db: ctx.db, store: ctx.store, config: ctx.config }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') (ctx.log ?? console.error)(`kiln api: trpc ${path ?? '?'}: ${error.cause?.stack ?? error.stack ?? error.message}`);
    },
  });
}
