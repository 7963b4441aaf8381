/**
 * The serving data plane: a lean `node:http` server (no framework) answering TensorFlow
 * Serving's REST API and KServe's V2 protocol for the versions a {@link ModelHost} holds. See
 * docs/serving.md. This file owns the socket and the lifecycle; a request's path is
 * handler.ts and the parts it calls: admission.ts (slots, deadlines), api-keys.ts,
 * model-path.ts (URL → version) and responder.ts (answers, errors through the catalog).
 *
 * Overload is refused at once, from the headers: past `maxConcurrency` requests, past
 * `maxInstancesInFlight` instances, or past an estimated `maxQueueWaitMs` of work ahead → 429
 * with `Retry-After: 1` before the body is read (admission.ts); an admitted prediction's
 * synchronous work runs in slices of `sliceMs` per event-loop turn (work-queue.ts), so
 * `/healthz`, `/readyz` and `/metrics` answer between slices whatever the load. A request that
 * takes longer than `requestTimeoutMs` → 503 with `Retry-After`.
 *
 * `drain()` (SIGTERM in the CLI) is what Kubernetes and TF Serving expect: `/readyz` turns 503
 * at once, the listener keeps accepting for `drainGraceMs` (so load balancers notice and stop
 * sending) while every answer carries `Connection: close`, then the listener closes, requests
 * in flight finish (bodies still arriving included), idle connections are closed, and it
 * resolves.
 *
 * `/metrics` and the request log are served on the serving port only behind `metricsToken`;
 * `adminPort` opens a second listener (loopback by default) that serves only those two.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KilnError } from '../../lib/errors';
import { Admission } from './admission';
import { ApiKeyGate } from './api-keys';
import { ServingHandler } from './handler';
import type { BatchMode } from './loaded-version';
import { ModelHost } from './model-host';
import { RequestLog, ServingMetrics } from './observability';
import { PredictionLog } from './prediction-log';
import { RequestStats } from './request-stats';
import { Responder, type Exchange, type ServingState } from './responder';
import type { PackageSource } from './sources';

export interface ServingServerOptions {
  source: PackageSource;
  /** default 8501 (TF Serving's REST port); 0 picks a free one */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** requests in flight at most; more → 429 (default 256) */
  maxConcurrency?: number;
  /** instances in flight at most, estimated from Content-Length before the body is read; more → 429 (default 4 × maxInstances) */
  maxInstancesInFlight?: number;
  /** the longest a prediction may wait for the work ahead of it, estimated at admission and enforced at its turn; more → 429 (default 20 ms) */
  maxQueueWaitMs?: number;
  /** synchronous prediction work per event-loop turn before health and new requests get their turn (default 2 ms) */
  sliceMs?: number;
  /** how long `drain()` keeps accepting after `/readyz` turned 503 (default 5 s) */
  drainGraceMs?: number;
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
  /** Bearer token for `/metrics` and the request log (`KILN_SERVING_METRICS_TOKEN`); with it they are served on the serving port too */
  metricsToken?: string;
  /** port of the admin listener serving only `/metrics` and the request log (`KILN_SERVING_ADMIN_PORT`; 0 picks a free one); unset: none */
  adminPort?: number;
  /** the admin listener's interface (`KILN_SERVING_ADMIN_HOST`, default 127.0.0.1) */
  adminHost?: string;
  /** the prediction log (when the source has a sink): records held while the control plane is slow (default 20,000), per batch (500), flush interval (1 s) */
  predictionLog?: { capacity?: number; batchSize?: number; flushMs?: number } | false;
  /** how often per-minute request statistics go to the control plane (default 10 s; sent whenever the source has a sink) */
  requestStatsFlushMs?: number;
  log?: (line: string) => void;
}

export interface ServingServer {
  readonly url: string;
  readonly port: number;
  /** the admin listener's base URL, when there is one */
  readonly adminUrl: string | undefined;
  readonly host: ModelHost;
  readonly metrics: ServingMetrics;
  readonly requestLog: RequestLog;
  /** the prediction log, when predictions are logged */
  readonly predictionLog: PredictionLog | null;
  readonly requestStats: RequestStats | null;
  /** the model routes in flight */
  readonly inFlight: number;
  /**
   * `/readyz` → 503 at once, keep accepting for `graceMs` (default: the `drainGraceMs` option)
   * with `Connection: close` on every answer, then stop accepting and finish the requests in
   * flight (at most `timeoutMs` more, default 30 s), stop the source
   */
  drain(timeoutMs?: number, graceMs?: number): Promise<void>;
  /** drain with no grace */
  close(): Promise<void>;
}

/**
 * Starts a serving process on `port`: listens at once (so `/healthz` answers during loading),
 * then applies the source's first config. Resolves when both are done.
 * @throws whatever the source's first `start` throws (e.g. a package that does not load)
 */
