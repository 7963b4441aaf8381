import type { GraphEdge } from './schema';

/**
 * Pure graph structure: Kahn's algorithm over node ids. Returns the order, or the ids left in
 * (or behind) a cycle. Ties break by the given node order so the schedule is deterministic.
 */
export function topoSort(ids: string[], edges: Pick<GraphEdge, 'source' | 'target'>[]): { order: string[]; cyclic: string[] } {
  const indeg = new Map(ids.map((id) => [id, 0]));
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!indeg.has(e.source) || !indeg.has(e.target)) continue;
    indeg.set(e.target, indeg.get(e.target)! + 1);
    out.get(e.source)!.push(e.target);
  }
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const t of out.get(id)!) {
      const d = indeg.get(t)! - 1;
      indeg.set(t, d);
      if (d === 0) queue.push(t);
    }
  }
  const done = new Set(order);
  return { order, cyclic: ids.filter((id) => !done.has(id)) };
}

/** Every node reachable downstream of `from` (inclusive). */
export function descendants(from: string, edges: Pick<GraphEdge, 'source' | 'target'>[]): Set<string> {
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of edges) {
      if (e.source === id && !seen.has(e.target)) {
        seen.add(e.target);
        stack.push(e.target);
      }
    }
  }
  return seen;
}
