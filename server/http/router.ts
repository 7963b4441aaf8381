/**
 * The HTTP API as one web-standard function: `handleApi(Request) → Response`. Kiln's own server
 * (server/main.ts) and Next's route files (app/api/…) both call it, so there is one
 * implementation of every endpoint.
 */
import type { ApiContext } from './context';
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
import { servingConfigHandler, servingPackageHandler } from './serving-routes';
import { handleTrpc } from './trpc-handler';

export interface Api {
  handleApi(req: Request): Promise<Response>;
}

type Handler = (ctx: ApiContext, req: Request, ...params: string[]) => Promise<Response>;

interface Route {
  method: string | string[];
  pattern: RegExp;
  handler: Handler;
}

/** Ids in paths are server-generated UUIDs or hashes; anything else cannot match a route. */
const ID = '([A-Za-z0-9-]{1,64})';

const routes: Route[] = [
  { method: ['GET', 'HEAD'], pattern: /^\/api\/health$/, handler: async () => json({ ok: true }) },
  { method: 'POST', pattern: /^\/api\/runner\/register$/, handler: registerHandler },
  { method: 'POST', pattern: /^\/api\/runner\/claim$/, handler: claimHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/heartbeat$`), handler: heartbeatHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/events$`), handler: eventsHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/complete$`), handler: completeHandler },
  { method: 'POST', pattern: new RegExp(`^/api/runner/runs/${ID}/release$`), handler: releaseHandler },
  { method: 'PUT', pattern: new RegExp(`^/api/runner/runs/${ID}/artifacts/model$`), handler: uploadModelHandler },
  { method: 'GET', pattern: new RegExp(`^/api/runner/datasets/${ID}$`), handler: datasetDownloadHandler },
  { method: 'PUT', pattern: /^\/api\/datasets\/?$/, handler: uploadDatasetHandler },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/datasets\/builtin\/([A-Za-z0-9_.%-]{1,200})$/, handler: builtinDatasetHandler },
  { method: ['GET', 'HEAD'], pattern: new RegExp(`^/api/datasets/${ID}/file$`), handler: datasetFileHandler },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/datasets\/by-hash\/([^/]{1,128})$/, handler: datasetByHashHandler },
  { method: ['GET', 'HEAD'], pattern: new RegExp(`^/api/runs/${ID}/artifacts/model$`), handler: (ctx, _req, id) => downloadModelHandler(ctx, id!) },
  { method: ['GET', 'HEAD'], pattern: /^\/api\/serving\/config$/, handler: servingConfigHandler },
  { method: ['GET', 'HEAD'], pattern: new RegExp(`^/api/serving/versions/${ID}/package$`), handler: servingPackageHandler },
  { method: ['GET', 'POST'], pattern: /^\/api\/trpc(\/.*)?$/, handler: (ctx, req) => handleTrpc(ctx, req) },
];

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
          return await r.handler(ctx, req, ...m.slice(1).map((s) => s ?? ''));
        } catch (e) {
          return errorResponse(e, log);
        }
      }
      if (allowed.length) return errorJson('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`, undefined, { allow: [...new Set(allowed)].join(', ') });
      return errorJson('NOT_FOUND', `no API endpoint ${path}`);
    },
  };
}
