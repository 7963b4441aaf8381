/**
 * Where a serving process gets its endpoints: one package directory (`kiln serve DIR`), or the
 * control plane's serving config (`kiln serving --server URL`), long-polled and applied to the host.
 */
import type { FeedbackResult } from './log-protocol';
import type { PredictionSink } from './prediction-log';
import type { RequestStatsSink } from './request-stats';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { readPackageDir } from '../../lib/package/node';
import { validatePackage } from '../../lib/package/validate';
import { KilnError } from '../../lib/errors';
import { readPackageZip } from '../../lib/package/zip';
import type { ApplyReport, EndpointSpec } from './model-host';

/** Something that hands endpoint configs to a host, now and whenever they change. */
export interface PackageSource {
  /** shown in logs */
  readonly description: string;
  /** where logged predictions, feedback and request statistics go (the control plane); none: predictions are not logged */
  readonly sink?: PredictionSink & RequestStatsSink;
  /**
   * Applies the first config and resolves once it is applied (rejects when there is none to
   * serve); later changes are applied in the background until `stop`.
   */
  start(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<void>;
  stop(): void;
}

/**
 * One package directory served as endpoint NAME (default: the manifest's model name), version 1.
 * The directory is read once at start.
 */
export class DirSource implements PackageSource {
  readonly description: string;
  /** the endpoint name, known after `start` */
  name: string | undefined;

  constructor(
    private readonly dir: string,
    name?: string,
  ) {
    this.name = name;
    this.description = `package directory ${dir}`;
  }

  async start(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>): Promise<void> {
    const files = await readPackageDir(this.dir);
    const v = validatePackage(files);
    if (!v.ok) throw new KilnError(v.error.code, `${this.dir}: ${v.error.message}`, { ...v.error.where, file: this.dir });
    const name = this.name ?? v.manifest.name;
    this.name = name;
    const report = await apply([
      { name, model: v.manifest.name, access: 'public', keyHashes: [], corsOrigins: [], versions: [{ version: 1, aliases: [], key: 'dir', load: async () => files }], default: 1, traffic: [] },
    ]);
    if (report.failed.length > 0) throw new KilnError('SERVE_LOAD', `${this.dir}: ${report.failed[0]!.error}`, { file: this.dir });
  }

