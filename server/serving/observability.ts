/**
 * Prometheus metrics (prom-client, one registry per server, no default process collectors) and
 * a sampled, bounded log of recent requests (`GET /v1/requests/recent`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'version' | 'code'>;
  private readonly duration: Histogram<'endpoint' | 'version'>;
  private readonly errors: Counter<'endpoint' | 'version' | 'reason'>;
  private readonly inFlight: Gauge;
  /** read at scrape time: a gauge `set` on every request costs more than the request's counter */
  inFlightNow: () => number = () => 0;
  /** the versions routed now, read at scrape time for `kiln_model_age_seconds` */
  servedVersions: () => { endpoint: string; version: number; manifestCreatedAt: string }[] = () => [];
  /** endpoint/version → when it was registered (from the applied config) */
  private readonly registeredAt = new Map<string, number>();
  private readonly anomalies: Counter<'endpoint' | 'version' | 'code'>;
  private readonly checked: Counter<'endpoint' | 'version'>;
  private readonly anomalous: Counter<'endpoint' | 'version'>;
  /**
   * Anomaly counts as plain numbers, copied into the counters at scrape time (`collect`): a
   * labelled prom-client child still hashes its labels on every `inc`, which per logged instance
   * cost more than the check itself.
   */
  private readonly anomalyCounts = new Map<string, { endpoint: string; version: string; checked: number; anomalous: number; codes: Map<string, number> }>();
  // Labelled children cached by key: prom-client hashes label objects on every call otherwise.
  private readonly children = new Map<string, { hist: Histogram.Internal<'endpoint' | 'version'>; codes: Map<number, { status: Counter.Internal; error: Counter.Internal | null }> }>();

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'kiln_serving_requests_total', help: 'Requests by endpoint, version and HTTP status', labelNames: ['endpoint', 'version', 'code'], registers });
    this.duration = new Histogram({
      name: 'kiln_serving_request_duration_seconds',
      help: 'Request latency from the first byte read to the last byte written',
      labelNames: ['endpoint', 'version'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.errors = new Counter({ name: 'kiln_serving_errors_total', help: 'Failed requests by reason (bad_request, auth, not_found, too_large, overloaded, timeout, internal)', labelNames: ['endpoint', 'version', 'reason'], registers });
    const counts = this.anomalyCounts;
    // Each counter is filled from the plain counts when it is collected (at scrape time).
    const fillChecked = () => {
      this.checked.reset();
      for (const c of counts.values()) this.checked.labels(c.endpoint, c.version).inc(c.checked);
    };
    const fillAnomalous = () => {
      this.anomalous.reset();
      for (const c of counts.values()) if (c.anomalous > 0) this.anomalous.labels(c.endpoint, c.version).inc(c.anomalous);
    };
    const fillCodes = () => {
      this.anomalies.reset();
      for (const c of counts.values()) for (const [code, n] of c.codes) this.anomalies.labels(c.endpoint, c.version, code).inc(n);
    };
    this.anomalies = new Counter({ name: 'kiln_serving_anomalies_total', help: 'Soft anomalies of logged instances against the packaged schema, by code (OUT_OF_RANGE, UNKNOWN_CATEGORY, …)', labelNames: ['endpoint', 'version', 'code'], registers, collect: fillCodes });
    this.checked = new Counter({ name: 'kiln_serving_checked_instances_total', help: 'Logged instances checked for soft anomalies (the denominator of an anomaly rate)', labelNames: ['endpoint', 'version'], registers, collect: fillChecked });
    this.anomalous = new Counter({ name: 'kiln_serving_anomalous_instances_total', help: 'Logged instances with at least one soft anomaly', labelNames: ['endpoint', 'version'], registers, collect: fillAnomalous });
    const served = () => this.servedVersions();
    const registeredAt = this.registeredAt;
    new Gauge({
      name: 'kiln_model_age_seconds',
      help: 'Seconds since the served version was registered (or, served from a package directory, since its package was made)',
      labelNames: ['endpoint', 'version'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const v of served()) {
          const at = registeredAt.get(`${v.endpoint}\u0000${v.version}`) ?? Date.parse(v.manifestCreatedAt);
          if (Number.isFinite(at)) this.set({ endpoint: v.endpoint, version: String(v.version) }, Math.max(0, (now - at) / 1000));
        }
      },
    });
    const now = () => this.inFlightNow();
    this.inFlight = new Gauge({
      name: 'kiln_serving_in_flight_requests',
      help: 'Requests being answered',
      registers,
      collect() {
        this.set(now());
      },
    });
  }

  /** Remembers when each configured version was registered (the config's `createdAt`). */
  noteVersions(specs: readonly { name: string; versions: readonly { version: number; createdAt?: string }[] }[]): void {
    this.registeredAt.clear();
    for (const e of specs) {
      for (const v of e.versions) {
        const at = v.createdAt ? Date.parse(v.createdAt) : NaN;
        if (Number.isFinite(at)) this.registeredAt.set(`${e.name}\u0000${v.version}`, at);
      }
    }
  }

  /** Counts one checked instance and its soft anomalies (codes). */
  observeAnomalies(endpoint: string, version: string, codes: readonly { code: string }[]): void {
    const k = `${endpoint}\u0000${version}`;
    let c = this.anomalyCounts.get(k);
    if (!c) this.anomalyCounts.set(k, (c = { endpoint, version, checked: 0, anomalous: 0, codes: new Map() }));
    c.checked++;
    if (codes.length > 0) {
      c.anomalous++;
      for (const a of codes) c.codes.set(a.code, (c.codes.get(a.code) ?? 0) + 1);
    }
  }

  /**
   * Counts one answered request; label children (the status's counter, its error reason's, the
   * histogram) are cached per endpoint/version and code: prom-client's `labels()` hashes a label
   * object per call, which under overload was paid on every 429.
   */
  observe(endpoint: string, version: string, code: number, seconds: number): void {
    const dk = `${endpoint}\u0000${version}`;
    let c = this.children.get(dk);
    if (!c) {
      c = { hist: this.duration.labels(endpoint, version), codes: new Map() };
      this.children.set(dk, c);
    }
    let counters = c.codes.get(code);
    if (!counters) {
      counters = { status: this.requests.labels(endpoint, version, String(code)), error: code >= 400 ? this.errors.labels(endpoint, version, reasonOf(code)) : null };
      c.codes.set(code, counters);
    }
    counters.status.inc();
    counters.error?.inc();
    c.hist.observe(seconds);
  }
}

