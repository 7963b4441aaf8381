/**
 * The HTTP API as one web-standard function: `handleApi(Request) → Response`. Kiln's own server
 * (server/main.ts) and Next's route files (app/api/…) both call it, so there is one
 * implementation of every endpoint.
 */
import { access, authorize, on, type Access } from '../auth/access';
import { csrfValue, CSRF_HEADER } from '../auth/auth';
import type { ApiContext, RouteContext } from './context';
import { errorJson, errorResponse, json } from './errors';
import { downloadModelHandler, uploadModelHandler } from './artifact-routes';
import { builtinDatasetHandler, datasetByHashHandler, datasetFileHandler, uploadDatasetHandler } from './dataset-routes';
import {
  claimHandler,
  completeHandler,
  datasetDownloadHandler,
  eventsHandler,
  heartbeatHandler,
  registerHandler,
  releaseHandler,
} from './runner-routes';
import { feedbackBatchHandler, monitoringMetricsHandler, predictionBatchHandler, requestStatsHandler } from './monitoring-routes';
import { servingConfigHandler, servingPackageHandler } from './serving-routes';
import { handleTrpc } from './trpc-handler';
import { loginOptionsHandler, setPasswordHandler, tokenLoginHandler, whoamiHandler } from './account-routes';

export interface Api {
  handleApi(req: Request): Promise<Response>;
}

type Handler = (ctx: RouteContext, req: Request, ...params: string[]) => Promise<Response>;

interface Route {
  method: string | string[];
  pattern: RegExp;
  /** who may call it (server/auth/access.ts): checked before the handler runs */
  access: Access | ((url: URL, params: string[]) => Access);
  handler: Handler;
}

/** Ids in paths are server-generated UUIDs or hashes; anything else cannot match a route. */
const ID = '([A-Za-z0-9-]{1,64})';

const trpcRoute: Handler = (ctx, req) => handleTrpc(ctx, req);
const runner = access.machine('runner');
const serving = access.machine('serving');
const query = (name: string) => (url: URL) => url.searchParams.get(name) ?? undefined;

const routes: Route[] = [
  { method: ['GET', 'HEAD'], pattern: /^\/api\/health$/, access: access.public(), handler: async () => json({ ok: true }) },
  { method: 'GET', pattern: /^\/api\/whoami$/, access: access.signedIn(), handler: whoamiHandler },
  { method: 'POST', pattern: /^\/api\/tokens\/login$/, access: access.public(), handler: tokenLoginHandler },
  { method: 'GET', pattern: /^\/api\/login-options$/, access: access.public(), handler: loginOptionsHandler },
  { method: 'POST', pattern: /^\/api\/account\/password$/, access: access.signedIn(), handler: setPasswordHandler },
  { method: 'POST', pattern: /^\/api\/runner\/register$/, access: runner, handler: registerHandler },
  { method: 'POST', pattern: /^\/api\/runner\/claim$/, access: runner, handler: claimHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/heartbeat$`), access: runner, handler: heartbeatHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/events$`), access: runner, handler: eventsHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/complete$`), access: runner, handler: completeHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/release$`), access: runner, handler: releaseHandler },
  { method: 'PUT', pattern: new RegExp(`^/api/runner/runs/${ID}/artifacts/model$`), access: runner, handler: uploadModelHandler },
  { method: 'GET', pattern: new RegExp(`^/api/runner/datasets/${ID}$`), access: runner, handler: datasetDownloadHandler },
  {
    method: 'PUT',
    pattern: /^\/api\/datasets\/?$/,
    access: (url) => access.need('EDIT', on.value('project', { projectName: query('project')(url) }, { create: 'later' })),
    handler: uploadDatasetHandler,
  },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/datasets\/builtin\/([A-Za-z0-9_.%-]{1,200})$/, access: access.signedIn(), handler: builtinDatasetHandler },
  { method: ['GET', 'HEAD'], pattern: new RegExp(`^/api/datasets/${ID}/file$`), access: (_url, [id]) => access.need('READ', on.value('dataset', id)), handler: datasetFileHandler },
  {
    method: ['GET', 'HEAD'],
    pattern: /^\/api\/datasets\/by-hash\/([^/]{1,128})$/,
    access: (url) => access.need('READ', on.value('project', { projectName: query('project')(url) })),
    handler: datasetByHashHandler,
  },
  {
    method: ['GET', 'HEAD'],
    pattern: new RegExp(`^/api/runs/${ID}/artifacts/model$`),
    access: (_url, [id]) => access.need('READ', on.value('run', id)),
    handler: (ctx, _req, id) => downloadModelHandler(ctx, id!),
  },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/serving\/config$/, access: serving, handler: servingConfigHandler },
  { method: ['GET', 'HEAD'], pattern: new RegExp(`^/api/serving/versions/${ID}/package$`), access: serving, handler: servingPackageHandler },
  { method: 'POST', pattern: /^\/api\/serving\/predictions$/, access: serving, handler: predictionBatchHandler },
  { method: 'POST', pattern: /^\/api\/serving\/request-stats$/, access: serving, handler: requestStatsHandler },
  { method: 'POST', pattern: /^\/api\/serving\/feedback$/, access: serving, handler: feedbackBatchHandler },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/monitoring\/metrics$/, access: access.signedIn(), handler: monitoringMetricsHandler },
  // Each procedure checks its own declared permission (server/trpc/trpc.ts); the caller is resolved here.
  { method: ['GET', 'POST'], pattern: /^\/api\/trpc(\/.*)?$/, access: access.public(), handler: trpcRoute },
];

