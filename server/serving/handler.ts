/**
 * The serving process's request path: TF Serving's REST API, KServe V2 and the health,
 * metrics and request-log routes, over the versions a {@link ModelHost} holds. Everything a
 * request touches is here or in the parts it calls (admission, API keys, model paths, the
 * responder); the server (server.ts) only owns the sockets and the lifecycle.
 *
 * Browsers: an endpoint answers CORS (preflights included) for the origins its policy lists and
 * no other; nothing but the model routes ever carries a CORS header. `/metrics` and the request
 * log are operator routes: on the serving port only with the metrics token, else only on the
 * admin listener (`handleAdmin`).
 *
 * Methods, not closures per request: `handle` allocates one exchange and one parsed path, plus
 * the two callbacks of a prediction (body read, predict done).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { KilnError } from '../../lib/errors';
import { ADMITTED, estimateInstances, overloadMessages, type Admission } from './admission';
import type { ApiKeyGate } from './api-keys';
import { parseJsonBody, readBody } from './body';
import { openApiDocument, tfMetadata, v2Metadata } from './metadata';
import { parseModelPath, pickVersion, type ModelPath } from './model-path';
import type { EndpointPolicy, ModelHost, Route } from './model-host';
import type { RequestLog, ServingMetrics } from './observability';
import { checkerFor, newPredictionId, predictionIds, rejectAnomalies, type PredictionLog } from './prediction-log';
import type { LoadedVersion } from './loaded-version';
import { tfRequestRecords, tfResponse, v2RequestRecords, v2Response } from './protocol';
import { feedbackBodySchema, MAX_PREDICTION_ID } from './log-protocol';
import { formatIssuePath } from '../../lib/package/manifest';
import { newExchange, overloadAnswer, RETRY, type Exchange, type OverloadAnswer, type Responder, type ServingState } from './responder';
import { WorkQueue } from './work-queue';

/** The answer to a CORS preflight from an allowed origin (its `allow-origin` is added per request). */
const CORS_PREFLIGHT = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, x-api-key, x-request-id',
  'access-control-max-age': '600',
  vary: 'origin',
  'content-length': '0',
};

/** Who may read `/metrics` and the request log. */
export interface AdminAccess {
  /**
   * `Authorization: Bearer <token>` needed on every listener (`KILN_SERVING_METRICS_TOKEN`). With
   * it the serving port answers them too; without it only the admin listener does, since the
   * serving port is the one apps and browsers reach.
   */
  token: string | undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export interface HandlerLimits {
  maxBodyBytes: number;
  maxInstances: number;
  maxJsonDepth: number;
  /** synchronous prediction work per turn of the event loop, ms */
  sliceMs: number;
  /** a read body waits at most this long for its turn, ms */
  maxQueueWaitMs: number;
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
  admin: AdminAccess;
  /** where predictions are logged (serving connected to a control plane); null: not logged */
  predictionLog: PredictionLog | null;
  /** forwards feedback to the control plane; null: `:feedback` is not served */
  feedback: ((endpoint: string, items: { id: string; actual: number | string | boolean }[]) => Promise<unknown>) | null;
}

/** Longest client prediction id: room is left for `/N` suffixes within the log's limit. */
const MAX_CLIENT_ID = MAX_PREDICTION_ID - 10;

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
  private readonly adminOnMain: boolean;
  private readonly adminToken: Buffer | null;
  /** prediction bodies waiting for their slice of the event loop */
  readonly work: WorkQueue<Exchange>;
  /** admission's refusals, indexed by its reason */
  private readonly refusals: OverloadAnswer[];
  private readonly predictionLog: PredictionLog | null;
  private readonly feedbackTo: HandlerParts['feedback'];

