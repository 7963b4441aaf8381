/**
 * The serving process's request path: TF Serving's REST API, KServe V2 and the health,
 * metrics and request-log routes, over the versions a {@link ModelHost} holds. Everything a
 * request touches is here or in the parts it calls (admission, API keys, model paths, the
 * responder); the server (server.ts) only owns the socket and the lifecycle.
 *
 * Methods, not closures per request: `handle` allocates one exchange and one parsed path, plus
 * the two callbacks of a prediction (body read, predict done).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KilnError } from '../../lib/errors';
import type { Admission } from './admission';
import type { ApiKeyGate } from './api-keys';
import { parseJsonBody, readBody } from './body';
import { openApiDocument, tfMetadata, v2Metadata } from './metadata';
import { parseModelPath, pickVersion, type ModelPath } from './model-path';
import type { ModelHost, Route } from './model-host';
import type { RequestLog, ServingMetrics } from './observability';
import { tfRequestRecords, tfResponse, v2RequestRecords, v2Response } from './protocol';
import { newExchange, RETRY, type Exchange, type Responder, type ServingState } from './responder';

/** The answer to a CORS preflight: any origin may POST JSON with an API key. */
const CORS_PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, x-api-key',
  'access-control-max-age': '600',
  'content-length': '0',
};

export interface HandlerLimits {
  maxBodyBytes: number;
  maxInstances: number;
  maxJsonDepth: number;
}

export interface HandlerParts {
  host: ModelHost;
  state: ServingState;
  admission: Admission;
  keys: ApiKeyGate;
  responder: Responder;
  metrics: ServingMetrics;
  requestLog: RequestLog;
  limits: HandlerLimits;
}

export class ServingHandler {
  private readonly host: ModelHost;
  private readonly state: ServingState;
  private readonly admission: Admission;
  private readonly keys: ApiKeyGate;
  private readonly out: Responder;
  private readonly metrics: ServingMetrics;
  private readonly requestLog: RequestLog;
  private readonly maxBodyBytes: number;
  private readonly maxInstances: number;
  private readonly maxDepth: number;

  constructor(p: HandlerParts) {
    this.host = p.host;
    this.state = p.state;
    this.admission = p.admission;
    this.keys = p.keys;
    this.out = p.responder;
    this.metrics = p.metrics;
    this.requestLog = p.requestLog;
    this.maxBodyBytes = p.limits.maxBodyBytes;
    this.maxInstances = p.limits.maxInstances;
    this.maxDepth = p.limits.maxJsonDepth;
  }

