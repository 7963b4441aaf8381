/**
 * The serving data plane: a lean `node:http` server (no framework; a request's whole path is
 * the code in this file) answering TensorFlow Serving's REST API and KServe's V2 protocol for
 * the versions a {@link ModelHost} holds. See docs/serving.md.
 *
 * Overload is answered, never queued: past `maxConcurrency` requests in flight → 429 with
 * `Retry-After: 1` at once; a request that takes longer than `requestTimeoutMs` → 503 with
 * `Retry-After`. `drain()` (SIGTERM in the CLI) stops accepting, turns `/readyz` to 503 and
 * finishes the requests in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KilnError } from '../../lib/errors';
import { parseJsonBody, readBody, ServingError } from './body';
import type { BatchMode, LoadedVersion } from './loaded-version';
import { openApiDocument, tfMetadata, v2Metadata } from './metadata';
import { ModelHost, sha256Hex, type Route } from './model-host';
import { RequestLog, ServingMetrics } from './observability';
import { tfRequestRecords, tfResponse, v2RequestRecords, v2Response } from './protocol';
import type { PackageSource } from './sources';

export interface ServingServerOptions {
  source: PackageSource;
  /** default 8501 (TF Serving's REST port); 0 picks a free one */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** requests in flight at most; more → 429 (default 256) */
  maxConcurrency?: number;
  /** request body cap → 413 (default 4 MiB) */
  maxBodyBytes?: number;
  /** instances per request → 413 (default 1000) */
  maxInstances?: number;
  /** → 503 with Retry-After (default 10 s) */
  requestTimeoutMs?: number;
  /** JSON nesting → 400 (default 32) */
  maxJsonDepth?: number;
  /** fraction of successful requests kept in the recent-requests log (default 0.01; the CLI passes `KILN_SERVING_LOG_SAMPLE`) */
  logSample?: number;
  /** size of the recent-requests ring (default 1000) */
  logCapacity?: number;
  batch?: BatchMode;
  /** false: always predict with tfjs (default: the compiled forward pass where possible) */
  compiled?: boolean;
  log?: (line: string) => void;
}

export interface ServingServer {
  readonly url: string;
  readonly port: number;
  readonly host: ModelHost;
  readonly metrics: ServingMetrics;
  readonly requestLog: RequestLog;
  /** the model routes in flight */
  readonly inFlight: number;
  /** stop accepting, answer /readyz 503, finish requests in flight (at most `timeoutMs`, default 30 s), stop the source */
  drain(timeoutMs?: number): Promise<void>;
  /** drain with no grace */
  close(): Promise<void>;
}

interface Ctx {
  t0: number;
  method: string;
  path: string;
  endpoint: string;
  version: string;
  instances: number;
  sent: boolean;
  /** holds a concurrency slot and a version ref until released */
  lv: LoadedVersion | null;
  released: boolean;
  deadline: number;
  res: ServerResponse;
  close: boolean;
  /** the prediction has started (it keeps its slot until it ends, even after a timeout) */
  working: boolean;
}

const JSON_TYPE = 'application/json';
const RETRY = ['retry-after', '1'];
/** The answer to a CORS preflight: any origin may POST JSON with an API key. */
const CORS_PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, x-api-key',
  'access-control-max-age': '600',
  'content-length': '0',
};

