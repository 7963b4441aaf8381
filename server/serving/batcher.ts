/**
 * Micro-batching: requests to one version that arrive within the same turn of the event loop
 * (everything Node read from its sockets in one poll phase) are predicted in one call, flushed
 * by `setImmediate` — no timer, so a lone request waits for nothing. A tfjs `predict` costs about
 * the same for 1 row as for 64, so under load this divides its cost by the batch size.
 */
import { KilnError } from '../../lib/errors';

type PredictFn<R> = (records: unknown[]) => R[] | Promise<R[]>;

/** Called once per submitted request: with its predictions, or with the error of its records. */
export type Done<R> = (err: unknown, preds: R[] | null) => void;

/** Runs `predict`, synchronous or not, reporting to `done` exactly once (a throw or a rejection is an error). */
export function settle<R>(predict: () => R[] | Promise<R[]>, done: Done<R>): void {
  let out: R[] | Promise<R[]>;
  try {
    out = predict();
  } catch (e) {
    done(e, null);
    return;
  }
  if (out instanceof Promise) out.then((p) => done(null, p), (e: unknown) => done(e, null));
  else done(null, out);
}

/**
 * Callbacks, not promises: at 20k requests/s a promise and its closures per request were enough
 * garbage to make young-generation collections promote and take milliseconds (the p99).
 */
export class MicroBatcher<R> {
  private records: unknown[][] = [];
  private dones: Done<R>[] = [];
  private queued = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  /**
   * @param predict predicts for a list of records (may throw a KilnError naming a record)
   * @param maxBatch records per call; a larger queue flushes at once
   */
  constructor(
    private readonly predict: PredictFn<R>,
    private readonly maxBatch: number,
  ) {}

  /** Queues one request's records; `done` gets its own predictions. */
  submit(records: unknown[], done: Done<R>): void {
    this.records.push(records);
    this.dones.push(done);
    this.queued += records.length;
    if (this.queued >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  private flush(): void {
    this.scheduled = false;
    const recs = this.records;
    const dones = this.dones;
    if (recs.length === 0) return;
    this.records = [];
    this.dones = [];
    this.queued = 0;
    if (recs.length === 1) {
      this.run(recs[0]!, (err, out) => dones[0]!(err, out));
      return;
    }
    const all: unknown[] = [];
    for (const r of recs) for (let i = 0; i < r.length; i++) all.push(r[i]);
    this.run(all, (err, out) => {
      if (!err) {
        let o = 0;
        for (let i = 0; i < recs.length; i++) {
          dones[i]!(null, out!.slice(o, o + recs[i]!.length));
          o += recs[i]!.length;
        }
        return;
      }
      // A bad record fails the whole call, with an index into the batch: predict each request
      // on its own, so each gets its own answer, and errors numbered within its own records.
      if (!(err instanceof KilnError)) for (const d of dones) d(err, null);
      else for (let i = 0; i < recs.length; i++) this.run(recs[i]!, dones[i]!);
    });
  }

  private run(records: unknown[], done: Done<R>): void {
    settle(() => this.predict(records), done);
  }
}