  constructor(p: HandlerParts) {
    this.host = p.host;
    this.state = p.state;
    this.admission = p.admission;
    this.keys = p.keys;
    this.out = p.responder;
    this.metrics = p.metrics;
    this.requestLog = p.requestLog;
    this.predictionLog = p.predictionLog;
    this.feedbackTo = p.feedback;
    this.maxBodyBytes = p.limits.maxBodyBytes;
    this.maxInstances = p.limits.maxInstances;
    this.maxDepth = p.limits.maxJsonDepth;
    this.adminOnMain = p.admin.token !== undefined;
    this.adminToken = p.admin.token !== undefined ? sha256(p.admin.token) : null;
    this.work = new WorkQueue<Exchange>(
      (ctx) => this.runPrediction(ctx),
      (ctx, waited) => this.shed(ctx, waited),
      p.limits.sliceMs,
      p.limits.maxQueueWaitMs,
    );
    this.admission.rate = this.work;
    const m = overloadMessages(this.admission.limits);
    this.refusals = [overloadAnswer(''), overloadAnswer(m[1]), overloadAnswer(m[2]), overloadAnswer(m[3])];
  }

  get ready(): boolean {
    return this.state.sourceStarted && !this.state.draining && this.host.ready;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ctx = newExchange(req.method ?? 'GET', path, res);
    try {
      if (req.method === 'OPTIONS') return this.preflight(req, ctx, path);
      if (path.startsWith('/v1/models/')) return this.v1(req, ctx, path.slice(11));
      if (path.startsWith('/v2/models/')) return this.v2(req, ctx, path.slice(11));
      if (this.adminOnMain && this.admin(req, ctx, path)) return;
      this.plain(ctx, path);
    } catch (e) {
      this.out.error(ctx, e);
      this.admission.release(ctx);
    }
  }

  /** The admin listener: `/metrics` and the request log, nothing else. */
  handleAdmin(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ctx = newExchange(req.method ?? 'GET', path, res);
    try {
      // Without a token, a name in Host is how a DNS-rebinding page would reach a loopback port.
      if (!this.adminToken && !hostIsAddress(req.headers.host)) throw new KilnError('HOST_NOT_ALLOWED', `Host "${req.headers.host ?? ''}" is refused on the admin port: use its IP address or localhost, or set KILN_SERVING_METRICS_TOKEN`);
      if (!this.admin(req, ctx, path)) throw new KilnError('NOT_FOUND', `unknown path ${path}: the admin port serves /metrics and /v1/requests/recent`);
    } catch (e) {
      this.out.error(ctx, e);
    }
  }