/** A path segment, URL-decoded; undefined when malformed. */
function decode(s: string): string | undefined {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * Starts a serving process on `port`: listens at once (so `/healthz` answers during loading),
 * then applies the source's first config. Resolves when both are done.
 * @throws whatever the source's first `start` throws (e.g. a package that does not load)
 */
export async function createServingServer(opts: ServingServerOptions): Promise<ServingServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxConcurrency = opts.maxConcurrency ?? 256;
  const maxBodyBytes = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxInstances = opts.maxInstances ?? 1000;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const maxDepth = opts.maxJsonDepth ?? 32;
  const host = new ModelHost({ log, maxInstances, ...(opts.batch ? { batch: opts.batch } : {}), ...(opts.compiled === false ? { compiled: false } : {}) });
  const metrics = new ServingMetrics();
  metrics.inFlightNow = () => inFlight;
  const requestLog = new RequestLog(opts.logCapacity ?? 1000, opts.logSample ?? 0.01);
  const pending = new Set<Ctx>();
  let inFlight = 0;
  let draining = false;
  let sourceStarted = false;
  /** API keys already checked per route: sha256 is the cost on every request otherwise. */
  const goodKeys = new WeakMap<Route, Set<string>>();

  const release = (ctx: Ctx) => {
    if (ctx.released) return;
    ctx.released = true;
    pending.delete(ctx);
    if (ctx.lv) {
      ctx.lv.release();
      inFlight--;
    }
  };

  const send = (ctx: Ctx, status: number, body: string, extra?: string[]) => {
    if (ctx.sent) return;
    ctx.sent = true;
    const res = ctx.res;
    const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))];
    if (draining || ctx.close) headers.push('connection', 'close');
    if (extra) for (const h of extra) headers.push(h);
    if (!res.destroyed) {
      res.writeHead(status, headers);
      res.end(body);
    }
    if (ctx.endpoint) {
      const s = (performance.now() - ctx.t0) / 1000;
      metrics.observe(ctx.endpoint, ctx.version, status, s);
    }
    if (requestLog.wants(status)) {
      requestLog.add({
        at: new Date().toISOString(),
        method: ctx.method,
        path: ctx.path,
        endpoint: ctx.endpoint,
        version: ctx.version,
        status,
        ms: Math.round((performance.now() - ctx.t0) * 1000) / 1000,
        ...(ctx.instances ? { instances: ctx.instances } : {}),
        ...(status >= 400 ? { error: errorText(body) } : {}),
      });
    }
  };

  const sendError = (ctx: Ctx, e: unknown) => {
    if (e instanceof ServingError) {
      if (e.status === 413) ctx.close = true; // the rest of the body is never read
      send(ctx, e.status, JSON.stringify({ error: e.message }), e.headers ? Object.entries(e.headers).flat() : e.status === 429 || e.status === 503 ? RETRY : undefined);
    } else if (e instanceof KilnError) {
      send(ctx, 400, JSON.stringify({ error: e.message }));
    } else {
      log(`kiln serving: internal error on ${ctx.method} ${ctx.path}: ${(e as Error)?.stack ?? String(e)}`);
      send(ctx, 500, JSON.stringify({ error: `internal error: ${((e as Error)?.message ?? String(e)).split('\n')[0]}` }));
    }
  };

  const json = (ctx: Ctx, status: number, value: unknown) => send(ctx, status, JSON.stringify(value));

  /** 401/403 per docs/serving.md; undefined when the key is fine. */
  const authError = (req: IncomingMessage, route: Route): ServingError | undefined => {
    if (route.keyHashes.size === 0) return undefined;
    const auth = req.headers.authorization;
    const key = auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : (req.headers['x-api-key'] as string | undefined);
    if (!key) return new ServingError(401, `endpoint "${route.name}" needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"`, { 'www-authenticate': 'Bearer' });
    let ok = goodKeys.get(route);
    if (ok?.has(key)) return undefined;
    if (!route.keyHashes.has(sha256Hex(key))) return new ServingError(403, `endpoint "${route.name}": API key not accepted`);
    if (!ok) goodKeys.set(route, (ok = new Set()));
    ok.add(key);
    return undefined;
  };

  const routeOf = (name: string): Route => {
    const r = host.routes.get(name);
    if (!r) throw new ServingError(404, `model "${name}": not found`);
    return r;
  };

  /** The version a request names, or the routed one. */
  const pick = (route: Route, sel: { version?: string; label?: string }): LoadedVersion => {
    if (sel.version !== undefined) {
      const n = /^\d+$/.test(sel.version) ? Number(sel.version) : NaN;
      const lv = route.versions.get(n);
      if (!lv) throw new ServingError(404, `model "${route.name}" version ${sel.version}: not found (available: ${[...route.versions.keys()].sort((a, b) => a - b).join(', ') || 'none'})`);
      return lv;
    }
    if (sel.label !== undefined) {
      const lv = route.labels.get(sel.label);
      if (!lv) throw new ServingError(404, `model "${route.name}" label "${sel.label}": not found (labels: ${[...route.labels.keys()].join(', ') || 'none'})`);
      return lv;
    }
    const lv = route.split ? route.split.pick() : route.default;
    if (!lv) throw new ServingError(503, `model "${route.name}": no version is available yet`);
    return lv;
  };

  const predict = (req: IncomingMessage, ctx: Ctx, route: Route, sel: { version?: string; label?: string }, kind: 'tf' | 'v2') => {
    const ae = authError(req, route);
    if (ae) throw ae;
    const lv = pick(route, sel);
    ctx.version = String(lv.version);
    if (inFlight >= maxConcurrency) throw new ServingError(429, `over the limit of ${maxConcurrency} requests in flight; retry later`);
    inFlight++;
    lv.acquire();
    ctx.lv = lv;
    ctx.deadline = ctx.t0 + timeoutMs;
    pending.add(ctx);
    readBody(req, maxBodyBytes, (err, buf) => {
      if (ctx.released) return; // timed out while the body was being read
      let id: string | undefined;
      let records: unknown[];
      try {
        if (err) throw err;
        const body = parseJsonBody(buf!, maxDepth);
        if (kind === 'tf') records = tfRequestRecords(body, lv.manifest.inputSchema, maxInstances);
        else ({ records, id } = v2RequestRecords(body, lv.manifest.inputSchema, maxInstances));
      } catch (e) {
        sendError(ctx, e);
        release(ctx);
        return;
      }
      ctx.instances = records.length;
      ctx.working = true;
      lv.predict(records, (e, preds) => {
        if (e) sendError(ctx, e);
        else send(ctx, 200, kind === 'tf' ? tfResponse(lv.manifest, preds!) : v2Response(lv.manifest, route.name, lv.version, preds!, id));
        release(ctx);
      });
    });
  };

  /** `/v1/models/NAME[/versions/N|/labels/L][:predict|/metadata]`, `/v1/models/NAME/openapi.json`. */
  const v1 = (req: IncomingMessage, ctx: Ctx, rest: string) => {
    let verb = '';
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      verb = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
    const seg = rest.split('/');
    const name = decode(seg[0]!);
    if (!name) throw new ServingError(404, `unknown path ${ctx.path}`);
    ctx.endpoint = host.routes.has(name) ? name : '';
    const route = routeOf(name);
    const sel: { version?: string; label?: string } = {};
    let i = 1;
    if (seg[i] === 'versions' && seg[i + 1] !== undefined) {
      sel.version = seg[i + 1];
      i += 2;
    } else if (seg[i] === 'labels' && seg[i + 1] !== undefined) {
      sel.label = decode(seg[i + 1]!) ?? '';
      i += 2;
    }
    const tail = seg.slice(i).join('/');
    if (verb) {
      if (tail) throw new ServingError(404, `unknown path ${ctx.path}`);
      if (verb !== 'predict') throw new ServingError(404, `:${verb} is not supported; use :predict`);
      if (req.method !== 'POST') throw new ServingError(405, `:predict takes POST, not ${req.method}`, { allow: 'POST' });
      predict(req, ctx, route, sel, 'tf');
      return;
    }
    if (req.method !== 'GET') throw new ServingError(405, `${ctx.path} takes GET, not ${req.method}`, { allow: 'GET' });
    const ae = authError(req, route);
    if (ae) throw ae;
    if (tail === '') {
      let statuses = host.versionStatus(name);
      if (sel.version !== undefined || sel.label !== undefined) {
        const v = sel.label !== undefined ? pick(route, sel).version : Number(sel.version);
        statuses = statuses.filter((s) => s.version === v);
        if (statuses.length === 0) throw new ServingError(404, `model "${name}" version ${sel.version}: not found`);
      }
      json(ctx, 200, {
        model_version_status: statuses.map((s) => ({
          version: String(s.version),
          state: s.state,
          status: { error_code: s.error ? 'UNKNOWN' : 'OK', error_message: s.error },
        })),
      });
      return;
    }
    const lv = pick(route, sel);
    ctx.version = String(lv.version);
    if (tail === 'metadata') json(ctx, 200, tfMetadata(name, lv.version, lv.manifest));
    else if (tail === 'openapi.json') {
      const hostHeader = req.headers.host;
      json(ctx, 200, openApiDocument(name, lv.manifest, { ...(hostHeader ? { serverUrl: `http://${hostHeader}` } : {}), secured: route.keyHashes.size > 0 }));
    } else throw new ServingError(404, `unknown path ${ctx.path}`);
  };

  /** KServe V2: `/v2/models/NAME[/versions/N][/infer|/ready]`. */
  const v2 = (req: IncomingMessage, ctx: Ctx, rest: string) => {
    const seg = rest.split('/');
    const name = decode(seg[0]!);
    if (!name) throw new ServingError(404, `unknown path ${ctx.path}`);
    ctx.endpoint = host.routes.has(name) ? name : '';
    const route = routeOf(name);
    const sel: { version?: string } = {};
    let i = 1;
    if (seg[i] === 'versions' && seg[i + 1] !== undefined) {
      sel.version = seg[i + 1];
      i += 2;
    }
    const tail = seg.slice(i).join('/');
    if (tail === 'infer') {
      if (req.method !== 'POST') throw new ServingError(405, `infer takes POST, not ${req.method}`, { allow: 'POST' });
      predict(req, ctx, route, sel, 'v2');
      return;
    }
    if (req.method !== 'GET') throw new ServingError(405, `${ctx.path} takes GET, not ${req.method}`, { allow: 'GET' });
    const ae = authError(req, route);
    if (ae) throw ae;
    const lv = pick(route, sel);
    ctx.version = String(lv.version);
    if (tail === '') json(ctx, 200, v2Metadata(name, sel.version !== undefined ? [lv.version] : [...route.versions.keys()].sort((a, b) => a - b), lv.manifest));
    else if (tail === 'ready') json(ctx, 200, { name, ready: !lv.isDisposed });
    else throw new ServingError(404, `unknown path ${ctx.path}`);
  };

  const ready = () => sourceStarted && !draining && host.ready;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ctx: Ctx = { t0: performance.now(), method: req.method ?? 'GET', path, endpoint: '', version: '', instances: 0, sent: false, lv: null, released: false, deadline: 0, res, close: false, working: false };
    // Browsers (the studio's "try it" form, web apps) call from other origins; keys, not origins, guard endpoints.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      ctx.sent = true;
      res.writeHead(204, CORS_PREFLIGHT);
      res.end();
      return;
    }
    try {
      if (path.startsWith('/v1/models/')) return v1(req, ctx, path.slice(11));
      if (path.startsWith('/v2/models/')) return v2(req, ctx, path.slice(11));
      switch (path) {
        case '/healthz':
        case '/v2/health/live':
          return json(ctx, 200, path === '/healthz' ? { status: 'ok' } : { live: true });
        case '/readyz':
        case '/v2/health/ready': {
          const ok = ready();
          const why = draining ? 'draining' : !sourceStarted || !host.ready ? 'no model loaded yet' : '';
          return send(ctx, ok ? 200 : 503, JSON.stringify(path === '/readyz' ? { status: ok ? 'ready' : why } : { ready: ok }), ok ? undefined : RETRY);
        }
        case '/v2':
          return json(ctx, 200, { name: 'kiln', version: '1', extensions: [] });
        case '/metrics':
          metrics.registry.metrics().then(
            (text) => {
              if (ctx.sent) return;
              ctx.sent = true;
              res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
              res.end(text);
            },
            (e: unknown) => sendError(ctx, e),
          );
          return;
        case '/v1/requests/recent':
          return json(ctx, 200, { sample: requestLog.sample, capacity: requestLog.capacity, requests: requestLog.recent() });
        default:
          throw new ServingError(404, `unknown path ${path}`);
      }
    } catch (e) {
      sendError(ctx, e);
      release(ctx);
    }
  };

  const server: Server = createServer(handle);
  // Our own per-request timeout answers 503; Node's would cut the socket without an answer.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  // One sweep for every deadline instead of a timer per request.
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const ctx of pending) {
        if (ctx.deadline > now || ctx.sent) continue;
        ctx.close = true;
        send(ctx, 503, JSON.stringify({ error: `request timed out after ${timeoutMs} ms` }), RETRY);
        // A body still arriving is abandoned; a prediction still running keeps its slot until it ends.
        if (!ctx.working) release(ctx);
      }
    },
    Math.max(10, Math.min(250, timeoutMs / 4)),
  );
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new KilnError('SERVE_LISTEN', `cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 8501} (${e.code ?? e.message})`)));
    server.listen(opts.port ?? 8501, opts.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      server.on('error', (e) => log(`kiln serving: server error: ${e.message}`));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = !opts.host || opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;

  const shutdown = async (timeoutMsDrain: number) => {
    if (!draining) {
      draining = true;
      opts.source.stop();
    }
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    const deadline = Date.now() + timeoutMsDrain;
    while (inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      server.closeIdleConnections();
    }
    server.closeAllConnections();
    await closed;
    clearInterval(sweep);
    host.close();
  };

  try {
    await opts.source.start((specs) => host.apply(specs), log);
    sourceStarted = true;
  } catch (e) {
    await shutdown(0);
    throw e;
  }

  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    metrics,
    requestLog,
    get inFlight() {
      return inFlight;
    },
    drain: (ms = 30_000) => shutdown(ms),
    close: () => shutdown(0),
  };
}

function errorText(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: unknown }).error;
    return typeof e === 'string' ? e : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
