/**
 * The reactive notebook runtime (isomorphic: the browser kernel worker and Node tests use it).
 * Cells are analysed (./analyze), linked by the names they define and use (./topology), and run
 * one at a time in topological order. Each run has a version; a result superseded by a newer run
 * of the same cell is dropped. Before a cell re-runs, what its previous run made is invalidated:
 * its AbortSignal is aborted, the tensors it created and kept are disposed, models it built are
 * disposed.
 */
import type * as tfNs from '@tensorflow/tfjs';
import { analyzeCell, type CellAnalysis } from './analyze';
import { errorOutput, isLayersModel, isTensor, progressPoint, toOutputs } from './display';
import type { CellOutput } from './schema';
import { buildCellGraph, type CellGraph } from './topology';

export type CellStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'stale';

/** What the kernel reports about a cell after every change (Contract C). */
export interface CellUpdate {
  id: string;
  status: CellStatus;
  version: number;
  outputs: CellOutput[];
  defines: string[];
  uses: string[];
  error?: string;
  ms?: number;
}

export interface CellInput {
  id: string;
  source: string;
  manual: boolean;
}

/** What a cell run gives the builtins factory: its id, its signal, and a progress sink. */
export interface CellContext {
  cellId: string;
  signal: AbortSignal;
  /** appends one point to the cell's streamed `progress` output */
  progress(point: Record<string, number>): void;
}

export interface RuntimeOptions {
  tf: typeof tfNs;
  /** names every cell can read without defining them (e.g. `kiln`, `tf`), made per run */
  builtins(ctx: CellContext): Record<string, unknown>;
  /** what `import … from 'module'` reads, made per run */
  modules?(ctx: CellContext, builtins: Record<string, unknown>): Record<string, unknown>;
  onUpdate(u: CellUpdate): void;
  onStatus?(busy: boolean): void;
  /** a name no cell defines but the host's global scope has (e.g. `location`) passes through */
  globalScope?: Record<string, unknown>;
}

interface CellState {
  id: string;
  source: string;
  manual: boolean;
  analysis: CellAnalysis;
  /** names for the cell graph: defines minus imports of builtin names */
  exported: string[];
  status: CellStatus;
  version: number;
  outputs: CellOutput[];
  error?: string;
  ms?: number;
  /** whether the names it defines hold values from a finished run */
  hasValues: boolean;
  ctl?: AbortController;
  ownedTensors: tfNs.Tensor[];
  ownedModels: { dispose(): unknown }[];
  /** per cell memo for hosts (e.g. ids of graph nodes it added), cleared never */
  memo: Record<string, unknown>;
  fn?: (...args: unknown[]) => Promise<{ value: unknown; defines: Record<string, unknown> }>;
}

type AsyncFn = new (...args: string[]) => (...args: unknown[]) => Promise<{ value: unknown; defines: Record<string, unknown> }>;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as AsyncFn;

/** Lines V8 puts before the body of `new AsyncFunction(...)` (`async function anonymous(…\n) {`). */
const FN_HEADER_LINES = 2;

class Interrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'Interrupted';
  }
}

/** The cell line of an error thrown by cell code, from its stack (`cell-<id>.js:LINE:COL`). */
export function errorLine(e: unknown, cellId: string, lineOffset: number): number | undefined {
  const stack = e instanceof Error ? e.stack : undefined;
  if (!stack) return undefined;
  const esc = cellId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`cell-${esc}\\.js:(\\d+):\\d+`).exec(stack);
  if (!m) return undefined;
  const line = Number(m[1]) - FN_HEADER_LINES - lineOffset;
  return line >= 1 ? line : undefined;
}

