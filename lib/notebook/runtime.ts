/**
 * The reactive notebook runtime (isomorphic: the browser kernel worker and Node tests use it).
 * Cells are analysed (./analyze), linked by the names they define and use (./topology), and run
 * one at a time in topological order. Each run has a version; a result superseded by a newer run
 * of the same cell is dropped. Before a cell re-runs, what its previous run made is invalidated:
 * its AbortSignal is aborted, the tensors it created and kept and the models it built are disposed.
 */
import type * as tfNs from '@tensorflow/tfjs';
import { analyzeCell, type CellAnalysis } from './analyze';
import { compileCell, errorLine, type CellFn } from './cell-code';
import { executeCell, Interrupted, ProgressLog, SUPERSEDED } from './cell-exec';
import { errorOutput } from './display';
import { disposeOwned } from './ownership';
import type { CellContext, CellInput, CellStatus, CellUpdate, RuntimeOptions } from './runtime-types';
import type { CellOutput } from './schema';
import { buildCellGraph, type CellGraph } from './topology';
import { typesOfDefines } from './value-type';

export type { CellContext, CellInput, CellStatus, CellUpdate, RuntimeOptions } from './runtime-types';
export { errorLine } from './cell-code';

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
  types?: Record<string, string>; // TS types of the values its last finished body defined (editor hints)
  ctl?: AbortController;
  ownedTensors: tfNs.Tensor[];
  ownedModels: { dispose(): unknown }[];
  /** per cell memo for hosts (e.g. ids of graph nodes it added), cleared never */
  memo: Record<string, unknown>;
  fn?: CellFn;
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
      ...(c.types ? { types: c.types } : {}),
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
    c.ctl?.abort(new Interrupted(SUPERSEDED));
    c.ctl = undefined;
    disposeOwned(c.ownedTensors, c.ownedModels);
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
    if (cur && this.expand(this.pendingRoots).includes(cur.id)) cur.ctl?.abort(new Interrupted(SUPERSEDED));
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
    const fail = (name: string, msg: string) => this.setStatus(c, 'error', { outputs: [{ type: 'error', name, message: msg }], error: msg, ms: 0 });
    const isCurrent = () => c.version === version;
    const progress = new ProgressLog(isCurrent, (outputs) => this.setStatus(c, 'running', { outputs }));
    const ctl = new AbortController();
    const ctx: CellContext = { cellId: c.id, signal: ctl.signal, progress: progress.push };
    const builtins = this.opts.builtins(ctx);
    const modules = this.opts.modules?.(ctx, builtins) ?? {};
    this.setStatus(c, 'running');
    const args: unknown[] = [];
    for (const n of a.uses) {
      const d = this.graph.definedBy.get(n);
      if (d !== undefined && d !== c.id) args.push(this.values.get(n));
      else if (n in builtins) args.push(builtins[n]);
      else if (this.opts.globalScope && n in this.opts.globalScope) args.push(this.opts.globalScope[n]);
      else return fail('ReferenceError', `\`${n}\` is not defined by any cell`);
    }
    const missing = a.imports.find((imp) => !(imp.module in modules));
    if (missing) return fail('Error', `module "${missing.module}" is not available in the notebook (available: ${Object.keys(modules).join(', ') || 'none'})`);
    c.ctl = ctl;
    this.current = c;
    try {
      c.fn ??= compileCell(c.id, a);
      const publish = (defines: Record<string, unknown>) => {
        // Values are visible to dependents as soon as the body finished (a streaming generator may go on).
        for (const n of c.exported) if (this.graph.definedBy.get(n) === c.id) this.values.set(n, defines[n]);
        c.hasValues = true;
        c.types = typesOfDefines(c.exported, defines);
      };
      const r = await executeCell({ tf: this.opts.tf, fn: c.fn, args, modules, signal: ctl.signal, progress, isCurrent, publish });
      if (!r) return;
      c.ownedTensors = r.tensors;
      c.ownedModels = r.models;
      this.setStatus(c, 'done', { outputs: r.outputs, ms: performance.now() - t0 });
    } catch (e) {
      if (!isCurrent()) return;
      // Superseded runs report nothing; a run stopped by the user says so.
      if (e instanceof Interrupted && e.message === SUPERSEDED) return;
      const line = e instanceof Interrupted ? undefined : errorLine(e, c.id, a.lineOffset);
      const out = e instanceof Interrupted ? { type: 'error' as const, name: 'Interrupted', message: 'interrupted by the user' } : errorOutput(e, line);
      const msg = out.type === 'error' ? `${out.line ? `line ${out.line}: ` : ''}${out.message}` : 'error';
      this.setStatus(c, 'error', { outputs: [...progress.final(), out], error: msg, ms: performance.now() - t0 });
    } finally {
      if (c.ctl === ctl) c.ctl = undefined;
      if (this.current === c) this.current = null;
    }
  }
}
