/**
 * The versions a serving process holds and the routing table that picks one per request.
 *
 * A config change follows TF Serving's availability-preserving policy: load every new version
 * (package → validate → tfjs + compiled → warm-up), THEN swap the routing table in one
 * assignment, THEN retire the versions no longer routed, each disposed once its last request in
 * flight releases it. A version that fails to load never enters the table: the one it would have
 * replaced keeps serving, and the failure shows in `model_version_status`.
 *
 * Who may call an endpoint (access, API keys, browser origins) is not part of that: its policy
 * takes effect the moment a config is applied, before any version loads, so a revoked key is
 * refused on the next request even while a new version is still loading.
 */
import { createHash } from 'node:crypto';
import type { PackageFiles } from '../../lib/package/validate';
import { LoadedVersion, type LoadOptions } from './loaded-version';

/** One version an endpoint may need, as a source describes it. */
export interface VersionSpec {
  version: number;
  /** aliases of the model that point here (for `/labels/L`) */
  aliases: string[];
  /** identity of the package bytes (e.g. its zip sha256): a version with a new key is reloaded */
  key: string;
  /** fetches the package files (download, unzip, checksum …) */
  load(): Promise<PackageFiles>;
  /** when the version was registered (ISO 8601; the control plane's config) — else the package's own `createdAt` is its age */
  createdAt?: string;
}

/** 'keys': a request needs one of the endpoint's keys (none: every request is refused); 'public': none needed. */
export type EndpointAccess = 'public' | 'keys';

/** One endpoint as a source describes it (docs/serving.md's config, with loaders). */
export interface EndpointSpec {
  name: string;
  model: string;
  access: EndpointAccess;
  /** sha256 (hex) of each accepted API key (used when `access` is 'keys') */
  keyHashes: string[];
  /** browser origins (`scheme://host[:port]`) answered with CORS headers */
  corsOrigins: string[];
  /** share of requests whose predictions are logged (0 to 1; default 1, when there is a prediction log) */
  logSampleRate?: number;
  /** anomaly codes (lib/sketch ANOMALY_CODES) answered with a 400 instead of tagged (default none) */
  rejectAnomalies?: string[];
  versions: VersionSpec[];
  default: number;
  traffic: { version: number; weight: number }[];
}

/** TF Serving's ModelVersionStatus states. */
export type VersionState = 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END';

export interface VersionStatus {
  version: number;
  state: VersionState;
  /** empty when fine; the load error otherwise */
  error: string;
  key: string;
  failedAt?: number;
}

/** Who may call an endpoint: immutable, replaced whole by every applied config. */
export interface EndpointPolicy {
  name: string;
  access: EndpointAccess;
  keyHashes: ReadonlySet<string>;
  corsOrigins: ReadonlySet<string>;
  /** share of requests logged to the prediction log */
  sampleRate: number;
  /** anomaly codes answered with a 400 (empty: none) */
  rejectAnomalies: ReadonlySet<string>;
}

/** An endpoint's routing: immutable once built, replaced whole on a change. */
export interface Route {
  name: string;
  model: string;
  versions: ReadonlyMap<number, LoadedVersion>;
  labels: ReadonlyMap<string, LoadedVersion>;
  default: LoadedVersion | null;
  split: WeightedChoice | null;
}

/**
 * Smooth weighted round robin (nginx's): deterministic, and any window of `total` picks holds
 * each version exactly `weight` times, so a 90/10 canary is 90/10 at any request rate.
 */
export class WeightedChoice {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly entries: { item: LoadedVersion; weight: number }[]) {
    this.current = entries.map(() => 0);
    this.total = entries.reduce((s, e) => s + e.weight, 0);
  }

  pick(): LoadedVersion {
    let best = 0;
    for (let i = 0; i < this.entries.length; i++) {
      this.current[i]! += this.entries[i]!.weight;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.entries[best]!.item;
  }
}

export interface ApplyReport {
  loaded: number[];
  failed: { endpoint: string; version: number; error: string }[];
}

export interface ModelHostOptions extends LoadOptions {
  log: (line: string) => void;
  /** a version that failed to load is retried after this long (default 30 s) */
  retryFailedMs?: number;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export class ModelHost {
  /** endpoint name → routing; replaced, never mutated, so a request sees one consistent table */
  routes: ReadonlyMap<string, Route> = new Map();
  /** endpoint name → who may call it; replaced at once by `apply`, never waiting for loads */
  policies: ReadonlyMap<string, EndpointPolicy> = new Map();
  private readonly status = new Map<string, Map<number, VersionStatus>>();
  private applying: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ModelHostOptions) {}

  /** Version statuses of an endpoint, newest first (TF Serving's model_version_status). */
  versionStatus(endpoint: string): VersionStatus[] {
    return [...(this.status.get(endpoint)?.values() ?? [])].sort((a, b) => b.version - a.version);
  }