function reasonOf(code: number): string {
  if (code === 400) return 'bad_request';
  if (code === 401 || code === 403) return 'auth';
  if (code === 404) return 'not_found';
  if (code === 413) return 'too_large';
  if (code === 429) return 'overloaded';
  if (code === 503) return 'unavailable';
  if (code === 504) return 'timeout';
  return code >= 500 ? 'internal' : 'client';
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  endpoint: string;
  version: string;
  status: number;
  ms: number;
  instances?: number;
  error?: string;
}

/**
 * The last `capacity` logged requests. Successes are sampled at `sample` (0..1); failures are
 * always kept, since they are what someone looking at the log wants to see.
 */
export class RequestLog {
  private readonly ring: (RequestLogEntry | undefined)[];
  private next = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    readonly sample: number,
  ) {
    this.ring = new Array(capacity);
  }

  /** Whether a request with this status should be logged (cheap; decides before building the entry). */
  wants(status: number): boolean {
    return this.capacity > 0 && (status >= 400 || (this.sample > 0 && Math.random() < this.sample));
  }

  add(e: RequestLogEntry): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Newest first. */
  recent(limit = this.capacity): RequestLogEntry[] {
    const out: RequestLogEntry[] = [];
    for (let k = 1; k <= Math.min(limit, this.count); k++) out.push(this.ring[(this.next - k + this.capacity) % this.capacity]!);
    return out;
  }
}
