/**
 * Where a serving process gets its endpoints: one package directory (`kiln serve DIR`), or the
 * control plane's serving config (`kiln serving --server URL`), polled and applied to the host.
 */
import { createHash } from 'node:crypto';
import { readPackageDir } from '../../lib/package/node';
import { validatePackage } from '../../lib/package/validate';
import { KilnError } from '../../lib/errors';
import { readPackageZip } from '../../lib/package/zip';
import type { ApplyReport, EndpointSpec } from './model-host';

/** Something that hands endpoint configs to a host, now and whenever they change. */
export interface PackageSource {
  /** shown in logs */
  readonly description: string;
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
      { name, model: v.manifest.name, keyHashes: [], versions: [{ version: 1, aliases: [], key: 'dir', load: async () => files }], default: 1, traffic: [] },
    ]);
    if (report.failed.length > 0) throw new KilnError('SERVE_LOAD', `${this.dir}: ${report.failed[0]!.error}`, { file: this.dir });
  }

  stop(): void {}
}

/** docs/serving.md's `GET /api/serving/config` answer. */
export interface ServingConfig {
  revision: string;
  endpoints: {
    name: string;
    model: string;
    keyHashes: string[];
    versions: { version: number; sha256: string; url: string; aliases: string[] }[];
    default: number;
    traffic: { version: number; weight: number }[];
  }[];
}

export interface ControlPlaneSourceOptions {
  /** control plane base URL, e.g. http://127.0.0.1:3000 */
  server: string;
  /** machine token (the kind runners use) */
  token: string;
  /** poll interval (default 2 s) */
  pollMs?: number;
  /** cap on a package zip and on what it unzips to (default 1 GiB) */
  maxPackageBytes?: number;
  fetch?: typeof fetch;
}

function isConfig(x: unknown): x is ServingConfig {
  if (!x || typeof x !== 'object') return false;
  const c = x as Partial<ServingConfig>;
  return typeof c.revision === 'string' && Array.isArray(c.endpoints) && c.endpoints.every((e) =>
    e && typeof e.name === 'string' && typeof e.model === 'string' && Array.isArray(e.keyHashes) && Array.isArray(e.versions) && Array.isArray(e.traffic) && typeof e.default === 'number'
    && e.versions.every((v) => v && Number.isInteger(v.version) && typeof v.sha256 === 'string' && typeof v.url === 'string' && Array.isArray(v.aliases)));
}

/**
 * Endpoints from the control plane: polls `GET /api/serving/config` every `pollMs`, and applies
 * it when its revision changes (or, while a version failed to load, again later to retry it).
 * Packages are downloaded from each version's URL and checked against its sha256 before they
 * are unzipped.
 */
export class ControlPlaneSource implements PackageSource {
  readonly description: string;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private revision: string | undefined;
  private retryAt = 0;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: ControlPlaneSourceOptions) {
    this.description = `control plane ${opts.server}`;
    this.fetch = opts.fetch ?? fetch;
  }

  private url(p: string): string {
    return new URL(p, this.opts.server.endsWith('/') ? this.opts.server : `${this.opts.server}/`).toString();
  }

  private async get(p: string, etag?: string): Promise<Response> {
    let res: Response;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}` };
      if (etag) headers['if-none-match'] = `"${etag}"`;
      res = await this.fetch(this.url(p), { headers, signal: AbortSignal.timeout(60_000) });
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
      keyHashes: e.keyHashes,
      default: e.default,
      traffic: e.traffic,
      versions: e.versions.map((v) => ({ version: v.version, aliases: v.aliases, key: v.sha256, load: () => this.download(v.url, v.sha256) })),
    }));
  }

  /** Fetches the config and applies it when it changed; returns whether it applied. */
  async poll(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<boolean> {
    // While a failed version waits for its retry, ask for the config whatever its revision.
    const res = await this.get('/api/serving/config', this.retryAt === 0 ? this.revision : undefined);
    if (res.status === 304) return false;
    const body: unknown = await res.json();
    if (!isConfig(body)) throw new KilnError('SERVING_CONFIG', `${this.opts.server}/api/serving/config: not a serving config`);
    if (body.revision === this.revision && (this.retryAt === 0 || Date.now() < this.retryAt)) return false;
    const report = await apply(this.toSpecs(body));
    this.revision = body.revision;
    this.retryAt = report.failed.length > 0 ? Date.now() + 30_000 : 0;
    log(`kiln serving: config ${body.revision.slice(0, 12)} applied: ${body.endpoints.length} endpoint(s)${report.failed.length ? `, ${report.failed.length} version(s) failed to load` : ''}`);
    return true;
  }

  async start(apply: (specs: EndpointSpec[]) => Promise<ApplyReport>, log: (line: string) => void): Promise<void> {
    try {
      await this.poll(apply, log);
    } catch (e) {
      // A refused token will not fix itself; an unreachable or starting server might.
      if (e instanceof KilnError && e.code === 'SERVING_AUTH') throw e;
      log(`kiln serving: ${(e as Error).message}; retrying`);
    }
    const tick = () => {
      if (this.stopped) return;
      this.poll(apply, log)
        .catch((e: unknown) => log(`kiln serving: ${(e as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 2000);
        });
    };
    this.timer = setTimeout(tick, this.opts.pollMs ?? 2000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
