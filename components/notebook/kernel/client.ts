/**
 * The notebook UI's handle on the kernel worker (Contract C). It binds `kiln.graph` to the graph
 * store: every store change goes to the kernel (origin 'canvas', or 'kernel' when it is the
 * kernel's own op coming back, which re-runs nothing), and ops from cells are applied to the
 * store. A cell that ignores an interrupt for 1.5 s gets the worker terminated and restarted.
 * Kiln calls from cells are performed here, by the page (./page-api.ts): the worker makes none.
 */
import type { BackendInfo, BackendName } from '../../../lib/backend';
import type { Graph } from '../../../lib/graph/schema';
import { useGraphStore } from '../../studio/graph-store';
import { applyGraphOp } from './graph-ops';
import { PageApi, type PageReply } from './page-api';
import type { BackendChoice, CellInput, CellUpdate, FromKernel, KernelStatus, ToKernel } from './protocol';

export type { BackendChoice, CellUpdate, KernelStatus };

export interface KernelClientOptions {
  projectName: string;
  /** whether the user trusts the notebook's code; until then no cell runs (see `setTrusted`) */
  trusted: boolean;
  onCell(update: CellUpdate): void;
  onBackend?(info: { name: string; adapter: string; fallbackFrom?: string[] }): void;
  onBackendError?(message: string): void;
  onStatus?(s: KernelStatus): void;
  /** a custom node kind a cell defined was stored (the palette can refresh) */
  onNodeDefined?(name: string): void;
}

/** How long an interrupted cell may take to stop before the worker is terminated. */
export const HARD_INTERRUPT_MS = 1500;
/** Cell versions of the n-th kernel start at n × this, so they always exceed the previous kernel's. */
const VERSIONS_PER_KERNEL = 1_000_000_000;

function preferredOrder(c: BackendChoice): BackendName[] {
  return c === 'auto' ? ['webgpu', 'webgl', 'wasm', 'cpu'] : [c];
}

export class KernelClient {
  private worker: Worker | null = null;
  private cells: CellInput[] = [];
  private choice: BackendChoice = 'auto';
  private status: KernelStatus = 'starting';
  private busy = false;
  private backendUp = false;
  /** the last kernel op applied to the store */
  private ack = 0;
  private applyingKernelOp = false;
  private lastGraph: Graph | null = null;
  private unsubscribe: (() => void) | null = null;
  private hardTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private restarts = 0;
  private readonly api: PageApi;
  /** the current worker's calls the page is performing */
  private calls = new Map<number, AbortController>();
  private trusted: boolean;

  constructor(private readonly opts: KernelClientOptions) {
    this.trusted = opts.trusted;
    this.api = new PageApi({ projectName: opts.projectName, onNodeDefined: (name) => opts.onNodeDefined?.(name) });
    this.start(false);
    this.unsubscribe = useGraphStore.subscribe((s) => {
      if (s.graph === this.lastGraph) return;
      this.lastGraph = s.graph;
      this.post({ type: 'graph', graph: s.graph, ack: this.ack, origin: this.applyingKernelOp ? 'kernel' : 'canvas' });
    });
  }

  /**
   * Kernel cells follow this list: changed non-manual cells and their dependents re-run (while
   * the notebook is trusted; else every cell shows stale and nothing runs).
   */
  setCells(cells: { id: string; source: string; manual: boolean }[]): void {
    this.cells = cells.map((c) => ({ id: c.id, source: c.source, manual: !!c.manual }));
    this.post({ type: 'set-cells', cells: this.cells, run: this.trusted });
  }

  /**
   * Untrusted, no cell runs and the kernel's Kiln calls are refused; trusting runs every
   * non-manual cell (what opening a trusted notebook does). The worker enforces it too.
   */
  setTrusted(trusted: boolean): void {
    if (trusted === this.trusted) return;
    this.trusted = trusted;
    this.post({ type: 'trust', trusted });
    if (trusted) return;
    // What runs now stops, as on Interrupt (a cell that does not yield gets the worker restarted).
    this.interrupt();
    this.abortCalls();
  }

  /** Runs this cell (even if manual) and its non-manual dependents; nothing while untrusted. */
  run(cellId: string): void {
    if (this.trusted) this.post({ type: 'run', id: cellId });
  }

  /** Aborts the running cell; one that does not stop within 1.5 s gets the worker restarted. */
  interrupt(): void {
    if (!this.worker) return;
    this.post({ type: 'interrupt' });
    if (!this.busy) return;
    if (this.hardTimer) clearTimeout(this.hardTimer);
    this.hardTimer = setTimeout(() => {
      if (this.busy) this.restart();
    }, HARD_INTERRUPT_MS);
  }

  setBackend(choice: BackendChoice): void {
    this.choice = choice;
    this.backendUp = false;
    this.setStatus('starting');
    this.post({ type: 'set-backend', preferred: preferredOrder(choice) });
  }