  /** `/metrics` and `/v1/requests/recent` behind the token, when one is set; false for any other path. */
  private admin(req: IncomingMessage, ctx: Exchange, path: string): boolean {
    if (path !== '/metrics' && path !== '/v1/requests/recent') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new KilnError('METHOD_NOT_ALLOWED', `${path} takes GET, not ${req.method}`, {}, { headers: { allow: 'GET' } });
    if (this.adminToken) {
      const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(sha256(m[1]!), this.adminToken)) throw new KilnError('UNAUTHORIZED', `${path} needs the metrics token: send "Authorization: Bearer <KILN_SERVING_METRICS_TOKEN>"`, {}, { headers: { 'www-authenticate': 'Bearer' } });
    }
    if (path === '/metrics') {
      this.metrics.registry.metrics().then(
        (text) => {
          if (ctx.sent) return;
          ctx.sent = true;
          ctx.res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
          ctx.res.end(text);
        },
        (e: unknown) => this.out.error(ctx, e),
      );
    } else this.out.json(ctx, 200, { sample: this.requestLog.sample, capacity: this.requestLog.capacity, requests: this.requestLog.recent() });
    return true;
  }

  /**
   * A CORS preflight: 204 with the CORS headers when the endpoint's policy lists the origin,
   * else 403 without them (the browser then refuses the call). Only model routes have one.
   */
  private preflight(req: IncomingMessage, ctx: Exchange, path: string): void {
    let name = '';
    if (path.startsWith('/v1/models/')) name = parseModelPath(path.slice(11), true).name;
    else if (path.startsWith('/v2/models/')) name = parseModelPath(path.slice(11), false).name;
    const policy = name ? this.host.policies.get(name) : undefined;
    if (!policy || !this.host.routes.has(name)) throw new KilnError('NOT_FOUND', name ? `model "${name}": not found` : `unknown path ${path}`);
    const origin = req.headers.origin;
    if (!origin || !policy.corsOrigins.has(origin)) throw new KilnError('CORS_NOT_ALLOWED', `origin ${origin ?? '(none)'} may not call endpoint "${name}" from a browser; add it to the endpoint's CORS origins`);
    ctx.sent = true;
    ctx.res.writeHead(204, { ...CORS_PREFLIGHT, 'access-control-allow-origin': origin });
    ctx.res.end();
  }

  /** Health and readiness; `/metrics` and the log only say where they are served. */
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
      case '/v1/requests/recent':
        throw new KilnError('NOT_FOUND', `${path} is not served on this port: set KILN_SERVING_METRICS_TOKEN to serve it here behind that token, or KILN_SERVING_ADMIN_PORT for a separate listener`);
      default:
        throw new KilnError('NOT_FOUND', `unknown path ${path}`);
    }
  }

  /**
   * The endpoint's route, once its policy lets this request in: CORS headers for an allowed
   * origin first (so a browser can read even a 401), then the API key. Every
   * `/v1/models/NAME…` and `/v2/models/NAME…` route goes through here.
   */
  private routeOf(req: IncomingMessage, ctx: Exchange, name: string): Route {
    if (!name) throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
    const r = this.host.routes.get(name);
    const policy = this.host.policies.get(name);
    // No policy: the newest config no longer has the endpoint, even if its versions still drain.
    if (!r || !policy) throw new KilnError('NOT_FOUND', `model "${name}": not found`);
    ctx.endpoint = name;
    const origin = req.headers.origin;
    if (origin !== undefined) allowOrigin(ctx.res, policy, origin);
    const e = this.keys.check(req.headers, policy);
    if (e) throw e;
    return r;
  }

  /** `/v1/models/NAME[/versions/N|/labels/L][:predict|/metadata]`, `/v1/models/NAME/openapi.json`. */
  private v1(req: IncomingMessage, ctx: Exchange, rest: string): void {
    const p = parseModelPath(rest, true);
    const route = this.routeOf(req, ctx, p.name);
    if (p.verb) {
      if (p.tail) throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
      if (p.verb !== 'predict' && p.verb !== 'feedback') throw new KilnError('NOT_FOUND', `:${p.verb} is not supported; use :predict or :feedback`);
      if (req.method !== 'POST') throw new KilnError('METHOD_NOT_ALLOWED', `:${p.verb} takes POST, not ${req.method}`, {}, { headers: { allow: 'POST' } });
      if (p.verb === 'feedback') this.feedback(req, ctx, route.name);
      else this.predict(req, ctx, route, p, true);
      return;
    }
    if (req.method !== 'GET') throw new KilnError('METHOD_NOT_ALLOWED', `${ctx.path} takes GET, not ${req.method}`, {}, { headers: { allow: 'GET' } });
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
      this.out.json(ctx, 200, openApiDocument(name, lv.manifest, { ...(hostHeader ? { serverUrl: `http://${hostHeader}` } : {}), secured: this.host.policies.get(name)?.access === 'keys' }));
    } else throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
  }

  /** KServe V2: `/v2/models/NAME[/versions/N][/infer|/ready]`. */
  private v2(req: IncomingMessage, ctx: Exchange, rest: string): void {
    const p = parseModelPath(rest, false);
    const route = this.routeOf(req, ctx, p.name);
    if (p.tail === 'infer') {
      if (req.method !== 'POST') throw new KilnError('METHOD_NOT_ALLOWED', `infer takes POST, not ${req.method}`, {}, { headers: { allow: 'POST' } });
      this.predict(req, ctx, route, p, false);
      return;
    }
    if (req.method !== 'GET') throw new KilnError('METHOD_NOT_ALLOWED', `${ctx.path} takes GET, not ${req.method}`, {}, { headers: { allow: 'GET' } });
    const lv = pickVersion(route, p);
    ctx.version = String(lv.version);
    const name = route.name;
    if (p.tail === '') this.out.json(ctx, 200, v2Metadata(name, p.version !== undefined ? [lv.version] : [...route.versions.keys()].sort((a, b) => a - b), lv.manifest));
    else if (p.tail === 'ready') this.out.json(ctx, 200, { name, ready: !lv.isDisposed });
    else throw new KilnError('NOT_FOUND', `unknown path ${ctx.path}`);
  }

  /**
   * The hot path (the key was checked by `routeOf`): version, then admission from the headers
   * alone (a refused body is never read or parsed), then the body, then its turn in the work
   * queue.
   */
  private predict(req: IncomingMessage, ctx: Exchange, route: Route, p: ModelPath, tf: boolean): void {
    if (tf) {
      const rid = req.headers['x-request-id'];
      if (typeof rid === 'string' && rid !== '') {
        if (rid.length > MAX_CLIENT_ID) throw new KilnError('BAD_REQUEST', `X-Request-Id: at most ${MAX_CLIENT_ID} characters, got ${rid.length}`, { param: 'X-Request-Id' });
        ctx.requestId = rid;
      }
    }
    const lv = pickVersion(route, p);
    ctx.version = String(lv.version);
    const refused = this.admission.admit(ctx, lv, estimateInstances(req.headers['content-length'], lv.bytesPerInstance, this.maxInstances));
    // Refused: answered now; Node discards the unread body without parsing it.
    if (refused !== ADMITTED) return this.out.overloaded(ctx, this.refusals[refused]!);
    ctx.tf = tf;
    readBody(req, this.maxBodyBytes, (err, buf) => {
      if (ctx.released) return; // timed out while the body was being read
      if (err) {
        this.out.error(ctx, err);
        this.admission.release(ctx);
        return;
      }
      ctx.body = buf;
      this.work.submit(ctx);
    });
  }

  /** A read body's turn: parse, validate, predict (synchronous on the compiled path). */
  private runPrediction(ctx: Exchange): void {
    const buf = ctx.body!;
    ctx.body = null;
    if (ctx.released) return; // timed out while it waited
    const lv = ctx.lv!;
    const tf = ctx.tf;
    let id: string | undefined;
    let records: unknown[];
    try {
      const body = parseJsonBody(buf, this.maxDepth);
      if (tf) records = tfRequestRecords(body, lv.manifest.inputSchema, this.maxInstances);
      else {
        ({ records, id } = v2RequestRecords(body, lv.manifest.inputSchema, this.maxInstances));
        if (id !== undefined && (id.length === 0 || id.length > MAX_CLIENT_ID)) throw new KilnError('BAD_REQUEST', `id: 1 to ${MAX_CLIENT_ID} characters, got ${id.length}`, { path: 'id' });
      }
      // Anomalies the endpoint's settings turn into 400s (soft ones are otherwise only tagged).
      const reject = this.host.policies.get(ctx.endpoint)?.rejectAnomalies;
      if (reject !== undefined && reject.size > 0) rejectAnomalies(records, checkerFor(lv.manifest), reject, ctx.endpoint);
    } catch (e) {
      this.out.error(ctx, e);
      this.admission.release(ctx);
      return;
    }
    this.admission.resize(ctx, records.length);
    lv.learnBytes(buf.length, records.length);
    ctx.instances = records.length;
    ctx.working = true;
    lv.predict(records, (e, preds) => {
      if (e) {
        this.out.error(ctx, e);
        this.admission.release(ctx);
        return;
      }
      // Every answer names its prediction id: the client's, else a new one.
      const base = (tf ? ctx.requestId : id) || newPredictionId();
      // Logged as answered before the answer is written: a client that reads it and then asks
      // for the log up to "now" finds it in the window, however the two processes are scheduled.
      const answeredAt = this.predictionLog !== null ? Date.now() : 0;
      if (tf) this.out.send(ctx, 200, tfResponse(lv.manifest, preds!), ['x-request-id', base]);
      else this.out.send(ctx, 200, v2Response(lv.manifest, ctx.endpoint, lv.version, preds!, base));
      this.admission.release(ctx);
      const log = this.predictionLog;
      if (log !== null) {
        const rate = this.host.policies.get(ctx.endpoint)?.sampleRate ?? 1;
        if (rate >= 1 || Math.random() < rate) logPredictions(log, this.metrics, ctx.endpoint, lv, base, records, preds!, answeredAt, performance.now() - ctx.t0, tf && records.length === 1 ? singleInstanceBytes(buf) : null);
      }
    });
  }

  /**
   * `POST /v1/models/NAME:feedback` `{"feedback": [{"id": …, "actual": …}]}`: forwarded to the
   * control plane, whose answer (`accepted`, `unknown`, `unknownIds`) is returned as it is.
   */
  private feedback(req: IncomingMessage, ctx: Exchange, name: string): void {
    const forward = this.feedbackTo;
    if (!forward) throw new KilnError('NOT_FOUND', ':feedback is served only when serving takes its endpoints from a control plane (kiln serving --server)');
    readBody(req, this.maxBodyBytes, (err, buf) => {
      if (err) return this.out.error(ctx, err);
      let items;
      try {
        const r = feedbackBodySchema.safeParse(parseJsonBody(buf!, this.maxDepth));
        if (!r.success) {
          const i = r.error.issues[0]!;
          throw new KilnError('BAD_REQUEST', `${formatIssuePath(i.path) || 'body'}: ${i.message}`, { path: formatIssuePath(i.path) });
        }
        items = r.data.feedback;
      } catch (e) {
        return this.out.error(ctx, e);
      }
      forward(name, items).then(
        (answer) => this.out.json(ctx, 200, answer),
        (e: unknown) => this.out.error(ctx, e),
      );
    });
  }

  /** A body that waited behind more work than the queue bound: 429, never run. */
  private shed(ctx: Exchange, waitedMs: number): void {
    ctx.body = null;
    if (ctx.released) return;
    this.out.error(ctx, new KilnError('OVERLOADED', `${Math.round(waitedMs)} ms of work ran ahead of it while it waited for its turn, over the ${this.work.maxWaitMs} ms limit; retry later`));
    this.admission.release(ctx);
  }
}

