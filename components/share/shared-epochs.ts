import type { RunEventLike } from '../runs/run-events';

/**
 * A shared run's epoch payloads (in order, every attempt) as events for `epochSeries`: a node's
 * epoch counter going back marks a retried attempt, so only the last attempt's curve is drawn.
 */
export function epochEvents(payloads: readonly unknown[]): RunEventLike[] {
  let attempt = 1;
  const last = new Map<string, number>();
  return payloads.map((payload, i) => {
    const p = (payload ?? {}) as { nodeId?: string; metrics?: { epoch?: unknown } };
    const node = p.nodeId ?? 'train';
    const epoch = typeof p.metrics?.epoch === 'number' ? p.metrics.epoch : null;
    if (epoch !== null) {
      const prev = last.get(node);
      if (prev !== undefined && epoch <= prev) {
        attempt += 1;
        last.clear();
      }
      last.set(node, epoch);
    }
    return { id: i, attempt, seq: i, type: 'epoch', payload, createdAt: '' };
  });
}
