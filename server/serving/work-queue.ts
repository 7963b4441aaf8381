/**
 * The synchronous part of predictions (JSON parse, validation, preprocessing, the compiled
 * forward pass) in bounded slices, so that health, readiness and metrics, which are answered
 * straight from the request event, never wait behind more than one slice: a job runs at once
 * while this turn of the event loop has used less than `sliceMs` of work and nothing is queued;
 * else it waits in a FIFO that `setImmediate` works through one slice per turn, letting Node
 * read its sockets (and answer `/healthz`) between slices.
 *
 * A job that had more than `maxWaitMs` of work run ahead of it while it waited is shed (`shed`, a
 * 429) instead of run: admission keeps the estimated wait under that bound, this is the
 * guarantee when the estimate was wrong. Work, not wall time: a process descheduled or paused
 * by the machine for 50 ms has not been overloaded, and must not answer 429 for it.
 * The measured cost per instance (an average over recent jobs) is what admission's estimate
 * uses.
 *
 * Items, not closures: the queue holds the exchanges themselves and calls two methods given
 * once, so a request allocates nothing here.
 */

export interface Queued {
  /** instances this job holds (for the rate) */
  cost: number;
  /** the queue's work clock (ms of work run so far) when it was queued */
  queuedAt: number;
}

export class WorkQueue<T extends Queued> {
  private items: (T | undefined)[] = [];
  private head = 0;
  /** ms of work run in this turn of the event loop */
  private used = 0;
  private turnScheduled = false;
  /** ms of work run since the start: the clock a job's wait is read on */
  private workMs = 0;
  /** measured ms of synchronous work per instance (an exponential average) */
  msPerInstance = 0;
  private readonly turn = () => this.nextTurn();

  constructor(
    private readonly run: (item: T) => void,
    private readonly shed: (item: T, waitedMs: number) => void,
    readonly sliceMs: number,
    readonly maxWaitMs: number,
  ) {}

  /** jobs waiting */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Runs `item` now when this turn has slice left and nothing waits ahead of it; else queues it. */
  submit(item: T): void {
    if (this.head === this.items.length && this.used < this.sliceMs) {
      this.runTimed(item);
      this.scheduleTurn();
      return;
    }
    item.queuedAt = this.workMs;
    this.items.push(item);
    this.scheduleTurn();
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.turn);
  }

  /** A new turn: a fresh slice, spent on the queue first. */
  private nextTurn(): void {
    this.turnScheduled = false;
    this.used = 0;
    while (this.head < this.items.length && this.used < this.sliceMs) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined;
      const waited = this.workMs - item.queuedAt;
      if (waited > this.maxWaitMs) this.shed(item, waited);
      else this.runTimed(item);
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    // Something still waits, or this turn ran work: the next turn starts a fresh slice.
    if (this.head < this.items.length || this.used > 0) this.scheduleTurn();
  }

  private runTimed(item: T): void {
    const t = performance.now();
    this.run(item);
    const ms = performance.now() - t;
    this.used += ms;
    this.workMs += ms;
    // Only jobs big enough to time well teach the rate; one-instance jobs are dominated by the
    // per-request cost, which the concurrency limit bounds instead.
    if (item.cost >= 16) {
      const per = ms / item.cost;
      this.msPerInstance = this.msPerInstance === 0 ? per : this.msPerInstance * 0.8 + per * 0.2;
    }
  }
}
