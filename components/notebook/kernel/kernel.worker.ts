/// <reference lib="webworker" />
/**
 * The notebook kernel: a Web Worker holding the reactive runtime (lib/notebook/runtime), tfjs on
 * the chosen backend (WebGPU first), and the `kiln` API bound to the project's graph. A cell that
 * never yields can only be stopped by terminating this worker (the client does that). It runs
 * user code, so it holds no credentials and makes no request to /api: Kiln calls go to the page
 * as messages (./kernel-rpc.ts, ./page-api.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, BackendName } from '../../../lib/backend';
import { initBrowserBackend } from '../../../lib/backend/browser';
import { graphHash } from '../../../lib/graph/canonical';
import type { Graph } from '../../../lib/graph/schema';
import '../../../lib/nodes/catalog';
import { NotebookRuntime } from '../../../lib/notebook/runtime';
import { KernelRpc } from './kernel-rpc';
import { GraphMirror, makeKiln } from './kiln-api';
import type { FromKernel, ToKernel } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromKernel) => scope.postMessage(m);

let projectName = '';
/** Whether the user trusts the notebook's code: until then no cell runs (protocol.ts `trust`). */
let trusted = false;
/** the cells' ids, in order, as last sent */
let cellIds: string[] = [];
let backend: BackendInfo | null = null;
let backendReady: Promise<unknown> = Promise.resolve();
const rpc = new KernelRpc(post);

/** set when a cell changed the graph: readers re-run once the queue is empty */
let kernelEdited = false;
const mirror = new GraphMirror({ version: 1, seed: 42, nodes: [], edges: [] }, (seq, op) => {
  kernelEdited = true;
  post({ type: 'graph-op', seq, op });
});
let lastHash = graphHash(mirror.current);
/** the graph hash graph-reading cells last ran on after a kernel edit */
let readersSawHash = lastHash;
let rerunTimer: ReturnType<typeof setTimeout> | undefined;
/** Canvas edits re-run graph-reading cells after this pause (a drag or typing settles first). */
const GRAPH_RERUN_MS = 300;

const runtime: NotebookRuntime = new NotebookRuntime({
  tf,
  builtins: (ctx) => ({
    tf,
    kiln: makeKiln(
      ctx,
      {
        tf,
        projectName: () => projectName,
        backend: () => backend,
        graph: mirror,
        api: rpc.call,
      },
      ctx.cellId ? runtime.memo(ctx.cellId) : {},
    ),
  }),
  modules: (_ctx, b) => ({
    '@tensorflow/tfjs': tf,
    kiln: { kiln: b.kiln, default: b.kiln },
  }),
  onUpdate: (update) => post({ type: 'cell', update }),
  onStatus: (busy) => {
    post({ type: 'status', busy });
    // Readers do not depend on writers by name; they still must see what a writer cell did.
    // Readers never write, so this cannot loop.
    if (!busy && kernelEdited) {
      kernelEdited = false;
      const h = graphHash(mirror.current);
      if (h !== readersSawHash) {
        readersSawHash = h;
        void runtime.rerun(runtime.graphReaders());
      }
    }
  },
  globalScope: scope as unknown as Record<string, unknown>,
});

function startBackend(preferred: BackendName[]): Promise<unknown> {
  // Cells run after the backend is up, on it; a failure is reported and cells run on what tfjs has.
  backendReady = initBrowserBackend(preferred).then(
    (info) => {
      backend = info;
      post({ type: 'backend', info });
    },
    (e: unknown) => post({ type: 'backend-error', message: e instanceof Error ? e.message : String(e) }),
  );
  return backendReady;
}

function onGraph(graph: Graph, ack: number, origin: 'canvas' | 'kernel'): void {
  mirror.receive(graph, ack);
  const h = graphHash(mirror.current);
  const changed = h !== lastHash;
  lastHash = h;
  // Only canvas edits re-run readers: the kernel's own ops must not trigger the cells that made them.
  if (origin !== 'canvas' || !changed || !trusted) return;
  if (rerunTimer) clearTimeout(rerunTimer);
  rerunTimer = setTimeout(() => void runtime.rerun(runtime.graphReaders()), GRAPH_RERUN_MS);
}

scope.onmessage = (ev: MessageEvent<ToKernel>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      projectName = m.projectName;
      trusted = m.trusted;
      runtime.setVersionBase(m.versionBase);
      void startBackend(m.preferred);
      break;
    case 'trust':
      trusted = m.trusted;
      if (trusted) {
        const ids = cellIds;
        void backendReady.then(() => runtime.rerun(ids));
      } else if (rerunTimer) clearTimeout(rerunTimer);
      break;
    case 'set-backend':
      void startBackend(m.preferred);
      break;
    case 'set-cells': {
      cellIds = m.cells.map((c) => c.id);
      const run = m.run && trusted;
      void backendReady.then(() => runtime.setCells(m.cells, { run }));
      break;
    }
    case 'run':
      if (trusted) void backendReady.then(() => runtime.run(m.id));
      break;
    case 'interrupt':
      runtime.interrupt();
      break;
    case 'graph':
      onGraph(m.graph, m.ack, m.origin);
      break;
    case 'api-result':
      rpc.settle(m);
      break;
  }
};
