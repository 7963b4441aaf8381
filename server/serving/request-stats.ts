/**
 * Per-minute request statistics of this serving process: for each endpoint, model version and
 * minute, the answers by HTTP status and a latency sketch (lib/sketch, 1 % relative accuracy),
 * posted to the control plane (`POST /api/serving/request-stats`) every few seconds. Unlike the
 * prediction log they count every answer — failed requests and unsampled ones too — so the
 * control plane knows an endpoint's error rate and latency percentiles over any window.
 *
 * Each post carries the whole of every minute not yet acknowledged (not deltas): the control
 * plane replaces its row, so a retried or repeated post counts nothing twice. Memory is bounded:
 * past `maxBuckets` minutes waiting (the control plane unreachable for long), the oldest are
 * dropped and counted. Counting a request is a map lookup and a sketch `add`, nothing more.
 */
import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { MAX_STATS_BUCKETS, type RequestStatsBucket } from './log-protocol';

export interface RequestStatsSink {
  postRequestStats(body: { source: string; buckets: RequestStatsBucket[] }): Promise<void>;
}

export interface RequestStatsOptions {
  sink: RequestStatsSink;
  registry: Registry;
  log: (line: string) => void;
  /** how often the minutes not yet acknowledged are posted (default 10 s) */
  flushMs?: number;
  /** endpoint/version/minutes held at most (default 5,000) */
  maxBuckets?: number;
  /** the clock (tests) */
  now?: () => number;
}

const MINUTE = 60_000;
/** Latency sketches: 1 % relative accuracy keeps a minute's sketch at a few hundred bytes. */
const LATENCY_ACCURACY = 0.01;

interface Bucket {
  endpoint: string;
  version: number;
  minute: number;
  codes: Map<number, number>;
  latency: NumericSketch;
  /** counted since the last acknowledged post */
  dirty: boolean;
}

export class RequestStats {
  /** a new id per process: the control plane keeps each process's minutes apart */
  readonly source = randomUUID();
  private readonly buckets = new Map<string, Bucket>();
  /** the current minute's buckets by endpoint\0version, so a request costs one lookup */
  private current = new Map<string, Bucket>();
  private currentMinute = -1;
  private readonly sink: RequestStatsSink;
  private readonly log: (line: string) => void;
  private readonly maxBuckets: number;
  private readonly now: () => number;
  private readonly droppedTotal: Counter;
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  /** minutes dropped since start (the counter's value, for tests) */
  dropped = 0;

  constructor(o: RequestStatsOptions) {
    this.sink = o.sink;
    this.log = o.log;
    this.maxBuckets = Math.min(o.maxBuckets ?? 5000, MAX_STATS_BUCKETS);
    this.now = o.now ?? Date.now;
    this.droppedTotal = new Counter({ name: 'kiln_serving_request_stats_dropped_total', help: 'Per-minute request statistics dropped because the control plane was unreachable for too long', registers: [o.registry] });
    this.timer = setInterval(() => void this.flush(), o.flushMs ?? 10_000);
    this.timer.unref();
  }

  /** Counts one answer. `version` is the version number as a string ('' or not a number: 0). */
  observe(endpoint: string, version: string, status: number, ms: number): void {
    const minute = Math.floor(this.now() / MINUTE) * MINUTE;
    if (minute !== this.currentMinute) {
      this.currentMinute = minute;
      this.current = new Map();
    }
    const k = `${endpoint}\u0000${version}`;
    let b = this.current.get(k);
    if (!b) {
      const v = Number(version);
      const key = `${k}\u0000${minute}`;
      const old = this.buckets.get(key); // the same minute again after a clock step back: keep counting into it
      if (old) b = old;
      else {
        b = { endpoint, version: Number.isInteger(v) && v > 0 ? v : 0, minute, codes: new Map(), latency: new NumericSketch({ relativeAccuracy: LATENCY_ACCURACY, maxExact: 0 }), dirty: true };
        if (this.buckets.size >= this.maxBuckets) this.dropOldest();
        this.buckets.set(key, b);
      }
      this.current.set(k, b);
    }
    b.codes.set(status, (b.codes.get(status) ?? 0) + 1);
    b.latency.add(Math.max(0, ms));
    b.dirty = true;
  }

  private dropOldest(): void {
    let oldestKey: string | null = null;
    let oldest = Infinity;
    for (const [k, b] of this.buckets) {
      if (b.minute < oldest) {
        oldest = b.minute;
        oldestKey = k;
      }
    }
    if (oldestKey === null) return;
    this.buckets.delete(oldestKey);
    this.dropped++;
    this.droppedTotal.inc();
    if (this.dropped === 1 || this.dropped % 100 === 0) this.log(`kiln serving: request statistics: the control plane has not acknowledged ${this.maxBuckets} minute(s); dropped the oldest (${this.dropped} so far)`);
  }

  /** minutes held (acknowledged ones of the current minute included) */
  get held(): number {
    return this.buckets.size;
  }

  /** Posts every minute counted since its last acknowledged post; resolves when done (never rejects). */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const sending = [...this.buckets.values()].filter((b) => b.dirty);
    if (sending.length === 0) {
      this.forgetClosed();
      return Promise.resolve();
    }
    // What is sent is a snapshot: requests counted while the post is on its way keep the bucket dirty.
    for (const b of sending) b.dirty = false;
    const body = {
      source: this.source,
      buckets: sending.map((b) => ({ endpoint: b.endpoint, version: b.version, minute: b.minute, codes: Object.fromEntries([...b.codes].map(([c, n]) => [String(c), n])), latency: b.latency.toJSON() })),
    };
    this.inFlight = this.sink.postRequestStats(body).then(
      () => {
        this.inFlight = null;
        if (this.failures > 0) this.log('kiln serving: request statistics reach the control plane again');
        this.failures = 0;
        this.forgetClosed();
      },
      (e: unknown) => {
        this.inFlight = null;
        for (const b of sending) b.dirty = true;
        this.failures++;
        if (this.failures === 1 || this.failures % 30 === 0) this.log(`kiln serving: request statistics: ${((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 200)} (attempt ${this.failures}; ${this.buckets.size} minute(s) waiting)`);
      },
    );
    return this.inFlight;
  }

  /** Acknowledged minutes before the current one are done: nothing more will be counted in them. */
  private forgetClosed(): void {
    const minute = Math.floor(this.now() / MINUTE) * MINUTE;
    for (const [k, b] of this.buckets) if (!b.dirty && b.minute < minute) this.buckets.delete(k);
  }

  /** Stops the timer and posts what is left, for at most `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    clearInterval(this.timer);
    if (this.inFlight) await Promise.race([this.inFlight, new Promise((r) => setTimeout(r, timeoutMs))]);
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, timeoutMs))]);
  }
}
