/**
 * The dependency graph between notebook cells: pure structure, no execution (marimo's
 * topology.py). A cell depends on the cell that defines a name it uses. A name defined by two
 * cells, and every cycle, is an error on those cells only; cells downstream of an error are
 * not scheduled until it is fixed.
 */

/** Contract B. */
export interface CellGraph {
  /** name → id of the cell defining it (only names defined exactly once) */
  definedBy: Map<string, string>;
  /** cell id → one-line error (duplicate definition, cycle) */
  errors: Map<string, string>;
  /** direct dependents of a cell, in cell order */
  dependents(id: string): string[];
  /** dirty cells and all their descendants in topological order (stable by cell position),
   * skipping error cells and everything downstream of one */
  order(dirty: Iterable<string>): string[];
}

export interface CellNode {
  id: string;
  defines: string[];
  uses: string[];
}

/** "cell 3" (1-based position, as the notebook shows it). */
function label(pos: number): string {
  return `cell ${pos + 1}`;
}

/** Builds the graph of the cells, given in notebook order. */
export function buildCellGraph(cells: CellNode[]): CellGraph {
  const pos = new Map<string, number>();
  cells.forEach((c, i) => { if (!pos.has(c.id)) pos.set(c.id, i); });
  const errors = new Map<string, string>();
  const addError = (id: string, msg: string): void => {
    const prev = errors.get(id);
    errors.set(id, prev ? `${prev}; ${msg}` : msg);
  };

  // name → every cell defining it, in order
  const definers = new Map<string, number[]>();
  cells.forEach((c, i) => {
    for (const name of new Set(c.defines)) {
      const list = definers.get(name) ?? [];
      list.push(i);
      definers.set(name, list);
    }
  });
  const definedBy = new Map<string, string>();
  for (const [name, list] of definers) {
    if (list.length === 1) { definedBy.set(name, at(cells, at(list, 0)).id); continue; }
    for (const i of list) {
      const others = list.filter((j) => j !== i).map((j) => j + 1);
      const where = others.length === 1 ? `cell ${at(others, 0)}` : `cells ${others.join(', ')}`;
      addError(at(cells, i).id, `\`${name}\` is also defined in ${where}`);
    }
  }

  // edges by position: deps[i] = cells i reads from (with the names), out[j] = readers of j
  const deps: Map<number, string[]>[] = cells.map(() => new Map());
  const out: Set<number>[] = cells.map(() => new Set());
  cells.forEach((c, i) => {
    for (const name of new Set(c.uses)) {
      for (const j of definers.get(name) ?? []) {
        if (j === i) continue; // a cell reading its own name is not a dependency
        const names = at(deps, i).get(j) ?? [];
        names.push(name);
        at(deps, i).set(j, names);
        at(out, j).add(i);
      }
    }
  });

  for (const component of stronglyConnected(cells.length, out)) {
    if (component.length < 2) continue;
    const cycle = cyclePath(component, deps);
    for (const i of component) addError(at(cells, i).id, `cycle: ${cycle}`);
  }

  // an error cell blocks everything downstream of it
  const blocked = new Set<number>();
  const stack = cells.map((c, i) => i).filter((i) => errors.has(at(cells, i).id));
  while (stack.length) {
    const i = stack.pop()!;
    if (blocked.has(i)) continue;
    blocked.add(i);
    for (const j of at(out, i)) stack.push(j);
  }

  const byOrder = (a: number, b: number): number => a - b;
  return {
    definedBy,
    errors,
    dependents(id) {
      const i = pos.get(id);
      return i === undefined ? [] : [...at(out, i)].sort(byOrder).map((j) => at(cells, j).id);
    },
    order(dirty) {
      const want = new Set<number>();
      const todo: number[] = [];
      for (const id of dirty) { const i = pos.get(id); if (i !== undefined) todo.push(i); }
      while (todo.length) {
        const i = todo.pop()!;
        if (want.has(i) || blocked.has(i)) continue;
        want.add(i);
        for (const j of at(out, i)) todo.push(j);
      }
      // Kahn's algorithm inside the wanted set; among ready cells the earliest position goes first
      const indegree = new Map<number, number>();
      for (const i of want) indegree.set(i, [...at(deps, i).keys()].filter((j) => want.has(j)).length);
      const ready = [...want].filter((i) => indegree.get(i) === 0).sort(byOrder);
      const result: string[] = [];
      while (ready.length) {
        const i = ready.shift()!;
        result.push(at(cells, i).id);
        for (const j of [...at(out, i)].sort(byOrder)) {
          if (!want.has(j)) continue;
          const d = indegree.get(j)! - 1;
          indegree.set(j, d);
          if (d === 0) insertSorted(ready, j);
        }
      }
      return result;
    },
  };
}

/** Index that the caller knows is in range (noUncheckedIndexedAccess). */
function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`internal: index ${i} out of range`);
  return v;
}

function insertSorted(list: number[], v: number): void {
  let k = 0;
  while (k < list.length && at(list, k) < v) k++;
  list.splice(k, 0, v);
}

/** Tarjan's strongly connected components (iterative: notebooks may hold 1000 cells). */
function stronglyConnected(n: number, out: Set<number>[]): number[][] {
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const result: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (at(index, root) !== -1) continue;
    const work: { v: number; it: Iterator<number> }[] = [];
    const open = (v: number): void => {
      index[v] = low[v] = counter++;
      stack.push(v);
      onStack[v] = true;
      work.push({ v, it: [...at(out, v)].sort((a, b) => a - b)[Symbol.iterator]() });
    };
    open(root);
    while (work.length) {
      const top = at(work, work.length - 1);
      const next = top.it.next();
      if (!next.done) {
        const w = next.value;
        if (at(index, w) === -1) open(w);
        else if (at(onStack, w)) low[top.v] = Math.min(at(low, top.v), at(index, w));
        continue;
      }
      work.pop();
      if (work.length) { const parent = at(work, work.length - 1).v; low[parent] = Math.min(at(low, parent), at(low, top.v)); }
      if (at(low, top.v) === at(index, top.v)) {
        const comp: number[] = [];
        let w: number;
        do { w = stack.pop()!; onStack[w] = false; comp.push(w); } while (w !== top.v);
        result.push(comp.sort((a, b) => a - b));
      }
    }
  }
  return result;
}

/** A readable cycle through a component: "cell 2 uses `b` from cell 3; cell 3 uses `a` from cell 2". */
function cyclePath(component: number[], deps: Map<number, string[]>[]): string {
  const inComp = new Set(component);
  const start = at(component, 0);
  // walk dependencies inside the component from the first cell until we come back (BFS for the shortest loop)
  const prev = new Map<number, number>();
  const queue = [start];
  let closing = -1;
  while (queue.length && closing < 0) {
    const i = queue.shift()!;
    for (const j of [...at(deps, i).keys()].sort((a, b) => a - b)) {
      if (!inComp.has(j)) continue;
      if (j === start) { closing = i; break; }
      if (!prev.has(j)) { prev.set(j, i); queue.push(j); }
    }
  }
  const path = [start];
  const tail: number[] = [];
  for (let k = closing; k !== start && k >= 0; k = prev.get(k)!) tail.unshift(k);
  path.push(...tail, start);
  const steps = path.slice(0, -1).map((i, k) => `${label(i)} uses \`${at(deps, i).get(at(path, k + 1))!.join('`, `')}\` from ${label(at(path, k + 1))}`);
  return steps.join('; ');
}
