/**
 * Typed HTTP client for the runner protocol (docs/runner-protocol.md). Transient failures
 * (network errors, 5xx, 429) are retried with exponential backoff and jitter for a bounded time,
 * so a server restart pauses a runner instead of killing it. A 401 is fatal (`RunnerAuthError`);
 * a 409 means the run's lease is gone (`LeaseLostError`): the caller abandons the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCode, type ErrorCode } from '../../lib/errors';

export interface RunnerInfo {
  name: string;
  backend: string;
  device: string;
  hostname: string;
  concurrency: number;
  version: string;
}

export interface Registration {
  runnerId: string;
  leaseSeconds: number;
  heartbeatSeconds: number;
}

export interface ClaimedDataset {
  id: string;
  name: string;
  hash: string;
  format: 'csv' | 'json';
  bytes: number;
}

export interface ClaimedRun {
  id: string;
  attempt: number;
  attemptToken: string;
  leaseExpiresAt: string;
  /** the stored graph version the run was queued with (absent from servers before it was sent) */
  graphHash?: string;
  graph: unknown;
  datasets: Record<string, ClaimedDataset>;
  options: { backend?: string; [k: string]: unknown };
}

export interface RunEventIn {
  seq: number;
  type: string;
  payload: unknown;
}

export interface CompleteBody {
  status: 'succeeded' | 'failed' | 'cancelled';
  metrics?: Record<string, number | null>;
  gates?: unknown;
  backend: string;
  device: string;
  error?: string;
}

/** The server refused the runner token (unknown or revoked): the runner cannot go on. */
export class RunnerAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerAuthError';
  }
}

/** The run's lease was lost (expired and re-queued, or completed by another attempt). */
export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

/** Any other non-retryable answer (400, 404, 413 …), with the server's one-line error and catalog code. */
export class RunnerHttpError extends Error {
  constructor(
    readonly status: number,
    /** the answer's catalog code (lib/errors-catalog.ts); undefined when it sent none we know */
    readonly code: ErrorCode | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'RunnerHttpError';
  }
}

export interface RunnerClientOptions {
  /** base URL of the control plane, e.g. http://127.0.0.1:3000 */
  server: string;
  token: string;
  /** how long one call keeps retrying transient failures before giving up (default 120 s) */
  retryForMs?: number;
  /** first backoff delay (default 200 ms); doubles per try up to `maxDelayMs` */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** aborts waits between retries and requests in flight */
  signal?: AbortSignal;
  /** told about each retry, e.g. to log "server unreachable, retrying" once */
  onRetry?: (what: string, attempt: number, reason: string) => void;
  fetch?: typeof fetch;
}

interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  json?: unknown;
  body?: Uint8Array;
  contentType?: string;
  /** per-call retry budget (overrides the client's) */
  retryForMs?: number;
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Exponential backoff with full jitter: a fleet of runners does not hammer a restarting server in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(cap / 2 + random() * (cap / 2));
}

async function errorLine(res: Response): Promise<{ message: string; code?: ErrorCode }> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof j.error === 'string') return { message: j.error, ...(isErrorCode(j.code) ? { code: j.code } : {}) };
  } catch {
    // not JSON: fall back to the raw text
  }
  return { message: text.split('\n')[0]?.slice(0, 300) || res.statusText || `HTTP ${res.status}` };
}

/** One runner's connection to the control plane. */
export class RunnerClient {
  readonly server: string;
  private readonly token: string;
  private readonly retryForMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onRetry: RunnerClientOptions['onRetry'];
  private readonly fetchFn: typeof fetch;

  constructor(o: RunnerClientOptions) {
    this.server = o.server.replace(/\/+$/, '');
    this.token = o.token;
    this.retryForMs = o.retryForMs ?? 120_000;
    this.baseDelayMs = o.baseDelayMs ?? 200;
    this.maxDelayMs = o.maxDelayMs ?? 5_000;
    this.signal = o.signal;
    this.onRetry = o.onRetry;
    this.fetchFn = o.fetch ?? fetch;
  }