export async function createServingServer(opts: ServingServerOptions): Promise<ServingServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxInstances = opts.maxInstances ?? 1000;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const host = new ModelHost({ log, maxInstances, ...(opts.batch ? { batch: opts.batch } : {}), ...(opts.compiled === false ? { compiled: false } : {}) });
  const state: ServingState = { draining: false, sourceStarted: false };
  const maxQueueWaitMs = opts.maxQueueWaitMs ?? 20;
  const admission = new Admission({ maxConcurrency: opts.maxConcurrency ?? 256, maxInstances: opts.maxInstancesInFlight ?? 4 * maxInstances, maxQueueWaitMs, timeoutMs });
  const metrics = new ServingMetrics();
  metrics.inFlightNow = () => admission.inFlight;
  metrics.servedVersions = () => [...host.routes.values()].flatMap((r) => [...r.versions.values()].map((lv) => ({ endpoint: r.name, version: lv.version, manifestCreatedAt: lv.manifest.createdAt })));
  const requestLog = new RequestLog(opts.logCapacity ?? 1000, opts.logSample ?? 0.01);
  const sink = opts.predictionLog === false ? undefined : opts.source.sink;
  const requestStats = opts.source.sink ? new RequestStats({ sink: opts.source.sink, registry: metrics.registry, log, ...(opts.requestStatsFlushMs ? { flushMs: opts.requestStatsFlushMs } : {}) }) : null;
  const responder = new Responder(state, metrics, requestLog, log, requestStats);
  const predictionLog = sink ? new PredictionLog({ sink, registry: metrics.registry, log, ...(opts.predictionLog || {}) }) : null;
  const handler = new ServingHandler({
    host,
    state,
    admission,
    keys: new ApiKeyGate(),
    responder,
    metrics,
    requestLog,
    limits: { maxBodyBytes: opts.maxBodyBytes ?? 4 * 1024 * 1024, maxInstances, maxJsonDepth: opts.maxJsonDepth ?? 32, sliceMs: opts.sliceMs ?? 2, maxQueueWaitMs },
    admin: { token: opts.metricsToken || undefined },
    predictionLog,
    feedback: opts.source.sink ? (endpoint, items) => opts.source.sink!.postFeedback(endpoint, items) : null,
  });

  const server: Server = createServer((req, res) => handler.handle(req, res));
  // Our own per-request timeout answers 503; Node's would cut the socket without an answer.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  // One sweep for every deadline instead of a timer per request.
  // A body still arriving is abandoned; a prediction still running keeps its slot until it ends.
  const timedOut = (ctx: Exchange) => responder.error(ctx, new KilnError('TIMEOUT', `request timed out after ${timeoutMs} ms`));
  const sweep = setInterval(
    () => admission.sweep(performance.now(), timedOut),
    Math.max(10, Math.min(250, timeoutMs / 4)),
  );
  sweep.unref();

  const admin: Server | undefined = opts.adminPort !== undefined ? createServer((req, res) => handler.handleAdmin(req, res)) : undefined;
  if (admin) admin.keepAliveTimeout = 5_000;

  await listen(server, opts.port ?? 8501, opts.host ?? '127.0.0.1', log);
  const port = (server.address() as AddressInfo).port;
  const shownHost = shown(opts.host);
  let adminUrl: string | undefined;
  if (admin) {
    try {
      await listen(admin, opts.adminPort!, opts.adminHost ?? '127.0.0.1', log);
    } catch (e) {
      await new Promise<void>((r) => server.close(() => r()));
      throw e;
    }
    adminUrl = `http://${shown(opts.adminHost)}:${(admin.address() as AddressInfo).port}`;
  }

  const defaultGraceMs = opts.drainGraceMs ?? 5_000;
  let drained: Promise<void> | null = null;
  const shutdown = (timeoutMsDrain: number, graceMs: number): Promise<void> => {
    drained ??= (async () => {
      // Readiness turns false at once; every answer from here on carries Connection: close.
      state.draining = true;
      opts.source.stop();
      // Keep accepting while load balancers notice: a connection refused or reset now would be
      // a failed request, an answer with Connection: close is a request served.
      if (graceMs > 0) await new Promise((r) => setTimeout(r, graceMs));
      const closed = new Promise<void>((r) => server.close(() => r()));
      const adminClosed = admin ? new Promise<void>((r) => admin.close(() => r())) : undefined;
      admin?.closeAllConnections();
      server.closeIdleConnections();
      // Requests in flight finish: those whose bodies are still arriving, those in the work
      // queue and those predicting; each connection closes after its answer (Connection: close).
      // A connection that carried no request since (idle keep-alive) has nothing in flight.
      let allClosed = false;
      void closed.then(() => (allClosed = true));
      const deadline = Date.now() + timeoutMsDrain;
      while (!allClosed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        server.closeIdleConnections();
      }
      server.closeAllConnections();
      await closed;
      await adminClosed;
      clearInterval(sweep);
      // What the requests just finished logged goes out before the process ends.
      await Promise.all([predictionLog?.close(Math.min(5_000, timeoutMsDrain)), requestStats?.close(Math.min(5_000, timeoutMsDrain))]);
      host.close();
    })();
    return drained;
  };

  try {
    await opts.source.start((specs) => {
      metrics.noteVersions(specs);
      return host.apply(specs);
    }, log);
    state.sourceStarted = true;
  } catch (e) {
    await shutdown(0, 0);
    throw e;
  }

  return {
    url: `http://${shownHost}:${port}`,
    port,
    adminUrl,
    host,
    metrics,
    requestLog,
    predictionLog,
    requestStats,
    get inFlight() {
      return admission.inFlight;
    },
    drain: (ms = 30_000, graceMs = defaultGraceMs) => shutdown(ms, graceMs),
    close: () => shutdown(0, 0),
  };
}


function shown(host: string | undefined): string {
  if (!host || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string, log: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new KilnError('SERVE_LISTEN', `cannot listen on ${host}:${port} (${e.code ?? e.message})`)));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => log(`kiln serving: server error: ${e.message}`));
      resolve();
    });
  });
}
