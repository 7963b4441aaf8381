/**
 * The serving side of the prediction log: every logged prediction is serialised into a bounded
 * buffer (off the JS heap) and posted to the control plane in batches, off the request path. A slow or unreachable
 * control plane never slows or fails a prediction: the buffer only fills, and once full each
 * new record is dropped and counted (`kiln_serving_prediction_log_dropped_total`, and a log line
 * at most every 10 s) instead of waiting. A batch the control plane refuses as malformed (400,
 * 413, 422) is dropped and counted (`…_rejected_total`). Any other failed batch stays at the front and is retried with
 * backoff (while it waits it counts against the bound, so new records are dropped, not old ones); the control plane stores each prediction id once, so a retry after a
 * lost answer duplicates nothing.
 *
 * Anomaly tags: each record is checked against the version's data schema with lib/sketch's
 * per-record checker (allocation-free for a clean record). Packages carry the raw inputs' data
 * schema (`inputDataSchema`: ranges, domains, missing rates from the training data), so values
 * outside the training range are tagged OUT_OF_RANGE; packages built before it only have the
 * input schema, from which a schema without ranges is derived (unknown categories, missing
 * values where none were seen, type mismatches and extra fields are still tagged).
 */
import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { KilnError } from '../../lib/errors';
import type { Manifest } from '../../lib/package/manifest';
import { createRecordChecker, type RecordAnomaly } from '../../lib/sketch/anomalies';
import { DATA_SCHEMA_VERSION, type DataSchema } from '../../lib/sketch/data-schema';
import type { FeedbackItem, FeedbackResult, PredictionRecord } from './log-protocol';

/** Where logged predictions and feedback go: the control plane (ControlPlaneSource). */
export interface PredictionSink {
  /** one batch: `{"records": [...]}` as JSON bytes, `n` records */
  postPredictions(body: Uint8Array, n: number): Promise<void>;
  postFeedback(endpoint: string, items: readonly FeedbackItem[]): Promise<FeedbackResult>;
}

export interface PredictionLogOptions {
  sink: PredictionSink;
  /** records held at most while the control plane is slow (default 20,000) */
  capacity?: number;
  /** records per POST (default 2,000; the control plane takes 5,000) */
  batchSize?: number;
  /** bytes per POST at most, unless one record is larger (default 4 MiB; the control plane reads 16) */
  batchBytes?: number;
  /** how often the buffer is flushed (default 1 s) */
  flushMs?: number;
  registry: Registry;
  log: (line: string) => void;
}

/**
 * The categories each column was fitted with: every fitted step whose state holds vocabularies
 * (`columns: [{column, numeric, categories}]`, as one-hot and ordinal encoding keep them).
 */
function fittedDomains(m: Manifest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const step of m.preprocessing) {
    const cols = (step.state as { columns?: unknown } | null)?.columns;
    if (!Array.isArray(cols)) continue;
    for (const v of cols as { column?: unknown; numeric?: unknown; categories?: unknown }[]) {
      if (typeof v?.column !== 'string' || v.numeric !== false || !Array.isArray(v.categories)) continue;
      out.set(v.column, [...new Set([...(out.get(v.column) ?? []), ...(v.categories as unknown[]).map(String)])]);
    }
  }
  return out;
}

/**
 * The package's data schema of its raw inputs when it carries one; else the input schema as a data
 * schema, what a per-record check can know without raw statistics (a categorical column's domain
 * is the input schema's categories, else its fitted vocabulary).
 */
export function schemaFromManifest(m: Manifest): DataSchema {
  const fitted = fittedDomains(m);
  if (m.inputDataSchema) {
    // A column with too many categories for the training data's domain still has its fitted vocabulary.
    return { ...m.inputDataSchema, columns: m.inputDataSchema.columns.map((c) => (c.type === 'categorical' && !c.categories && fitted.has(c.name) ? { ...c, categories: fitted.get(c.name)! } : c)) };
  }
  const domainOf = (name: string, declared?: string[]) => (declared?.length ? declared : fitted.get(name));
  return {
    version: DATA_SCHEMA_VERSION,
    columns: m.inputSchema.map((c) => ({
      name: c.name,
      type: c.type,
      required: true,
      nullable: c.nullable,
      maxMissingRate: c.nullable ? 1 : 0,
      ...(c.type === 'categorical' && domainOf(c.name, c.categories) ? { categories: domainOf(c.name, c.categories)! } : {}),
    })),
  };
}

type Checker = (record: Readonly<Record<string, unknown>>) => readonly RecordAnomaly[];