  /**
   * Sends one request, retrying transient failures. Resolves with a 2xx response; throws
   * `RunnerAuthError` (401), `LeaseLostError` (409), `RunnerHttpError` (other 4xx, or 5xx once
   * the retry budget is spent) or the network error.
   */
  private async request(o: RequestOptions): Promise<Response> {
    const deadline = Date.now() + (o.retryForMs ?? this.retryForMs);
    const what = `${o.method} ${o.path.split('?')[0]}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let failure: string;
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
        let body: BodyInit | undefined;
        if (o.json !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(o.json);
        } else if (o.body) {
          headers['content-type'] = o.contentType ?? 'application/octet-stream';
          body = o.body as unknown as BodyInit;
        }
        res = await this.fetchFn(`${this.server}${o.path}`, { method: o.method, headers, ...(body !== undefined ? { body } : {}), ...(this.signal ? { signal: this.signal } : {}) });
      } catch (e) {
        if (this.signal?.aborted) throw e;
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        failure = cause?.code ?? cause?.message ?? (e as Error).message;
      }
      if (res) {
        if (res.ok) return res;
        if (res.status === 401) {
          const { message } = await errorLine(res);
          throw new RunnerAuthError(`${this.server} refused the runner token (401: ${message}); create a new token and restart the runner`);
        }
        const { message, code } = await errorLine(res);
        // A 409 is a lost lease when the server says so (or says nothing more): another
        // conflict must not make the runner abandon a run it still holds.
        if (res.status === 409 && (code === undefined || code === 'LEASE_LOST')) throw new LeaseLostError(`${what}: lease lost (${message})`);
        if (!isRetryableStatus(res.status)) throw new RunnerHttpError(res.status, code, `${what} → ${res.status}: ${message}`);
        failure = `${res.status} ${message}`;
        if (Date.now() >= deadline) throw new RunnerHttpError(res.status, code, `${what} → ${res.status}: ${message}`);
      } else if (Date.now() >= deadline) {
        throw new Error(`${what}: cannot reach ${this.server} (${failure!})`);
      }
      this.onRetry?.(what, attempt + 1, failure!);
      const delay = Math.min(backoffDelay(attempt, this.baseDelayMs, this.maxDelayMs), Math.max(0, deadline - Date.now()));
      await sleep(delay, undefined, this.signal ? { signal: this.signal } : undefined);
    }
  }

  private async json<T>(o: RequestOptions): Promise<T> {
    const res = await this.request(o);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** `POST /api/runner/register`. */
  register(info: RunnerInfo): Promise<Registration> {
    return this.json<Registration>({ method: 'POST', path: '/api/runner/register', json: info });
  }

  /**
   * `POST /api/runner/claim`: the next queued run, or null when the queue is empty (204).
   * With `waitSeconds` the server holds the request until a run is queued or the time is up.
   */
  async claim(backends?: string[], waitSeconds = 0): Promise<ClaimedRun | null> {
    const res = await this.request({ method: 'POST', path: `/api/runner/claim${waitSeconds > 0 ? `?wait=${waitSeconds}` : ''}`, json: backends ? { backends } : {} });
    if (res.status === 204) return null;
    const text = await res.text();
    if (!text) return null;
    return (JSON.parse(text) as { run: ClaimedRun | null }).run ?? null;
  }

  /** `POST /api/runner/runs/:id/heartbeat`: renews the lease; tells whether a cancel was asked for. */
  heartbeat(runId: string, attemptToken: string, retryForMs?: number): Promise<{ leaseExpiresAt: string; cancelRequested: boolean }> {
    return this.json({ method: 'POST', path: `/api/runner/runs/${encodeURIComponent(runId)}/heartbeat`, json: { attemptToken }, ...(retryForMs !== undefined ? { retryForMs } : {}) });
  }

  /** `POST /api/runner/runs/:id/events`: re-sent seqs are ignored by the server, so retries are safe. */
  postEvents(runId: string, attemptToken: string, events: RunEventIn[]): Promise<{ accepted: number }> {
    return this.json({ method: 'POST', path: `/api/runner/runs/${encodeURIComponent(runId)}/events`, json: { attemptToken, events } });
  }

  /** `PUT /api/runner/runs/:id/artifacts/model`: the zipped model package. */
  uploadModel(runId: string, attemptToken: string, zip: Uint8Array): Promise<{ artifactId: string; bytes: number; sha256: string }> {
    return this.json({
      method: 'PUT',
      path: `/api/runner/runs/${encodeURIComponent(runId)}/artifacts/model?attemptToken=${encodeURIComponent(attemptToken)}`,
      body: zip,
      contentType: 'application/zip',
    });
  }

  /** `POST /api/runner/runs/:id/complete` (idempotent for the same attempt token). */
  complete(runId: string, attemptToken: string, body: CompleteBody): Promise<{ status: string }> {
    return this.json({ method: 'POST', path: `/api/runner/runs/${encodeURIComponent(runId)}/complete`, json: { attemptToken, ...body } });
  }

  /** `POST /api/runner/runs/:id/release`: hands the run back to the queue without using up an attempt. */
  async release(runId: string, attemptToken: string, reason: string): Promise<void> {
    await this.request({ method: 'POST', path: `/api/runner/runs/${encodeURIComponent(runId)}/release`, json: { attemptToken, reason } });
  }

  /** `GET /api/runner/datasets/:id`: the dataset file as a streamed response. */
  downloadDataset(datasetId: string): Promise<Response> {
    return this.request({ method: 'GET', path: `/api/runner/datasets/${encodeURIComponent(datasetId)}` });
  }
}