  get ready(): boolean {
    return this.state.sourceStarted && !this.state.draining && this.host.ready;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ctx = newExchange(req.method ?? 'GET', path, res);
    // Browsers (the studio's "try it" form, web apps) call from other origins; keys, not origins, guard endpoints.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      ctx.sent = true;
      res.writeHead(204, CORS_PREFLIGHT);
      res.end();
      return;
    }
    try {
      if (path.startsWith('/v1/models/')) return this.v1(req, ctx, path.slice(11));
      if (path.startsWith('/v2/models/')) return this.v2(req, ctx, path.slice(11));
      this.plain(ctx, path);
    } catch (e) {
      this.out.error(ctx, e);
      this.admission.release(ctx);
    }
  }

  /** Health, readiness, metrics and the request log. */
  private plain(ctx: Exchange, path: string): void {
    switch (path) {
      case '/healthz':
      case '/v2/health/live':
        return this.out.json(ctx, 200, path === '/healthz' ? { status: 'ok' } : { live: true });
      case '/readyz':
      case '/v2/health/ready': {
        const ok = this.ready;
        const why = this.state.draining ? 'draining' : !this.state.sourceStarted || !this.host.ready ? 'no model loaded yet' : '';
        return this.out.send(ctx, ok ? 200 : 503, JSON.stringify(path === '/readyz' ? { status: ok ? 'ready' : why } : { ready: ok }), ok ? undefined : RETRY);
      }
      case '/v2':
        return this.out.json(ctx, 200, { name: 'kiln', version: '1', extensions: [] });
      case '/metrics':
        this.metrics.registry.metrics().then(
          (text) => {
            if (ctx.sent) return;
            ctx.sent = true;
            ctx.res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
            ctx.res.end(text);
          },
          (e: unknown) => this.out.error(ctx, e),
        );
        return;
      case '/v1/requests/recent':
        return this.out.json(ctx, 200, { sample: this.requestLog.sample, capacity: this.requestLog.capacity, requests: this.requestLog.recent() });
      default:
        throw new KilnError('NOT_FOUND', `unknown path ${path}`);
    }
  }

  private routeOf(ctx: Exchange, name: string): Route {
    if (!name) throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
    const r = this.host.routes.get(name);
    if (!r) throw new KilnError('NOT_FOUND', `model "${name}": not found`);
    ctx.endpoint = name;
    return r;
  }

  private checkKey(req: IncomingMessage, route: Route): void {
    const e = this.keys.check(req.headers, route);
    if (e) throw e;
  }

  /** `/v1/models/NAME[/versions/N|/labels/L][:predict|/metadata]`, `/v1/models/NAME/openapi.json`. */
  private v1(req: IncomingMessage, ctx: Exchange, rest: string): void {
    const p = parseModelPath(rest, true);
    const route = this.routeOf(ctx, p.name);
    if (p.verb) {
      if (p.tail) throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
      if (p.verb !== 'predict') throw new KilnError('NOT_FOUND', `:${p.verb} is not supported; use :predict`);
      if (req.method !== 'POST') throw new KilnError('METHOD_NOT_ALLOWED', `:predict takes POST, not ${req.method}`, {}, { headers: { allow: 'POST' } });
      this.predict(req, ctx, route, p, true);
      return;
    }
    if (req.method !== 'GET') throw new KilnError('METHOD_NOT_ALLOWED', `${ctx.path} takes GET, not ${req.method}`, {}, { headers: { allow: 'GET' } });
    this.checkKey(req, route);
    const name = route.name;
    if (p.tail === '') {
      let statuses = this.host.versionStatus(name);
      if (p.version !== undefined || p.label !== undefined) {
        const v = p.label !== undefined ? pickVersion(route, p).version : Number(p.version);
        statuses = statuses.filter((s) => s.version === v);
        if (statuses.length === 0) throw new KilnError('NOT_FOUND', `model "${name}" version ${p.version}: not found`);
      }
      this.out.json(ctx, 200, {
        model_version_status: statuses.map((s) => ({
          version: String(s.version),
          state: s.state,
          status: { error_code: s.error ? 'UNKNOWN' : 'OK', error_message: s.error },
        })),
      });
      return;
    }
    const lv = pickVersion(route, p);
    ctx.version = String(lv.version);
    if (p.tail === 'metadata') this.out.json(ctx, 200, tfMetadata(name, lv.version, lv.manifest));
    else if (p.tail === 'openapi.json') {
      const hostHeader = req.headers.host;
      this.out.json(ctx, 200, openApiDocument(name, lv.manifest, { ...(hostHeader ? { serverUrl: `http://${hostHeader}` } : {}), secured: route.keyHashes.size > 0 }));
    } else throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
  }

  /** KServe V2: `/v2/models/NAME[/versions/N][/infer|/ready]`. */
  private v2(req: IncomingMessage, ctx: Exchange, rest: string): void {
    const p = parseModelPath(rest, false);
    const route = this.routeOf(ctx, p.name);
    if (p.tail === 'infer') {
      if (req.method !== 'POST') throw new KilnError('METHOD_NOT_ALLOWED', `infer takes POST, not ${req.method}`, {}, { headers: { allow: 'POST' } });
      this.predict(req, ctx, route, p, false);
      return;
    }
    if (req.method !== 'GET') throw new KilnError('METHOD_NOT_ALLOWED', `${ctx.path} takes GET, not ${req.method}`, {}, { headers: { allow: 'GET' } });
    this.checkKey(req, route);
    const lv = pickVersion(route, p);
    ctx.version = String(lv.version);
    const name = route.name;
    if (p.tail === '') this.out.json(ctx, 200, v2Metadata(name, p.version !== undefined ? [lv.version] : [...route.versions.keys()].sort((a, b) => a - b), lv.manifest));
    else if (p.tail === 'ready') this.out.json(ctx, 200, { name, ready: !lv.isDisposed });
    else throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
  }

  /** The hot path: key, version, slot, body, records, prediction. */
  private predict(req: IncomingMessage, ctx: Exchange, route: Route, p: ModelPath, tf: boolean): void {
    this.checkKey(req, route);
    const lv = pickVersion(route, p);
    ctx.version = String(lv.version);
    this.admission.admit(ctx, lv);
    readBody(req, this.maxBodyBytes, (err, buf) => {
      if (ctx.released) return; // timed out while the body was being read
      let id: string | undefined;
      let records: unknown[];
      try {
        if (err) throw err;
        const body = parseJsonBody(buf!, this.maxDepth);
        if (tf) records = tfRequestRecords(body, lv.manifest.inputSchema, this.maxInstances);
        else ({ records, id } = v2RequestRecords(body, lv.manifest.inputSchema, this.maxInstances));
      } catch (e) {
        this.out.error(ctx, e);
        this.admission.release(ctx);
        return;
      }
      ctx.instances = records.length;
      ctx.working = true;
      lv.predict(records, (e, preds) => {
        if (e) this.out.error(ctx, e);
        else this.out.send(ctx, 200, tf ? tfResponse(lv.manifest, preds!) : v2Response(lv.manifest, route.name, lv.version, preds!, id));
        this.admission.release(ctx);
      });
    });
  }
}
