/**
 * Admission for model routes: at most `maxConcurrency` requests in flight (more → 429 at once,
 * never queued), each with a deadline that one periodic sweep enforces instead of a timer per
 * request.
 */
import { KilnError } from '../../lib/errors';
import type { LoadedVersion } from './loaded-version';
import type { Exchange } from './responder';

export class Admission {
  /** model requests holding a slot */
  inFlight = 0;
  /** exchanges with a deadline, until released */
  readonly pending = new Set<Exchange>();

  constructor(
    readonly maxConcurrency: number,
    readonly timeoutMs: number,
  ) {}

  /**
   * Takes a slot and a reference on `lv` for `ctx`, with its deadline.
   * @throws KilnError `OVERLOADED` (429) when every slot is taken
   */
  admit(ctx: Exchange, lv: LoadedVersion): void {
    if (this.inFlight >= this.maxConcurrency) throw new KilnError('OVERLOADED', `over the limit of ${this.maxConcurrency} requests in flight; retry later`);
    this.inFlight++;
    lv.acquire();
    ctx.lv = lv;
    ctx.deadline = ctx.t0 + this.timeoutMs;
    this.pending.add(ctx);
  }

  /** Gives back `ctx`'s slot and version reference; once only. */
  release(ctx: Exchange): void {
    if (ctx.released) return;
    ctx.released = true;
    this.pending.delete(ctx);
    if (ctx.lv) {
      ctx.lv.release();
      this.inFlight--;
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