/** `{"instances":[` and `]}`: a one-instance TF Serving body as clients (and wrk) send it compactly. */
const INSTANCES_OPEN = Buffer.from('{"instances":[');
const CLOSE_BRACKETS = 0x5d7d; // "]}"

/**
 * The bytes of the one instance of a compact `{"instances":[{…}]}` body (already parsed, so they
 * are exactly that instance's JSON), or null for any other shape — then the record is serialised.
 */
function singleInstanceBytes(buf: Buffer): Uint8Array | null {
  const n = buf.length;
  if (n < INSTANCES_OPEN.length + 4 || buf[INSTANCES_OPEN.length] !== 0x7b /* { */ || buf.readUInt16BE(n - 2) !== CLOSE_BRACKETS) return null;
  if (buf.compare(INSTANCES_OPEN, 0, INSTANCES_OPEN.length, 0, INSTANCES_OPEN.length) !== 0) return null;
  return buf.subarray(INSTANCES_OPEN.length, n - 2);
}

const endpointJson = new Map<string, string>();

/**
 * Queues one log record per instance. Each record's JSON is written in parts: the fields
 * serving made (strings built here, the endpoint's name escaped once) and the instance — copied
 * byte for byte from the request body when it came as one compact instance, else serialised.
 */
function logPredictions(log: PredictionLog, metrics: ServingMetrics, endpoint: string, lv: LoadedVersion, base: string, records: unknown[], preds: unknown[], time: number, latencyMs: number, rawInstance: Uint8Array | null): void {
  let ep = endpointJson.get(endpoint);
  if (ep === undefined) {
    ep = JSON.stringify(endpoint);
    if (endpointJson.size > 10_000) endpointJson.clear();
    endpointJson.set(endpoint, ep);
  }
  const ids = predictionIds(base, records.length);
  const check = checkerFor(lv.manifest);
  const common = `{"endpoint":${ep},"version":${lv.version},"time":${time},"latencyMs":${latencyMs},"id":`;
  const version = String(lv.version);
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as Record<string, unknown>;
    const anomalies = check(rec);
    metrics.observeAnomalies(endpoint, version, anomalies);
    const head = `${common}${JSON.stringify(ids[i])},"anomalies":${anomalies.length ? JSON.stringify(anomalies) : '[]'},"outputs":${JSON.stringify(preds[i]) ?? 'null'},"inputs":`;
    if (rawInstance !== null) log.addParts(head, rawInstance, '}');
    else log.addParts(head, null, `${JSON.stringify(rec)}}`);
  }
}

/** A browser calling from `origin` may read this answer when the endpoint lists the origin. */
function allowOrigin(res: ServerResponse, policy: EndpointPolicy, origin: string): void {
  res.setHeader('vary', 'origin');
  if (policy.corsOrigins.has(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
}

/** `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`: a Host no DNS-rebinding page can send. */
function hostIsAddress(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d+$/, '');
  return name === 'localhost' || isIP(name) !== 0;
}
