/**
 * In-process wake-up for long-polling claims: a claim that found the queue empty waits here
 * until a run is queued on this server (submit, hand-back, reaped lease) or a short timeout,
 * then looks again. The timeout keeps several servers sharing one PostgreSQL correct: a run
 * queued through another server is seen within a second.
 */
const waiters = new Set<() => void>();

/** Wakes every waiting claim (call after a run enters the queue). */
export function notifyRunQueued(): void {
  for (const wake of [...waiters]) wake();
}

/** Resolves when a run is queued here, after `ms`, or when `signal` aborts, whichever comes first. */
export function waitForQueuedRun(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