/** A cell as the 400 shows it: JSON, cut to 100 characters; "absent" for a missing field. */
function observed(record: Readonly<Record<string, unknown>>, column: string): string {
  if (!Object.hasOwn(record, column)) return 'absent';
  const text = JSON.stringify(record[column]) ?? String(record[column]);
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/**
 * Refuses a request whose records have an anomaly among `codes` (an endpoint setting): the first
 * one found, naming the instance index, the column, the code and the observed value.
 * @throws KilnError `ANOMALY_REJECTED` (400)
 */
export function rejectAnomalies(records: readonly unknown[], check: Checker, codes: ReadonlySet<string>, endpoint: string): void {
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] as Record<string, unknown>;
    for (const a of check(rec)) {
      if (!codes.has(a.code)) continue;
      const value = observed(rec, a.column);
      throw new KilnError('ANOMALY_REJECTED', `instances[${i}] column "${a.column}": ${a.code} (observed ${value}); endpoint "${endpoint}" rejects ${a.code}`, { path: `instances[${i}].${a.column}`, column: a.column }, { extra: { index: i, column: a.column, anomaly: a.code, observed: value } });
    }
  }
}
const checkers = new WeakMap<Manifest, Checker>();

/** The per-record checker of a version's manifest, built once. */
export function checkerFor(m: Manifest): Checker {
  let c = checkers.get(m);
  if (!c) checkers.set(m, (c = createRecordChecker(schemaFromManifest(m))));
  return c;
}

/** The prediction ids of a request's instances: the client's id as is for one, `ID/i` for several. */
export function predictionIds(base: string, n: number): string[] {
  if (n === 1) return [base];
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `${base}/${i}`;
  return out;
}

/** A new unique prediction id (a client sent none). */
export const newPredictionId = (): string => randomUUID();

/** One batch being filled or waiting to be sent: records as JSON, comma-separated, off the JS heap. */
interface Batch {
  buf: Buffer;
  bytes: number;
  n: number;
}

const OPEN = Buffer.from('{"records":[');
const CLOSE = Buffer.from(']}');

export class PredictionLog {
  /** batches full or sealed, oldest first, waiting for their POST */
  private sealed: Batch[] = [];
  private current: Batch | null = null;
  private count = 0;
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private readonly flushMs: number;
  private readonly sink: PredictionSink;
  private readonly log: (line: string) => void;
  private readonly droppedTotal: Counter;
  private readonly sentTotal: Counter;
  private readonly rejectedTotal: Counter;
  /** records dropped because the control plane refused their batch (never retried) */
  rejected = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout;
  private backoffUntil = 0;
  private failures = 0;
  private droppedSinceLine = 0;
  private lastDropLine = 0;
  private lastError = '';
  /** records dropped since start (the counter's value, for tests and logs) */
  dropped = 0;