  dispose(): void {
    this.disposed = true;
    if (this.hardTimer) clearTimeout(this.hardTimer);
    this.unsubscribe?.();
    this.worker?.terminate();
    this.worker = null;
    this.abortCalls();
  }

  // ---------------------------------------------------------------------------------------

  private setStatus(s: KernelStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.opts.onStatus?.(s);
  }

  private post(m: ToKernel): void {
    this.worker?.postMessage(m);
  }

  /** Stops the calls a worker that is gone had asked for; their answers are dropped. */
  private abortCalls(): void {
    for (const c of this.calls.values()) c.abort();
    this.calls = new Map();
  }

  private start(restarted: boolean): void {
    const w = new Worker(new URL('./kernel.worker.ts', import.meta.url), { type: 'module' });
    this.worker = w;
    this.busy = false;
    this.backendUp = false;
    w.onmessage = (ev: MessageEvent<FromKernel>) => {
      if (this.worker === w) this.onMessage(w, ev.data);
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      if (this.worker !== w || this.disposed) return;
      this.opts.onBackendError?.(`the notebook kernel crashed: ${ev.message || 'unknown error (see the browser console)'}; restarting it`);
      this.restart();
    };
    this.setStatus(restarted ? 'restarting' : 'starting');
    this.restarts += restarted ? 1 : 0;
    this.post({ type: 'init', projectName: this.opts.projectName, preferred: preferredOrder(this.choice), versionBase: this.restarts * VERSIONS_PER_KERNEL, trusted: this.trusted });
    const g = useGraphStore.getState().graph;
    this.lastGraph = g;
    this.post({ type: 'graph', graph: g, ack: this.ack, origin: 'kernel' });
    // After a restart nothing runs by itself (the cell that hung would hang again): all stale.
    if (restarted) this.post({ type: 'set-cells', cells: this.cells, run: false });
  }

  private restart(): void {
    if (this.hardTimer) clearTimeout(this.hardTimer);
    this.worker?.terminate();
    this.worker = null;
    this.abortCalls();
    // The new worker numbers its ops from 1 again.
    this.ack = 0;
    if (!this.disposed) this.start(true);
  }

  private onMessage(w: Worker, m: FromKernel): void {
    switch (m.type) {
      case 'backend':
        this.backendUp = true;
        this.opts.onBackend?.(m.info as BackendInfo);
        this.setStatus(this.busy ? 'busy' : 'idle');
        break;
      case 'backend-error':
        this.backendUp = true;
        this.opts.onBackendError?.(m.message);
        this.setStatus(this.busy ? 'busy' : 'idle');
        break;
      case 'status':
        this.busy = m.busy;
        if (!m.busy && this.hardTimer) clearTimeout(this.hardTimer);
        if (this.backendUp) this.setStatus(m.busy ? 'busy' : 'idle');
        break;
      case 'cell':
        this.opts.onCell(m.update);
        break;
      case 'graph-op':
        this.applyOp(m.seq, m.op);
        break;
      case 'api':
        void this.serve(w, m.reqId, m.call, m.args);
        break;
      case 'api-abort':
        this.calls.get(m.reqId)?.abort();
        this.calls.delete(m.reqId);
        break;
    }
  }

  private applyOp(seq: number, op: Parameters<typeof applyGraphOp>[1]): void {
    this.ack = seq;
    this.applyingKernelOp = true;
    try {
      useGraphStore.getState().apply((g) => {
        try {
          return applyGraphOp(g, op);
        } catch {
          // The store moved on (a canvas edit raced the cell): the echo below resyncs the kernel.
          return g;
        }
      });
    } finally {
      this.applyingKernelOp = false;
    }
    // No store change (a no-op or refused op) still acknowledges it, so the kernel drops it.
    const g = useGraphStore.getState().graph;
    if (g === this.lastGraph) this.post({ type: 'graph', graph: g, ack: this.ack, origin: 'kernel' });
  }

  /** Performs a call for worker `w` and answers it, unless `w` was replaced or the call withdrawn. */
  private async serve(w: Worker, reqId: number, call: unknown, args: unknown): Promise<void> {
    const ctl = new AbortController();
    const calls = this.calls;
    calls.set(reqId, ctl);
    const reply: PageReply = this.trusted ? await this.api.dispatch(call, args, ctl.signal) : { ok: false, error: 'the notebook is not trusted: its cells may not call Kiln' };
    if (ctl.signal.aborted || this.worker !== w) return;
    calls.delete(reqId);
    const m: ToKernel = reply.ok ? { type: 'api-result', reqId, ok: true, value: reply.value } : { type: 'api-result', reqId, ok: false, error: reply.error };
    w.postMessage(m, reply.ok ? reply.transfer : []);
  }
}
