/**
 * The worker's end of the notebook API: each Kiln call becomes an `api` message to the page,
 * which performs it (the worker holds no credentials and fetches nothing from /api) and answers
 * with `api-result`. A call whose cell is interrupted is withdrawn at once (rejected with the
 * signal's reason, and the page is told so it can stop the work); a worker that is terminated
 * takes its waiting calls with it.
 */
import type { ApiRequest, ApiResult, FromKernel, KernelApi } from './protocol';

interface Wait {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

function abortError(signal: AbortSignal, call: string): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`kiln ${call}: interrupted`);
}

export class KernelRpc {
  private seq = 0;
  private readonly waits = new Map<number, Wait>();

  constructor(private readonly post: (m: FromKernel) => void) {}

  /** How many calls wait for the page. */
  get pending(): number {
    return this.waits.size;
  }

  readonly call: KernelApi = (call, args, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal, call));
      const reqId = ++this.seq;
      const onAbort = () => {
        this.waits.delete(reqId);
        this.post({ type: 'api-abort', reqId });
        reject(abortError(signal!, call));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.waits.set(reqId, {
        resolve: (v) => {
          done();
          resolve(v as never);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.post({ type: 'api', reqId, call, args } as ApiRequest);
    });

  /** Settles the call an `api-result` answers; one already withdrawn is ignored. */
  settle(m: ApiResult): void {
    const w = this.waits.get(m.reqId);
    if (!w) return;
    this.waits.delete(m.reqId);
    if (m.ok) w.resolve(m.value);
    else w.reject(new Error(m.error));
  }
}
