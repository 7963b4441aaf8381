/**
 * Gives the event loop one turn. On the cpu and wasm backends tensor reads resolve as
 * microtasks, so a training loop would otherwise starve timers, sockets and signal handlers
 * (a runner's heartbeats, a page's clicks) until it ends. `setImmediate` where it exists (Node:
 * microseconds), else `setTimeout(0)` (browsers, workers).
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
