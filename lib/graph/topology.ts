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

/**
 * The cycles of a graph, one per node on a cycle: for each such node the shortest closed path
 * through it (`[a, b, c, a]`), in the given node order. Strongly connected components
 * (Tarjan) find which nodes are on a cycle; nodes that are only downstream of one are not.
 */
export function cyclesThrough(ids: string[], edges: Pick<GraphEdge, 'source' | 'target'>[]): Map<string, string[]> {
  const known = new Set(ids);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) if (known.has(e.source) && known.has(e.target)) out.get(e.source)!.push(e.target);

  // Tarjan's algorithm, iterative so a long chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let next = 0;
  let components = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; i: number }[] = [{ id: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const succ = out.get(top.id)!;
      if (top.i < succ.length) {
        const t = succ[top.i++]!;
        if (!index.has(t)) {
          index.set(t, next);
          low.set(t, next++);
          stack.push(t);
          onStack.add(t);
          work.push({ id: t, i: 0 });
        } else if (onStack.has(t)) low.set(top.id, Math.min(low.get(top.id)!, index.get(t)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) === index.get(top.id)) {
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          component.set(m, components);
        } while (m !== top.id);
        components++;
      }
    }
  }

  const size = new Map<number, number>();
  for (const c of component.values()) size.set(c, (size.get(c) ?? 0) + 1);
  const cycles = new Map<string, string[]>();
  for (const id of ids) {
    const c = component.get(id)!;
    const selfLoop = out.get(id)!.includes(id);
    if (!selfLoop && size.get(c)! < 2) continue;
    if (selfLoop) {
      cycles.set(id, [id, id]);
      continue;
    }
    // Shortest way back to `id`, staying inside its component (breadth-first, so the path is short and stable).
    const prev = new Map<string, string>();
    const queue = [id];
    let found = false;
    while (queue.length && !found) {
      const at = queue.shift()!;
      for (const t of out.get(at)!) {
        if (component.get(t) !== c) continue;
        if (t === id) {
          prev.set(id, at);
          found = true;
          break;
        }
        if (!prev.has(t)) {
          prev.set(t, at);
          queue.push(t);
        }
      }
    }
    const path = [id];
    for (let at = prev.get(id)!; at !== id; at = prev.get(at)!) path.push(at);
    cycles.set(id, [id, ...path.slice(1).reverse(), id]);
  }
  return cycles;
}
