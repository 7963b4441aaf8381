/**
 * Writing answers for the serving process: one `send` for every status (so metrics and the
 * request log see every answer) and one `error` that answers any thrown value through the error
 * catalog (lib/errors-catalog.ts) in TF Serving's `{"error": "..."}` shape, plus its `code`.
 */
import type { ServerResponse } from 'node:http';
import { errorAnswer, errorStack } from '../../lib/errors';
import type { LoadedVersion } from './loaded-version';
import type { RequestLog, ServingMetrics } from './observability';
import type { RequestStats } from './request-stats';

/** One request on its way through the server (one object per request, fixed shape). */
export interface Exchange {
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
  /** instances admission counts for it: estimated from Content-Length, then the parsed count */
  cost: number;
  /** when its read body was queued for work (performance.now) */
  queuedAt: number;
  /** a prediction's body, read and waiting for its turn */
  body: Buffer | null;
  /** TF Serving (`true`) or KServe V2 (`false`) prediction */
  tf: boolean;
  /** the client's `X-Request-Id` (TF Serving routes), else '' */
  requestId: string;
}

/** A fresh exchange for `res`; every field set so all exchanges share one hidden class. */
export function newExchange(method: string, path: string, res: ServerResponse): Exchange {
  return { t0: performance.now(), method, path, endpoint: '', version: '', instances: 0, sent: false, lv: null, released: false, deadline: 0, res, close: false, working: false, cost: 0, queuedAt: 0, body: null, tf: true, requestId: '' };
}

/** What the server shares with its parts: flipped by `drain()`, read on every answer. */
export interface ServingState {
  draining: boolean;
  sourceStarted: boolean;
}

const JSON_TYPE = 'application/json';
export const RETRY: readonly string[] = ['retry-after', '1'];

export class Responder {
  constructor(
    private readonly state: ServingState,
    private readonly metrics: ServingMetrics,
    private readonly requestLog: RequestLog,
    private readonly log: (line: string) => void,
    /** per-minute statistics for the control plane (none without one) */
    private readonly stats: RequestStats | null = null,
  ) {}

  /** Answers once (later calls for the same exchange do nothing), then counts and logs it; `error` is the log's error line (else read from the body). */
  send(ctx: Exchange, status: number, body: string, extra?: readonly string[], error?: string): void {
    if (ctx.sent) return;
    ctx.sent = true;
    const res = ctx.res;
    const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))];
    if (this.state.draining || ctx.close) headers.push('connection', 'close');
    if (extra) for (const h of extra) headers.push(h);
    if (!res.destroyed) {
      res.writeHead(status, headers);
      res.end(body);
    }
    if (ctx.endpoint) {
      const ms = performance.now() - ctx.t0;
      this.metrics.observe(ctx.endpoint, ctx.version, status, ms / 1000);
      this.stats?.observe(ctx.endpoint, ctx.version, status, ms);
    }
    if (this.requestLog.wants(status)) {
      this.requestLog.add({
        at: new Date().toISOString(),
        method: ctx.method,
        path: ctx.path,
        endpoint: ctx.endpoint,
        version: ctx.version,
        status,
        ms: Math.round((performance.now() - ctx.t0) * 1000) / 1000,
        ...(ctx.instances ? { instances: ctx.instances } : {}),
        ...(status >= 400 ? { error: error ?? errorText(body) } : {}),
      });
    }
  }

  json(ctx: Exchange, status: number, value: unknown): void {
    this.send(ctx, status, JSON.stringify(value));
  }

  /**
   * Answers a thrown value with its catalog status and code. 429 and 503 carry `Retry-After`;
   * a 413 closes the connection (the rest of the body is never read). Anything that is not a
   * `KilnError` is a 500 whose stack goes to the log, never to the client.
   */
  error(ctx: Exchange, e: unknown): void {
    const a = errorAnswer(e);
    if (a.internal || a.status === 500) log500(this.log, ctx, e);
    if (a.status === 413) ctx.close = true;
    const headers = a.headers ? Object.entries(a.headers).flat() : a.status === 429 || a.status === 503 ? RETRY : undefined;
    // An unexpected failure keeps its first line, as before the catalog: it is what a caller can report.
    const message = a.internal ? `internal error: ${firstLine(e)}` : a.message;
    // Extras name what the message names, for programs (e.g. a rejected anomaly's index, column and value).
    this.send(ctx, a.status, JSON.stringify({ ...a.extra, error: message, code: a.code }), headers, message);
  }

  /** A prebuilt 429 (see {@link overloadAnswer}): no error object, no serialisation. */
  overloaded(ctx: Exchange, answer: OverloadAnswer): void {
    this.send(ctx, 429, answer.body, RETRY, answer.message);
  }
}

/** A 429 built once: its message and its body in the catalog's shape. */
export interface OverloadAnswer {
  message: string;
  body: string;
}

export function overloadAnswer(message: string): OverloadAnswer {
  return { message, body: JSON.stringify({ error: message, code: 'OVERLOADED' }) };
}

function log500(log: (line: string) => void, ctx: Exchange, e: unknown): void {
  log(`kiln serving: internal error on ${ctx.method} ${ctx.path}: ${errorStack(e)}`);
}

function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0]!;
}

/** The `error` line of an answer body, for the request log. */
export function errorText(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: unknown }).error;
    return typeof e === 'string' ? e : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