  /** Every version currently loaded (routed or draining). */
  get ready(): boolean {
    for (const r of this.routes.values()) if (r.default) return true;
    return false;
  }

  /**
   * Applies a new config: its policies at once (before this returns), its versions in the
   * background, calls serialised. Resolves once the new routing table is in place.
   */
  apply(specs: EndpointSpec[]): Promise<ApplyReport> {
    this.policies = new Map(
      specs.map((s) => [
        s.name,
        { name: s.name, access: s.access, keyHashes: new Set(s.keyHashes.map((h) => h.toLowerCase())), corsOrigins: new Set(s.corsOrigins), sampleRate: s.logSampleRate ?? 1, rejectAnomalies: new Set(s.rejectAnomalies ?? []) } satisfies EndpointPolicy,
      ]),
    );
    const run = this.applying.then(() => this.applyNow(specs));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(specs: EndpointSpec[]): Promise<ApplyReport> {
    const report: ApplyReport = { loaded: [], failed: [] };
    const old = this.routes;
    const next = new Map<string, Route>();
    const retryMs = this.opts.retryFailedMs ?? 30_000;
    for (const spec of specs) {
      const prev = old.get(spec.name);
      const statuses = this.status.get(spec.name) ?? new Map<number, VersionStatus>();
      this.status.set(spec.name, statuses);
      const versions = new Map<number, LoadedVersion>();
      for (const vs of spec.versions) {
        const have = prev?.versions.get(vs.version);
        const st = statuses.get(vs.version);
        if (have && st?.key === vs.key && st.state === 'AVAILABLE') {
          versions.set(vs.version, have);
          continue;
        }
        // Do not hammer a package that just failed; its old version keeps serving meanwhile.
        if (st?.state === 'END' && st.key === vs.key && st.failedAt !== undefined && Date.now() - st.failedAt < retryMs) {
          report.failed.push({ endpoint: spec.name, version: vs.version, error: st.error });
          if (have) versions.set(vs.version, have);
          continue;
        }
        statuses.set(vs.version, { version: vs.version, state: 'LOADING', error: '', key: vs.key });
        try {
          const files = await vs.load();
          const lv = await LoadedVersion.load(vs.version, files, this.opts);
          versions.set(vs.version, lv);
          statuses.set(vs.version, { version: vs.version, state: 'AVAILABLE', error: '', key: vs.key });
          report.loaded.push(vs.version);
          this.opts.log(`kiln serving: ${spec.name} v${vs.version} loaded (${lv.engine} forward pass)`);
        } catch (e) {
          const error = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
          report.failed.push({ endpoint: spec.name, version: vs.version, error });
          this.opts.log(`kiln serving: ${spec.name} v${vs.version} failed to load: ${error}`);
          // The version it would replace (same number, older bytes) keeps serving.
          if (have) versions.set(vs.version, have);
          statuses.set(vs.version, { version: vs.version, state: 'END', error, key: vs.key, failedAt: Date.now() });
        }
      }
      let def = versions.get(spec.default) ?? null;
      if (!def && prev?.default && !prev.default.isDisposed) {
        // The new default failed: the old one keeps serving until a config that loads.
        def = prev.default;
        versions.set(def.version, def);
      }
      const entries = spec.traffic.filter((t) => t.weight > 0 && versions.has(t.version)).map((t) => ({ item: versions.get(t.version)!, weight: t.weight }));
      const labels = new Map<string, LoadedVersion>();
      for (const vs of spec.versions) {
        const lv = versions.get(vs.version);
        if (lv) for (const a of vs.aliases) labels.set(a, lv);
      }
      next.set(spec.name, {
        name: spec.name,
        model: spec.model,
        versions,
        labels,
        default: def,
        split: entries.length > 1 ? new WeightedChoice(entries) : null,
      });
      // Statuses of versions no longer listed end (kept for a failed one so its error stays visible).
      for (const [v, st] of statuses) if (!versions.has(v) && st.state === 'AVAILABLE') statuses.set(v, { ...st, state: 'END' });
    }
    for (const name of this.status.keys()) if (!next.has(name)) this.status.delete(name);

    // The switch: one assignment. Requests already holding a version keep it (ref counted).
    this.routes = next;

    const live = new Set<LoadedVersion>();
    for (const r of next.values()) for (const lv of r.versions.values()) live.add(lv);
    for (const r of old.values()) for (const lv of r.versions.values()) if (!live.has(lv)) lv.retire();
    return report;
  }

  /** Retires every version (process shutdown). */
  close(): void {
    const old = this.routes;
    this.routes = new Map();
    this.policies = new Map();
    for (const r of old.values()) for (const lv of r.versions.values()) lv.retire();
  }
}