  constructor(o: PredictionLogOptions) {
    this.sink = o.sink;
    this.capacity = o.capacity ?? 20_000;
    this.batchSize = o.batchSize ?? 2000;
    this.batchBytes = o.batchBytes ?? 4 * 1024 * 1024;
    this.flushMs = o.flushMs ?? 1000;
    this.log = o.log;
    const registers = [o.registry];
    this.droppedTotal = new Counter({ name: 'kiln_serving_prediction_log_dropped_total', help: 'Logged predictions dropped because the buffer to the control plane was full', registers });
    this.sentTotal = new Counter({ name: 'kiln_serving_prediction_log_sent_total', help: 'Logged predictions the control plane acknowledged', registers });
    this.rejectedTotal = new Counter({ name: 'kiln_serving_prediction_log_rejected_total', help: 'Logged predictions dropped because the control plane refused their batch as malformed (400, 413, 422): a retry could not succeed', registers });
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** records waiting to be sent */
  get pending(): number {
    return this.count;
  }

  /**
   * Queues one record; never waits. Returns false when it was dropped (buffer full). The record
   * is serialised at once into the batch's buffer: holding thousands of request objects for a
   * second would promote them all to the old generation, which costs more than the JSON.
   */
  add(r: PredictionRecord): boolean {
    return this.addParts(JSON.stringify(r), null, '');
  }

  /**
   * Queues one record given as JSON in up to three parts — `head`, bytes copied as they are
   * (`raw`: e.g. the instance's own bytes from the request body, never re-serialised), `tail` —
   * which together must be one JSON object of the record's shape. Never waits; false when dropped.
   */
  addParts(head: string, raw: Uint8Array | null, tail: string): boolean {
    if (this.count >= this.capacity) {
      this.drop(1);
      return false;
    }
    const rawLength = raw ? raw.length : 0;
    let b = this.current;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: when that bound fits, the strings are not measured first.
    const bound = 3 * (head.length + tail.length) + rawLength + 1;
    const need = b !== null && b.n < this.batchSize && b.bytes + bound <= b.buf.length ? bound : Buffer.byteLength(head) + rawLength + (tail.length ? Buffer.byteLength(tail) : 0) + 1;
    if (b !== null && b.n >= this.batchSize) {
      this.sealed.push(b);
      b = null;
    }
    if (b !== null && b.bytes + need > b.buf.length) {
      if (b.bytes + need <= this.batchBytes) {
        // Grow up to the batch's byte limit (a record larger than that gets a batch of its own).
        const grown = Buffer.allocUnsafe(Math.max(b.bytes + need, Math.min(this.batchBytes, b.buf.length * 2)));
        b.buf.copy(grown, 0, 0, b.bytes);
        b.buf = grown;
      } else {
        this.sealed.push(b);
        b = null;
      }
    }
    if (b === null) {
      b = { buf: Buffer.allocUnsafe(Math.max(need, Math.min(this.batchBytes, 256 * 1024))), bytes: 0, n: 0 };
      this.current = b;
    }
    const buf = b.buf;
    if (b.n > 0) buf[b.bytes++] = 0x2c; // ','
    b.bytes += buf.write(head, b.bytes);
    if (raw) {
      buf.set(raw, b.bytes);
      b.bytes += raw.length;
    }
    if (tail.length) b.bytes += buf.write(tail, b.bytes);
    b.n++;
    this.count++;
    if (this.sealed.length > 0 && !this.inFlight) setImmediate(() => void this.flush());
    return true;
  }

  private drop(n: number): void {
    this.dropped += n;
    this.droppedSinceLine += n;
    this.droppedTotal.inc(n);
    const now = Date.now();
    if (now - this.lastDropLine >= 10_000) {
      this.log(`kiln serving: prediction log buffer full (${this.capacity} records, control plane ${this.lastError ? `failing: ${this.lastError}` : 'slow'}): dropped ${this.droppedSinceLine} record(s)`);
      this.lastDropLine = now;
      this.droppedSinceLine = 0;
    }
  }

  /** Sends one batch if none is in flight and no backoff is due; resolves when it is done. */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() < this.backoffUntil) return Promise.resolve();
    let batch = this.sealed.shift();
    if (!batch && this.current && this.current.n > 0) {
      batch = this.current;
      this.current = null;
    }
    if (!batch) return Promise.resolve();
    const b = batch;
    const body = Buffer.concat([OPEN, b.buf.subarray(0, b.bytes), CLOSE]);
    this.inFlight = this.sink.postPredictions(body, b.n).then(
      () => {
        this.inFlight = null;
        this.count -= b.n;
        this.sentTotal.inc(b.n);
        if (this.failures > 0) this.log(`kiln serving: prediction log reaches the control plane again (${this.count} record(s) waiting)`);
        this.failures = 0;
        this.lastError = '';
        if (this.sealed.length > 0) setImmediate(() => void this.flush());
      },
      (e: unknown) => {
        this.inFlight = null;
        const status = (e as { extra?: { upstreamStatus?: unknown } } | null)?.extra?.upstreamStatus;
        if (status === 400 || status === 413 || status === 422) {
          // A batch the control plane refuses as malformed would be refused forever and stall
          // every record behind it: dropped and counted instead.
          this.count -= b.n;
          this.rejected += b.n;
          this.rejectedTotal.inc(b.n);
          this.log(`kiln serving: prediction log: the control plane refused a batch of ${b.n} record(s), dropped: ${((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 300)}`);
          if (this.sealed.length > 0) setImmediate(() => void this.flush());
          return;
        }
        // Back at the front, in order: it is sent again after the backoff.
        this.sealed.unshift(b);
        this.failures++;
        this.lastError = ((e as Error)?.message ?? String(e)).split('\n')[0]!.slice(0, 200);
        this.backoffUntil = Date.now() + Math.min(30_000, this.flushMs * 2 ** Math.min(this.failures, 5));
        if (this.failures === 1 || this.failures % 10 === 0) this.log(`kiln serving: prediction log: ${this.lastError} (attempt ${this.failures}; ${this.count} record(s) waiting)`);
      },
    );
    return this.inFlight;
  }

  /** Stops the timer and tries to send what is left, for at most `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    this.backoffUntil = 0;
    while ((this.count > 0 || this.inFlight) && Date.now() < deadline) {
      const before = this.failures;
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      if (this.failures > before) break;
    }
    if (this.count > 0) this.log(`kiln serving: prediction log: ${this.count} record(s) not sent at shutdown`);
  }
}