/** Every REST route's method, path pattern and access, for the test that checks each is guarded. */
export const ROUTES: readonly { method: string | string[]; pattern: RegExp; access: Route['access'] }[] = routes;

/** Builds the API over an open database, artifact store and configuration. */
export function createApi(ctx: ApiContext): Api {
  const log = ctx.log ?? ((m: string) => console.error(m));
  return {
    async handleApi(req: Request): Promise<Response> {
      let path: string;
      try {
        path = new URL(req.url).pathname;
      } catch {
        return errorJson('BAD_REQUEST', 'malformed request URL');
      }
      // Sign-in, sessions and single sign-on: better-auth's own routes.
      if (path === '/api/auth' || path.startsWith('/api/auth/')) {
        try {
          return await authRoute(ctx, req);
        } catch (e) {
          return errorResponse(e, log);
        }
      }
      let allowed: string[] = [];
      for (const r of routes) {
        const m = r.pattern.exec(path);
        if (!m) continue;
        const methods = Array.isArray(r.method) ? r.method : [r.method];
        if (!methods.includes(req.method)) {
          allowed = allowed.concat(methods);
          continue;
        }
        try {
          const params = m.slice(1).map((s) => s ?? '');
          const a = typeof r.access === 'function' ? r.access(new URL(req.url), params) : r.access;
          // A public REST route answers whatever credentials come with it (a stale cookie must not
          // break a health check); tRPC's procedures need the caller's credentials checked.
          const lenient = a.kind === 'public' && r.handler !== trpcRoute;
          let authError: unknown;
          const principal =
            lenient || r.handler === trpcRoute
              ? await ctx.authn.authenticate(req).catch((e: unknown) => {
                  authError = e;
                  return null;
                })
              : await ctx.authn.authenticate(req);
          const grant = await authorize(ctx.db, principal, a, undefined, ctx.authOptions);
          return await r.handler({ ...ctx, principal, grant, ...(lenient ? {} : { authError }) }, req, ...params);
        } catch (e) {
          return errorResponse(e, log);
        }
      }
      if (allowed.length) return errorJson('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`, undefined, { allow: [...new Set(allowed)].join(', ') });
      return errorJson('NOT_FOUND', `no API endpoint ${path}`);
    },
  };
}

/**
 * better-auth's routes. A request that rides on a live session cookie (sign-out, password
 * change, session list …) needs the page's anti-forgery header like any other; sign-in itself
 * and the OIDC redirects (navigations) do not.
 */
async function authRoute(ctx: ApiContext, req: Request): Promise<Response> {
  const navigation = req.headers.get('sec-fetch-mode') === 'navigate';
  if (!navigation && /(^|;\s*)(__Secure-)?kiln\.session_token=/.test(req.headers.get('cookie') ?? '')) {
    const s = await ctx.auth.api.getSession({ headers: req.headers });
    if (s && req.headers.get(CSRF_HEADER) !== csrfValue(ctx.authSecret, s.session.token)) return errorJson('CSRF_REQUIRED', "this request carries the session cookie but not the page's anti-forgery header (x-kiln-csrf)");
  }
  return ctx.auth.handler(req);
}
