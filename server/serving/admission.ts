/**
 * Admission for model routes, decided from the request's headers before a byte of its body is
 * read: a request is let in only while the WORK in flight leaves room for it, else it gets 429
 * with `Retry-After` at once (its body is then discarded unparsed by Node). Work is counted in
 * instances, since a 1,000-instance body costs about 1,000 times a one-instance one:
 *
 * - at most `maxConcurrency` requests in flight (small requests);
 * - at most `maxInstances` instances in flight, a request's count estimated from its
 *   `Content-Length` and the version's measured bytes per instance, then corrected once its body
 *   is parsed (one request is always let in alone, whatever its size);
 * - an estimated queue wait (instances in flight × the measured milliseconds per instance, see
 *   {@link WorkQueue}) of at most `maxQueueWaitMs`.
 *
 * A refusal is cheap (no exception, a prebuilt body): under overload it is most answers. Each
 * admitted request has a deadline that one periodic sweep enforces instead of a timer per
 * request.
 */
import type { LoadedVersion } from './loaded-version';
import type { Exchange } from './responder';

export interface AdmissionLimits {
  /** requests in flight at most */
  maxConcurrency: number;
  /** instances in flight at most (estimated before the body is read) */
  maxInstances: number;
  /** the longest estimated wait for the work ahead, ms */
  maxQueueWaitMs: number;
  /** deadline of an admitted request, ms */
  timeoutMs: number;
}

/** Where the estimated wait comes from (the work queue measures it). */
export interface WorkRate {
  /** measured milliseconds of synchronous work per instance (0 until measured) */
  readonly msPerInstance: number;
}

/** Why admission refused a request (0: it did not). */
export type Refusal = 0 | 1 | 2 | 3;
export const ADMITTED = 0;
const TOO_MANY_REQUESTS = 1;
const TOO_MANY_INSTANCES = 2;
const TOO_LONG_A_WAIT = 3;

/** The 429 message of each refusal, fixed by the limits (so each answer body is built once). */
export function overloadMessages(l: AdmissionLimits): Record<Exclude<Refusal, 0>, string> {
  return {
    [TOO_MANY_REQUESTS]: `over the limit of ${l.maxConcurrency} requests in flight; retry later`,
    [TOO_MANY_INSTANCES]: `over the limit of ${l.maxInstances} instances in flight (counted from Content-Length before the body is read); retry later`,
    [TOO_LONG_A_WAIT]: `the work in flight would keep this request waiting over the ${l.maxQueueWaitMs} ms limit; retry later`,
  };
}

export class Admission {
  /** model requests holding a slot */
  inFlight = 0;
  /** instances the requests in flight hold (estimates until their bodies are parsed) */
  instances = 0;
  /** exchanges with a deadline, until released */
  readonly pending = new Set<Exchange>();
  readonly timeoutMs: number;

  constructor(
    readonly limits: AdmissionLimits,
    /** the work queue, once there is one */
    public rate: WorkRate = { msPerInstance: 0 },
  ) {
    this.timeoutMs = limits.timeoutMs;
  }

  /**
   * Takes a slot, `cost` instances of the budget and a reference on `lv` for `ctx`, with its
   * deadline, and answers {@link ADMITTED}; or takes nothing and answers why not (a 429 the
   * caller sends from {@link overloadMessages}). No exception: a refusal is the common answer
   * under overload, and an Error's stack trace cost more than the rest of the refusal.
   */
  admit(ctx: Exchange, lv: LoadedVersion, cost = 1): Refusal {
    const l = this.limits;
    if (this.inFlight >= l.maxConcurrency) return TOO_MANY_REQUESTS;
    if (this.inFlight > 0) {
      if (this.instances + cost > l.maxInstances) return TOO_MANY_INSTANCES;
      if (this.instances * this.rate.msPerInstance > l.maxQueueWaitMs) return TOO_LONG_A_WAIT;
    }
    this.inFlight++;
    this.instances += cost;
    ctx.cost = cost;
    lv.acquire();
    ctx.lv = lv;
    ctx.deadline = ctx.t0 + this.timeoutMs;
    this.pending.add(ctx);
    return ADMITTED;
  }

  /** Replaces `ctx`'s estimated instances by the count its parsed body holds. */
  resize(ctx: Exchange, instances: number): void {
    if (ctx.released || !ctx.lv) return;
    this.instances += instances - ctx.cost;
    ctx.cost = instances;
  }

  /** Gives back `ctx`'s slot, instances and version reference; once only. */
  release(ctx: Exchange): void {
    if (ctx.released) return;
    ctx.released = true;
    this.pending.delete(ctx);
    if (ctx.lv) {
      ctx.lv.release();
      this.inFlight--;
      this.instances -= ctx.cost;
    }
  }

  /**
   * Calls `onTimeout` for each unanswered exchange past its deadline at `now`, then releases
   * it unless its prediction is running (that keeps its slot until it ends).
   */
  sweep(now: number, onTimeout: (ctx: Exchange) => void): void {
    for (const ctx of this.pending) {
      if (ctx.deadline > now || ctx.sent) continue;
      ctx.close = true;
      onTimeout(ctx);
      if (!ctx.working) this.release(ctx);
    }
  }
}

/**
 * Instances a body of `contentLength` bytes holds, about: its length over the version's
 * measured bytes per instance, within [1, maxPerRequest]. No length (a chunked body): 1, until
 * the parsed body says how many.
 */
export function estimateInstances(contentLength: string | undefined, bytesPerInstance: number, maxPerRequest: number): number {
  if (contentLength === undefined) return 1;
  const n = Math.floor(Number(contentLength) / bytesPerInstance);
  return n >= 1 ? Math.min(n, maxPerRequest) : 1;
}
