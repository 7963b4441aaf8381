/**
 * tRPC setup shared by every router: the context (database, artifact store, API limits) and an
 * error formatter that carries graph diagnostics to the client next to the one-line message.
 * Procedures throw `KilnError`s with catalog codes; the catalog's HTTP status picks the tRPC
 * code (below), so a code answers the same over tRPC as over REST and serving.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { ERROR_CATALOG, isKilnError, KilnError, type ErrorCode } from '../../lib/errors';
import { access, authorize, type Access, type AuthorizeOptions } from '../auth/access';
import type { Principal, UserPrincipal } from '../auth/principal';
import type { Diagnostic } from '../../lib/graph/validate';
import type { Db } from '../db/client';
import type { ApiConfig } from '../http/config';
import type { ArtifactStore } from '../storage/types';

export interface TrpcContext {
  db: Db;
  store: ArtifactStore;
  config: ApiConfig;
  /** who calls (null: no credentials); resolved once per HTTP request by server/http/router.ts */
  principal: Principal | null;
  /** the refusal of the credentials sent (a bad token, a cookie without the anti-forgery header) */
  authError?: unknown;
  authOptions: AuthorizeOptions;
  /** signs share links */
  authSecret: string;
}

/** What every procedure declares: who may call it (server/auth/access.ts). */
export interface ProcedureMeta {
  access: Access;
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
  return new TRPCError({ code: trpcCodeOf('GRAPH_INVALID'), message: cause.message, cause });
}

type TrpcCode = TRPCError['code'];
/** The tRPC code for each HTTP status the catalog uses; tRPC turns it back into that status. */
const TRPC_CODE_BY_STATUS: Record<number, TrpcCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** The tRPC code answering a catalog code (its HTTP status, in tRPC's words). */
export function trpcCodeOf(code: ErrorCode): TrpcCode {
  const status = ERROR_CATALOG[code].status;
  return TRPC_CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

const t = initTRPC.context<TrpcContext>().meta<ProcedureMeta>().create({
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
        ...(isKilnError(cause) ? { kilnCode: cause.code } : cause instanceof GraphDiagnosticsError ? { kilnCode: 'GRAPH_INVALID' } : {}),
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

/** A `KilnError` thrown below (named in one line) is answered with its catalog status and that line. */
const kilnErrors = t.middleware(async ({ next }) => {
  const r = await next();
  if (!r.ok && isKilnError(r.error.cause)) throw trpcErrorOf(r.error.cause);
  return r;
});

/**
 * The one permission check of the API: every procedure is built by {@link procedure} or
 * {@link publicProcedure}, which declare its access as meta, and this middleware enforces it
 * before the input is even parsed (401 without credentials, 404 for what the caller cannot
 * see, 403 naming the permission it needed). server/trpc/access.test.ts walks the router and
 * fails for a procedure without a declaration.
 */
const enforce = t.middleware(async ({ ctx, meta, path, getRawInput, next }) => {
  if (!meta?.access) throw new KilnError('INTERNAL', `procedure ${path} declares no access`);
  // Bad credentials are answered as such (not as "no credentials") by every non-public procedure.
  if (ctx.authError && meta.access.kind !== 'public') throw ctx.authError;
  const grant = await authorize(ctx.db, ctx.principal, meta.access, await getRawInput().catch(() => undefined), ctx.authOptions);
  return next({ ctx: { user: grant.user as UserPrincipal, grant } });
});

const base = t.procedure.use(kilnErrors);

/** A procedure anyone may call (share links): `ctx.user` is the caller if signed in, else null. */
export const publicProcedure = base
  .meta({ access: access.public() })
  .use(enforce)
  .use(async ({ ctx, next }) => next({ ctx: { user: ctx.user as UserPrincipal | null } }));

/** A procedure that needs `a` (e.g. `procedure(access.need('EDIT', on.run('id')))`): `ctx.user` is the signed-in caller. */
export function procedure(a: Access) {
  return base.meta({ access: a }).use(enforce);
}

/** The tRPC error answering a `KilnError`: its catalog status as a tRPC code, its one line. */
export function trpcErrorOf(e: KilnError): TRPCError {
  return new TRPCError({ code: trpcCodeOf(e.code), message: e.message, cause: e });
}

export { TRPCError };

export { access, on } from '../auth/access';
