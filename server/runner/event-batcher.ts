/**
 * Batches a run's events for the control plane: numbers them (seq, per attempt), sends at most
 * one request at a time in order, and flushes every `intervalMs` or as soon as `maxBatch`
 * events wait. A failed send keeps its events at the head of the queue (the server ignores
 * re-sent seqs, so a retry after an unknown outcome is safe).
 */
export interface BatchedEvent {
  seq: number;
  type: string;
  payload: unknown;
}

export interface EventBatcherOptions {
  send: (events: BatchedEvent[]) => Promise<void>;
  intervalMs?: number;
  maxBatch?: number;
  /** first seq (default 1) */
  firstSeq?: number;
  /** told when a background flush fails; the events stay queued for the next flush */
  onError?: (e: unknown) => void;
}

export class EventBatcher {
  private queue: BatchedEvent[] = [];
  private nextSeq: number;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private closed = false;
  private readonly send: EventBatcherOptions['send'];
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly onError: EventBatcherOptions['onError'];

  constructor(o: EventBatcherOptions) {
    this.send = o.send;
    this.intervalMs = o.intervalMs ?? 200;
    this.maxBatch = o.maxBatch ?? 50;
    this.nextSeq = o.firstSeq ?? 1;
    this.onError = o.onError;
  }

  /** Events numbered so far. */
  get count(): number {
    return this.nextSeq - 1;
  }

  /** Queues one event; returns its seq. Ignored once closed (the run was abandoned). */
  push(type: string, payload: unknown): number {
    if (this.closed) return -1;
    const seq = this.nextSeq++;
    this.queue.push({ seq, type, payload });
    if (this.queue.length >= this.maxBatch) this.kick();
    else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.intervalMs);
    return seq;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.sending || this.closed) return;
    this.sending = this.drain()
      .catch((e) => this.onError?.(e))
      .finally(() => {
        this.sending = null;
        // Events pushed while the request was in flight go out on the next tick of the timer.
        if (this.queue.length && !this.closed && !this.timer) this.timer = setTimeout(() => this.kick(), this.intervalMs);
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.closed) {
      const batch = this.queue.slice(0, this.maxBatch);
      await this.send(batch);
      this.queue.splice(0, batch.length);
    }
  }

  /** Sends everything queued and waits for it; throws when the send fails (e.g. lease lost). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      // One request at a time: wait out a background send (its failure went to onError), then go on.
      if (this.sending) {
        await this.sending;
        continue;
      }
      if (!this.queue.length || this.closed) return;
      const p = this.drain();
      this.sending = p.then(
        () => {},
        () => {},
      ).finally(() => {
        this.sending = null;
      });
      await p;
    }
  }

  /** Drops queued events and stops sending: the run was abandoned. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}