  stop(): void {}
}

/** docs/serving.md's `GET /api/serving/config` answer. */
export interface ServingConfig {
  revision: number;
  /** the studio's origins: every endpoint answers browser calls from them */
  studioOrigins: string[];
  endpoints: {
    name: string;
    model: string;
    access: 'public' | 'keys';
    keyHashes: string[];
    corsOrigins: string[];
    /** `createdAt`: when the version was registered (absent from control planes before alerts) */
    versions: { version: number; sha256: string; url: string; aliases: string[]; createdAt?: string }[];
    default: number;
    traffic: { version: number; weight: number }[];
    /** absent from control planes before the prediction log: log everything */
    log?: { sampleRate: number };
    /** absent from older control planes: none */
    rejectAnomalies?: string[];
  }[];
}

export interface ControlPlaneSourceOptions {
  /** control plane base URL, e.g. http://127.0.0.1:3000 */
  server: string;
  /** machine token (the kind runners use) */
  token: string;
  /**
   * pause between polls when the control plane answers at once (it does not long-poll, or
   * failed), and before retrying after an error (default 2 s)
   */
  pollMs?: number;
  /** longest a long poll waits for a change, in seconds (default 25, the control plane's cap) */
  waitS?: number;
  /** this replica's id in the control plane's `serving_replicas` (default host-pid-random) */
  replicaId?: string;
  /** cap on a package zip and on what it unzips to (default 1 GiB) */
  maxPackageBytes?: number;
  fetch?: typeof fetch;
}

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

function isConfig(x: unknown): x is ServingConfig {
  if (!x || typeof x !== 'object') return false;
  const c = x as Partial<ServingConfig>;
  return Number.isInteger(c.revision) && isStrings(c.studioOrigins) && Array.isArray(c.endpoints) && c.endpoints.every((e) =>
    e && typeof e.name === 'string' && typeof e.model === 'string' && (e.access === 'public' || e.access === 'keys') && isStrings(e.keyHashes) && isStrings(e.corsOrigins)
    && Array.isArray(e.versions) && Array.isArray(e.traffic) && typeof e.default === 'number'
    && e.versions.every((v) => v && Number.isInteger(v.version) && typeof v.sha256 === 'string' && typeof v.url === 'string' && Array.isArray(v.aliases)));
}

/** A replica id the control plane accepts: this host, this process, and a random part. */
export function defaultReplicaId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 60) || 'serving';
  return `${host}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * Endpoints from the control plane. The first config is fetched at once; after that the source
 * long-polls `GET /api/serving/config?after=REV&replica=ID`, which answers as soon as the
 * revision moves past the one applied (or after `waitS` with 304). A new config's policies
 * (access, keys, origins) are in force as soon as it is handed to the host, so the next poll,
 * sent straight away, reports it applied: that report is what a key revocation waits for.
 * Versions load in the background meanwhile; one that failed is retried after 30 s.
 * Packages are downloaded from each version's URL and checked against its sha256 before they
 * are unzipped.
 */
export class ControlPlaneSource implements PackageSource {
  readonly description: string;
  readonly replicaId: string;
  private stopped = false;
  private readonly abort = new AbortController();
  private applied: { revision: number; etag: string | null } | undefined;
  private last: ServingConfig | undefined;
  /** the latest apply; only its report decides the retry */
  private applying: Promise<ApplyReport> | undefined;
  private retryAt = 0;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ControlPlaneSourceOptions) {
    this.description = `control plane ${opts.server}`;
    this.fetch = opts.fetch ?? fetch;
    this.replicaId = opts.replicaId ?? defaultReplicaId();
  }

  /** The revision whose policies are in force here (undefined before the first config). */
  get appliedRevision(): number | undefined {
    return this.applied?.revision;
  }

  private url(p: string): string {
    return new URL(p, this.opts.server.endsWith('/') ? this.opts.server : `${this.opts.server}/`).toString();
  }

  private async get(p: string, etag?: string | null, timeoutMs = 60_000): Promise<Response> {
    let res: Response;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}` };
      if (etag) headers['if-none-match'] = etag;
      res = await this.fetch(this.url(p), { headers, signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]) });
    } catch (e) {
      throw new KilnError('SERVING_CONFIG', `cannot reach ${this.opts.server} (${(e as Error).message})`);
    }
    if (res.status === 401 || res.status === 403) throw new KilnError('SERVING_AUTH', `${this.opts.server} refused the token (${res.status})`);
    if (res.status === 304) return res;
    if (!res.ok) throw new KilnError('SERVING_CONFIG', `GET ${p}: ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`);
    return res;
  }

  private async download(url: string, sha256: string): Promise<Map<string, Uint8Array>> {
    const res = await this.get(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const max = this.opts.maxPackageBytes ?? 1 << 30;
    if (bytes.byteLength > max) throw new KilnError('PACKAGE_TOO_LARGE', `${url}: ${bytes.byteLength} bytes is over ${max}`);
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256.toLowerCase()) throw new KilnError('PACKAGE_CHECKSUM', `${url}: sha256 ${got} does not match the registry's ${sha256}`);
    try {
      return readPackageZip(bytes, { maxUnzippedBytes: max, maxZipEntries: 10_000 }).files;
    } catch (e) {
      throw new KilnError('BAD_PACKAGE', `${url}: ${(e as Error).message}`);
    }
  }

  private toSpecs(c: ServingConfig): EndpointSpec[] {
    return c.endpoints.map((e) => ({
      name: e.name,
      model: e.model,
      access: e.access,
      keyHashes: e.keyHashes,
      // The studio's own pages call every endpoint (its "try it" form).
      corsOrigins: [...new Set([...e.corsOrigins, ...c.studioOrigins])],
      default: e.default,
      traffic: e.traffic,
      logSampleRate: typeof e.log?.sampleRate === 'number' ? e.log.sampleRate : 1,
      rejectAnomalies: Array.isArray(e.rejectAnomalies) ? e.rejectAnomalies.filter((c): c is string => typeof c === 'string') : [],
      versions: e.versions.map((v) => ({ version: v.version, aliases: v.aliases, key: v.sha256, load: () => this.download(v.url, v.sha256), ...(typeof v.createdAt === 'string' ? { createdAt: v.createdAt } : {}) })),
    }));
  }

  /** Hands `c` to the host (its policies take effect now) and watches its report for failed loads. */
  private hand(c: ServingConfig, apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void, announce: boolean): Promise<ApplyReport> {
    const run = apply(this.toSpecs(c));
    this.applying = run;
    this.retryAt = 0;
    void run.then(
      (report) => {
        if (this.applying !== run) return;
        this.retryAt = report.failed.length > 0 ? Date.now() + 30_000 : 0;
        if (announce) log(`kiln serving: config ${c.revision} applied: ${c.endpoints.length} endpoint(s)${report.failed.length ? `, ${report.failed.length} version(s) failed to load` : ''}`);
      },
      (e: unknown) => log(`kiln serving: config ${c.revision}: ${(e as Error).message}`),
    );
    return run;
  }

  /**
   * One poll: the first fetches at once, later ones long-poll from the applied revision. Hands a
   * changed config to the host, and the last one again when a failed version's retry is due.
   * Returns whether it handed one over.
   */
  async poll(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<boolean> {
    if (this.last && this.retryAt !== 0 && Date.now() >= this.retryAt) {
      this.hand(this.last, apply, log, false);
      return true;
    }
    const id = encodeURIComponent(this.replicaId);
    let path = `/api/serving/config?replica=${id}`;
    if (this.applied) {
      // Wake up in time for a due retry, else wait as long as the control plane lets us.
      const retryS = this.retryAt ? Math.max(0, Math.ceil((this.retryAt - Date.now()) / 1000)) : Infinity;
      const waitS = Math.min(this.opts.waitS ?? 25, retryS);
      path = `/api/serving/config?after=${this.applied.revision}&replica=${id}&wait=${waitS}`;
    }
    const res = await this.get(path, this.applied?.etag, ((this.opts.waitS ?? 25) + 30) * 1000);
    if (res.status === 304) return false;
    const body: unknown = await res.json();
    if (!isConfig(body)) throw new KilnError('SERVING_CONFIG', `${this.opts.server}/api/serving/config: not a serving config`);
    const etag = res.headers.get('etag');
    if (this.applied && body.revision === this.applied.revision && etag === this.applied.etag) return false;
    this.last = body;
    this.applied = { revision: body.revision, etag };
    this.hand(body, apply, log, true);
    return true;
  }

  async start(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<void> {
    try {
      await this.poll(apply, log);
      await this.applying;
    } catch (e) {
      // A refused token will not fix itself; an unreachable or starting server might.
      if (e instanceof KilnError && e.code === 'SERVING_AUTH') throw e;
      log(`kiln serving: ${(e as Error).message}; retrying`);
    }
    void this.loop(apply, log);
  }

  private async loop(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<void> {
    const pollMs = this.opts.pollMs ?? 2000;
    while (!this.stopped) {
      const t0 = Date.now();
      let pause = 0;
      try {
        // A new config: poll again at once, which reports it applied.
        if (!(await this.poll(apply, log))) pause = pollMs - (Date.now() - t0);
      } catch (e) {
        if (this.stopped) return;
        log(`kiln serving: ${(e as Error).message}`);
        pause = pollMs;
      }
      // A control plane that answers "no change" at once (no long poll) is polled every pollMs.
      if (pause > 0 && !this.stopped) await sleep(pause, this.abort.signal);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  /** POSTs JSON to the control plane; a refused or failed call throws with its status and message. */
  private async post(p: string, body: unknown, timeoutMs = 30_000): Promise<unknown> {
    return this.postRaw(p, JSON.stringify(body), timeoutMs);
  }

  /**
   * POSTs a body with node:http rather than fetch: a prediction-log batch of a few hundred KB
   * cost fetch ~10 µs of serving's CPU per record (web streams), node:http a fraction of that.
   * A test's injected `fetch` is used when there is one.
   */
  private async postRaw(p: string, body: string | Uint8Array, timeoutMs = 30_000): Promise<unknown> {
    const headers = { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json' };
    let status: number;
    let text: string;
    try {
      if (this.opts.fetch) {
        const res = await this.fetch(this.url(p), { method: 'POST', headers, body: body as string | Uint8Array<ArrayBuffer>, signal: AbortSignal.timeout(timeoutMs) });
        status = res.status;
        text = await res.text().catch(() => '');
      } else ({ status, text } = await postNode(this.url(p), headers, body, timeoutMs));
    } catch (e) {
      throw new KilnError('SERVING_CONFIG', `cannot reach ${this.opts.server} (${(e as Error).message})`);
    }
    if (status < 200 || status > 299) {
      let err: { error?: string; code?: string } = {};
      try {
        err = JSON.parse(text) as typeof err;
      } catch {
        // not the catalog's shape: keep the text
      }
      throw new KilnError(status === 404 && err.code === 'ENDPOINT_NOT_FOUND' ? 'ENDPOINT_NOT_FOUND' : 'SERVING_CONFIG', `POST ${p}: ${status} ${(err.error ?? text).slice(0, 200)}`, {}, { extra: { upstreamStatus: status } });
    }
    return JSON.parse(text) as unknown;
  }

  /** The prediction log's sink: batches to `POST /api/serving/predictions`, feedback to `POST /api/serving/feedback`. */
  readonly sink: PredictionSink & RequestStatsSink = {
    postPredictions: async (body) => {
      await this.postRaw('/api/serving/predictions', body);
    },
    postFeedback: async (endpoint, feedback) => (await this.post('/api/serving/feedback', { endpoint, feedback })) as FeedbackResult,
    postRequestStats: async (body) => {
      await this.post('/api/serving/request-stats', body);
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One POST with node:http(s): the status and the body as text. */
function postNode(url: string, headers: Record<string, string>, body: string | Uint8Array, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: 'POST', headers: { ...headers, 'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) }, timeout: timeoutMs }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