function isAsyncIterable(v: unknown): v is AsyncIterator<unknown> & AsyncIterable<unknown> {
  return !!v && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && typeof (v as AsyncIterator<unknown>).next === 'function';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return !!v && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** Tensors and models reachable from `roots` (arrays, plain objects, Maps, Sets; bounded). */
function reachable(roots: unknown[]): { tensors: Set<tfNs.Tensor>; models: Set<tfNs.LayersModel> } {
  const tensors = new Set<tfNs.Tensor>();
  const models = new Set<tfNs.LayersModel>();
  const seen = new Set<object>();
  // Breadth first, so tensors near the top are found before a big array eats the budget.
  let queue: unknown[] = roots;
  let budget = 200_000;
  for (let depth = 0; depth <= 6 && queue.length && budget > 0; depth++) {
    const next: unknown[] = [];
    for (const v of queue) {
      if (!v || typeof v !== 'object' || seen.has(v) || --budget < 0) continue;
      seen.add(v);
      if (isTensor(v)) tensors.add(v);
      else if (isLayersModel(v)) models.add(v);
      else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
      else if (Array.isArray(v)) next.push(...v.slice(0, 100_000));
      else if (v instanceof Map) next.push(...v.values());
      else if (v instanceof Set) next.push(...v);
      else {
        try {
          next.push(...Object.values(v));
        } catch {
          // exotic object (proxy, host object): nothing to find
        }
      }
    }
    queue = next;
  }
  return { tensors, models };
}

/** Ids of the tensors the engine will hand out next: tensors made during a run have ids ≥ this. */
function nextTensorId(tf: typeof tfNs): number {
  const t = tf.scalar(0);
  const id = t.id;
  t.dispose();
  return id + 1;
}

export class NotebookRuntime {
  private cells = new Map<string, CellState>();
  private orderIds: string[] = [];
  private graph: CellGraph = buildCellGraph([]);
  private values = new Map<string, unknown>();
  private pendingRoots = new Set<string>();
  private explicit = new Set<string>();
  private generation = 0;
  private loop: Promise<void> | null = null;
  private current: CellState | null = null;
  private busy = false;

  private versionBase = 0;

  constructor(private readonly opts: RuntimeOptions) {}

  /**
   * Versions of cells created from now on start above `base`: a restarted kernel passes a base
   * above every version the old one reported, so the UI does not drop its updates as stale.
   */
  setVersionBase(base: number): void {
    this.versionBase = base;
  }

  /** The cell's latest state as reported to the host. */
  snapshot(id: string): CellUpdate | undefined {
    const c = this.cells.get(id);
    return c ? this.update(c) : undefined;
  }

  /** A value defined by a cell (tests, debugging). */
  value(name: string): unknown {
    return this.values.get(name);
  }

  /** Per-cell scratch space for hosts (kept across runs of the cell). */
  memo(id: string): Record<string, unknown> {
    return this.cells.get(id)?.memo ?? {};
  }

  /**
   * Replaces the cell list. Changed non-manual cells, cells whose dependencies changed meaning
   * (a definer added, removed or now in error) and their dependents re-run; `run: false` (after a
   * restart) marks every cell stale instead.
   */
  setCells(cells: CellInput[], opts: { run?: boolean } = {}): Promise<void> {
    const before = this.depSignatures();
    const dirty = new Set<string>();
    const keep = new Set(cells.map((c) => c.id));
    for (const [id, c] of this.cells) {
      if (keep.has(id)) continue;
      this.invalidate(c);
      this.cells.delete(id);
    }
    for (const input of cells) {
      const prev = this.cells.get(input.id);
      if (prev && prev.source === input.source) {
        if (prev.manual !== input.manual) prev.manual = input.manual;
        continue;
      }
      const analysis = analyzeCell(input.source);
      const exported = analysis.defines.filter((n) => !analysis.imports.some((i) => i.local === n && this.isBuiltinName(n)));
      const c: CellState = prev ?? { id: input.id, source: '', manual: false, analysis, exported, status: 'idle', version: this.versionBase, outputs: [], hasValues: false, ownedTensors: [], ownedModels: [], memo: {} };
      c.source = input.source;
      c.manual = input.manual;
      c.analysis = analysis;
      c.exported = exported;
      delete c.fn;
      if (prev) {
        // Its old values no longer match its source: dependents must not read them.
        this.invalidate(c);
        c.hasValues = false;
      }
      this.cells.set(c.id, c);
      if (!input.manual) dirty.add(c.id);
      else this.setStatus(c, prev ? 'stale' : 'idle');
    }
    this.orderIds = cells.map((c) => c.id);
    this.rebuild();
    const after = this.depSignatures();
    for (const [id, sig] of after) if (before.get(id) !== sig && !this.cells.get(id)!.manual) dirty.add(id);
    if (opts.run === false) {
      for (const c of this.cells.values()) {
        this.invalidate(c);
        c.hasValues = false;
        this.setStatus(c, 'stale');
      }
      return Promise.resolve();
    }
    return this.schedule(dirty, new Set());
  }

  /** Runs a cell (even a manual one) and its non-manual dependents. */
  run(id: string): Promise<void> {
    if (!this.cells.has(id)) return Promise.resolve();
    return this.schedule(new Set([id]), new Set([id]));
  }

  /** Re-runs the given cells (and dependents), e.g. graph readers after a canvas edit. */
  rerun(ids: Iterable<string>): Promise<void> {
    const dirty = new Set([...ids].filter((id) => this.cells.get(id) && !this.cells.get(id)!.manual));
    return dirty.size ? this.schedule(dirty, new Set()) : Promise.resolve();
  }

  /** Cells that read `kiln.graph` without changing it (and are not manual). */
  graphReaders(): string[] {
    return [...this.cells.values()].filter((c) => c.analysis.readsGraph && !c.analysis.writesGraph && !c.manual).map((c) => c.id);
  }

  /** Stops the running cell (aborts its signal) and drops the queue; queued cells become stale. */
  interrupt(): void {
    this.generation++;
    for (const id of this.pendingRoots) this.markStaleIfQueued(id);
    this.pendingRoots.clear();
    this.explicit.clear();
    for (const c of this.cells.values()) this.markStaleIfQueued(c.id);
    this.current?.ctl?.abort(new Interrupted());
  }

  /** Aborts everything and disposes what every cell holds. */
  dispose(): void {
    this.interrupt();
    for (const c of this.cells.values()) this.invalidate(c);
    this.cells.clear();
    this.values.clear();
  }

  /** Resolves when the queue is empty. */
  idle(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  // ---------------------------------------------------------------------------------------

  private builtinNames?: Set<string>;
  private isBuiltinName(name: string): boolean {
    this.builtinNames ??= new Set(Object.keys(this.opts.builtins({ cellId: '', signal: new AbortController().signal, progress: () => {} })));
    return this.builtinNames.has(name);
  }

  private rebuild(): void {
    const list = this.orderIds.map((id) => this.cells.get(id)!);
    this.graph = buildCellGraph(list.map((c) => ({ id: c.id, defines: c.exported, uses: c.analysis.uses })));
  }

  /** Per cell: who defines each name it uses, and whether that cell is in error. */
  private depSignatures(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.cells.values()) {
      const parts = c.analysis.uses.map((n) => {
        const d = this.graph.definedBy.get(n);
        return `${n}=${d ?? ''}${d && this.graph.errors.has(d) ? '!' : ''}`;
      });
      out.set(c.id, `${this.graph.errors.get(c.id) ?? ''}|${parts.join(',')}`);
    }
    return out;
  }

  private update(c: CellState): CellUpdate {
    return {
      id: c.id,
      status: c.status,
      version: c.version,
      outputs: c.outputs,
      defines: c.analysis.defines,
      uses: c.analysis.uses,
      ...(c.error !== undefined ? { error: c.error } : {}),
      ...(c.ms !== undefined ? { ms: c.ms } : {}),
    };
  }

  private emit(c: CellState): void {
    this.opts.onUpdate(this.update(c));
  }

  private setStatus(c: CellState, status: CellStatus, patch: Partial<Pick<CellState, 'outputs' | 'error' | 'ms'>> = {}): void {
    c.status = status;
    if ('outputs' in patch) c.outputs = patch.outputs!;
    if ('error' in patch) c.error = patch.error;
    else if (status !== 'error') delete c.error;
    if ('ms' in patch) c.ms = patch.ms;
    this.emit(c);
  }

  private markStaleIfQueued(id: string): void {
    const c = this.cells.get(id);
    if (c && c.status === 'queued') this.setStatus(c, c.hasValues ? 'done' : 'stale');
  }

  /** Aborts the cell's run and frees what its previous run kept; its names are forgotten. */
  private invalidate(c: CellState): void {
    c.ctl?.abort(new Interrupted('superseded by a newer run'));
    c.ctl = undefined;
    for (const t of c.ownedTensors) if (!t.isDisposed) t.dispose();
    for (const m of c.ownedModels) {
      try {
        m.dispose();
      } catch {
        // already disposed
      }
    }
    c.ownedTensors = [];
    c.ownedModels = [];
    for (const n of c.exported) if (this.graph.definedBy.get(n) === c.id || !this.graph.definedBy.has(n)) this.values.delete(n);
  }

  private setBusy(b: boolean): void {
    if (b === this.busy) return;
    this.busy = b;
    this.opts.onStatus?.(b);
  }

  private schedule(dirty: Set<string>, explicit: Set<string>): Promise<void> {
    if (dirty.size === 0) return this.loop ?? Promise.resolve();
    for (const id of dirty) this.pendingRoots.add(id);
    for (const id of explicit) this.explicit.add(id);
    this.generation++;
    // The running cell is superseded when it is about to run again.
    const cur = this.current;
    if (cur && this.expand(this.pendingRoots).includes(cur.id)) cur.ctl?.abort(new Interrupted('superseded by a newer run'));
    for (const id of this.expand(this.pendingRoots)) {
      const c = this.cells.get(id);
      if (c && c !== this.current && c.status !== 'queued') this.setStatus(c, 'queued');
    }
    if (!this.loop) {
      this.setBusy(true);
      this.loop = this.drain().finally(() => {
        this.loop = null;
        this.setBusy(false);
      });
    }
    return this.loop;
  }

  /** Roots plus non-manual ancestors that have no values yet (never ran, or reset by a restart). */
  private expand(roots: Set<string>): string[] {
    const all = new Set(roots);
    const stack = [...roots];
    while (stack.length) {
      const c = this.cells.get(stack.pop()!);
      if (!c) continue;
      for (const n of c.analysis.uses) {
        const d = this.graph.definedBy.get(n);
        const dc = d ? this.cells.get(d) : undefined;
        if (dc && !dc.hasValues && !dc.manual && !all.has(dc.id) && !this.graph.errors.has(dc.id)) {
          all.add(dc.id);
          stack.push(dc.id);
        }
      }
    }
    // order() skips cells in error; the roots among them still run, to show their error.
    return this.graph.order(all).concat([...roots].filter((id) => this.graph.errors.has(id)));
  }

  private async drain(): Promise<void> {
    while (this.pendingRoots.size) {
      const gen = this.generation;
      const order = this.expand(this.pendingRoots);
      const explicit = new Set(this.explicit);
      this.pendingRoots.clear();
      this.explicit.clear();
      const blocked = new Set<string>();
      this.markSkipped(order);
      for (let i = 0; i < order.length; i++) {
        if (this.generation !== gen) {
          // New work arrived: what is left of this pass joins it.
          for (const id of order.slice(i)) this.pendingRoots.add(id);
          for (const id of explicit) this.explicit.add(id);
          break;
        }
        const c = this.cells.get(order[i]!);
        if (!c) continue;
        const upstream = c.analysis.uses.map((n) => this.graph.definedBy.get(n)).filter((d): d is string => !!d);
        const inError = this.graph.errors.has(c.id);
        if (!inError && ((c.manual && !explicit.has(c.id)) || upstream.some((d) => blocked.has(d)))) {
          blocked.add(c.id);
          // A manual cell that never ran stays idle: there is nothing stale to show.
          this.setStatus(c, c.manual && c.version === this.versionBase && !c.hasValues ? 'idle' : 'stale');
          continue;
        }
        await this.runCell(c);
        if (c.status !== 'done') blocked.add(c.id);
      }
    }
  }

  /** Dirty cells that cannot run (they depend on a cell in error) and their dependents go stale. */
  private markSkipped(order: string[]): void {
    const inOrder = new Set(order);
    const stack = [...this.pendingRoots].filter((id) => !inOrder.has(id));
    const seen = new Set<string>();
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || inOrder.has(id)) continue;
      seen.add(id);
      const c = this.cells.get(id);
      if (!c) continue;
      if (c.status !== 'error' || !this.graph.errors.has(id)) this.setStatus(c, 'stale');
      stack.push(...this.graph.dependents(id));
    }
  }

  private async runCell(c: CellState): Promise<void> {
    const { tf } = this.opts;
    this.invalidate(c);
    c.hasValues = false;
    const version = ++c.version;
    const a = c.analysis;
    const t0 = performance.now();
    if (!a.ok) {
      const e = a.error;
      this.setStatus(c, 'error', { outputs: [{ type: 'error', name: 'SyntaxError', message: e?.message ?? 'syntax error', ...(e ? { line: e.line } : {}) }], error: e?.message ?? 'syntax error' });
      return;
    }
    const graphError = this.graph.errors.get(c.id);
    if (graphError) {
      this.setStatus(c, 'error', { outputs: [{ type: 'error', name: 'Error', message: graphError }], error: graphError });
      return;
    }
    const ctl = new AbortController();
    c.ctl = ctl;
    this.current = c;
    let progress: { points: Record<string, number>[]; done: boolean } | null = null;
    const pushProgress = (point: Record<string, number>) => {
      if (c.version !== version) return;
      progress ??= { points: [], done: false };
      progress.points.push(point);
      this.setStatus(c, 'running', { outputs: [{ type: 'progress', points: [...progress.points], done: false }] });
    };
    const ctx: CellContext = { cellId: c.id, signal: ctl.signal, progress: pushProgress };
    const builtins = this.opts.builtins(ctx);
    const modules = this.opts.modules?.(ctx, builtins) ?? {};
    this.setStatus(c, 'running');
    const args: unknown[] = [];
    for (const n of a.uses) {
      const d = this.graph.definedBy.get(n);
      if (d !== undefined && d !== c.id) args.push(this.values.get(n));
      else if (n in builtins) args.push(builtins[n]);
      else if (this.opts.globalScope && n in this.opts.globalScope) args.push(this.opts.globalScope[n]);
      else {
        const msg = `\`${n}\` is not defined by any cell`;
        this.setStatus(c, 'error', { outputs: [{ type: 'error', name: 'ReferenceError', message: msg }], error: msg, ms: 0 });
        return;
      }
    }
    for (const imp of a.imports) {
      if (!(imp.module in modules)) {
        const msg = `module "${imp.module}" is not available in the notebook (available: ${Object.keys(modules).join(', ') || 'none'})`;
        this.setStatus(c, 'error', { outputs: [{ type: 'error', name: 'Error', message: msg }], error: msg, ms: 0 });
        return;
      }
    }
    const startId = nextTensorId(tf);
    const inputs = reachable(args);
    tf.engine().startScope();
    let scopeOpen = true;
    const endScope = (keep: tfNs.Tensor[]) => {
      if (!scopeOpen) return;
      scopeOpen = false;
      tf.engine().endScope(keep);
    };
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(ctl.signal.reason instanceof Error ? ctl.signal.reason : new Interrupted());
      if (ctl.signal.aborted) onAbort();
      else ctl.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {});
    try {
      c.fn ??= new AsyncFunction(...a.uses, '__modules', `${a.body}\n//# sourceURL=cell-${c.id}.js`);
      const result = await Promise.race([c.fn(...args, modules), aborted]);
      let value = result.value;
      if (isThenable(value)) value = await Promise.race([value, aborted]);
      if (c.version !== version) return;
      const defines = result.defines ?? {};
      // Values are visible to dependents as soon as the body finished (a streaming generator may go on).
      for (const n of c.exported) if (this.graph.definedBy.get(n) === c.id) this.values.set(n, defines[n]);
      c.hasValues = true;
      let outputs: CellOutput[] = [];
      if (isAsyncIterable(value)) {
        const it = value;
        const points: Record<string, number>[] = [];
        let last: unknown;
        try {
          for (;;) {
            const step = await Promise.race([it.next(), aborted]);
            if (step.done) {
              last = step.value;
              break;
            }
            const p = progressPoint(step.value);
            if (p) {
              points.push(p);
              pushProgress(p);
            }
          }
        } catch (e) {
          void Promise.resolve(it.return?.()).catch(() => {});
          throw e;
        }
        const pts = progress ? (progress as { points: Record<string, number>[] }).points : points;
        outputs = [{ type: 'progress', points: pts, done: true }, ...(await toOutputs(last))];
      } else {
        outputs = await toOutputs(value);
        if (progress) outputs = [{ type: 'progress', points: (progress as { points: Record<string, number>[] }).points, done: true }, ...outputs];
      }
      const kept = reachable([defines, value]);
      const owned = [...kept.tensors].filter((t) => t.id >= startId && !t.isDisposed);
      endScope(owned);
      if (c.version !== version) {
        for (const t of owned) t.dispose();
        return;
      }
      c.ownedTensors = owned;
      c.ownedModels = [...kept.models].filter((m) => !inputs.models.has(m));
      this.setStatus(c, 'done', { outputs, ms: performance.now() - t0 });
    } catch (e) {
      endScope([]);
      if (c.version !== version) return;
      // Superseded runs report nothing; a run stopped by the user says so.
      if (e instanceof Interrupted && /superseded/.test(e.message)) return;
      const line = e instanceof Interrupted ? undefined : errorLine(e, c.id, a.lineOffset);
      const out = e instanceof Interrupted ? { type: 'error' as const, name: 'Interrupted', message: 'interrupted by the user' } : errorOutput(e, line);
      const prior = progress ? [{ type: 'progress' as const, points: (progress as { points: Record<string, number>[] }).points, done: true }] : [];
      const msg = out.type === 'error' ? `${out.line ? `line ${out.line}: ` : ''}${out.message}` : 'error';
      this.setStatus(c, 'error', { outputs: [...prior, out], error: msg, ms: performance.now() - t0 });
    } finally {
      endScope([]);
      if (c.ctl === ctl) c.ctl = undefined;
      if (this.current === c) this.current = null;
    }
  }
}
