/**
 * tRPC setup shared by every router: the context (database, artifact store, API limits) and an
 * error formatter that carries graph diagnostics to the client next to the one-line message.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { isKilnError } from '../../lib/errors';
import type { Diagnostic } from '../../lib/graph/validate';
import type { Db } from '../db/client';
import type { ApiConfig } from '../http/config';
import type { ArtifactStore } from '../storage/types';

export interface TrpcContext {
  db: Db;
  store: ArtifactStore;
  config: ApiConfig;
}

/** The cause of a BAD_REQUEST for an invalid graph: every diagnostic, not only the first. */
export class GraphDiagnosticsError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics[0] ? `${diagnostics[0].code} at ${diagnostics[0].path || 'graph'}: ${diagnostics[0].message}` : 'invalid graph');
    this.name = 'GraphDiagnosticsError';
    this.diagnostics = diagnostics;
  }
}

/** A BAD_REQUEST whose message is the first diagnostic and whose data carries all of them. */
export function graphInvalid(diagnostics: Diagnostic[]): TRPCError {
  const cause = new GraphDiagnosticsError(diagnostics);
  return new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      // Stacks stay on the server, whatever the environment.
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        ...(shape.data.path ? { path: shape.data.path } : {}),
        ...(cause instanceof GraphDiagnosticsError ? { diagnostics: cause.diagnostics } : {}),
        ...(isKilnError(cause) ? { kilnCode: cause.code } : {}),
      },
    };
  },
  sse: {
    // Comments every 10 s keep proxies from closing an idle live-events stream.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 30_000 },
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Every procedure: a `KilnError` thrown below (a problem with what the caller sent, named in one
 * line) becomes a BAD_REQUEST carrying that line, instead of an opaque internal error.
 */
export const publicProcedure = t.procedure.use(async ({ next }) => {
  const r = await next();
  if (!r.ok && isKilnError(r.error.cause)) {
    const cause = r.error.cause;
    throw new TRPCError({ code: cause.code.endsWith('NOT_FOUND') ? 'NOT_FOUND' : 'BAD_REQUEST', message: cause.message, cause });
  }
  return r;
});

export { TRPCError };
