/**
 * State of browser runs, kept outside React so a run (and the worker's cache) survives switching
 * tabs. One worker per page; it owns the tfjs backend and the ExecCache.
 */
import { create } from 'zustand';
import type { BackendInfo, BackendName } from '../../lib/backend';
import { getNodeKind } from '../../lib/nodes/registry';
import type { EpochMetrics } from '../../lib/nodes/types';
import { useGraphStore, type NodeRunStatus } from '../studio/graph-store';
import { PageData } from './page-data';
import type { FromWorker, RunResult, ToWorker } from './protocol';

export type BackendChoice = 'auto' | BackendName;
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export function preferredOrder(c: BackendChoice): BackendName[] {
  return c === 'auto' ? ['webgpu', 'webgl', 'wasm', 'cpu'] : [c];
}

export interface RunError {
  message: string;
  nodeId?: string;
  diagnostics?: string[];
}

export interface LogLine {
  nodeId: string;
  level: 'info' | 'warn';
  message: string;
}

interface RunState {
  choice: BackendChoice;
  backend: BackendInfo | null;
  backendError: string | null;
  backendStarting: boolean;
  phase: 'idle' | 'running' | 'stopping';
  runId: number;
  /** graph-store hash of the graph the current/last run started from */
  runHash: string | null;
  /** epochs streamed per train node during the current run */
  epochs: Record<string, EpochMetrics[]>;
  /** train nodes finished (run or cached) in the current run */
  finished: string[];
  logs: LogLine[];
  result: RunResult | null;
  /** graph-store hash of the graph `result` came from */
  resultHash: string | null;
  error: RunError | null;
  startedAt: number | null;
  /** rows sampled per dataset (remembered in localStorage) */
  sampleSize: number;

  setSampleSize(n: number): void;
  /** reads remembered preferences (client only, after hydration) */
  loadPrefs(): void;
  setChoice(c: BackendChoice): void;
  ensureBackend(): void;
  start(opts: { graph: unknown; hash: string; datasets: Record<string, string>; sampleSize: number; seed: number }): void;
  stop(): void;
}

const SAMPLE_KEY = 'kiln.run.sampleSize';
const DEFAULT_SAMPLE = 500;

let worker: Worker | null = null;
/** Fetches the dataset files the worker asks for (it makes no request to /api itself). */
const pageData = new PageData();
let stopTimer: ReturnType<typeof setTimeout> | undefined;
/** A stop that the worker did not honour in this time terminates it (losing its cache). */
const HARD_STOP_MS = 8000;

function setStatus(update: (prev: Record<string, NodeRunStatus>) => Record<string, NodeRunStatus>) {
  useGraphStore.getState().setNodeStatus(update);
}

/** Clears the marks of nodes that never finished (a stopped or failed run). */
function clearUnfinished() {
  setStatus((prev) => {
    const next: Record<string, NodeRunStatus> = {};
    for (const [id, s] of Object.entries(prev)) if (s.state !== 'queued' && s.state !== 'running') next[id] = s;
    return next;
  });
}

export const useRunStore = create<RunState>()((set, get) => {
  const post = (m: ToWorker) => getWorker().postMessage(m);

  /** Serves a worker's dataset request, unless that worker was replaced meanwhile. */
  const serveData = async (w: Worker, reqId: number, ref: unknown) => {
    const { reply, transfer } = await pageData.serve(reqId, ref);
    if (worker === w) w.postMessage(reply satisfies ToWorker, transfer);
  };

  const onMessage = (w: Worker, m: FromWorker) => {
    if (m.type === 'data') {
      void serveData(w, m.reqId, m.ref);
      return;
    }
    const s = get();
    if (m.type === 'backend') {
      set({ backend: m.info, backendError: null, backendStarting: false });
      return;
    }
    if (m.type === 'backend-error') {
      set({ backendError: m.message, backendStarting: false });
      return;
    }
    if (m.runId !== s.runId) return; // a stale run's late message
    if (m.type === 'event') {
      const e = m.event;
      if (e.type === 'node-start') setStatus((p) => ({ ...p, [e.nodeId]: { state: 'running' } }));
      else if (e.type === 'node-finish') {
        setStatus((p) => ({ ...p, [e.nodeId]: { state: e.cached ? 'cached' : 'done', ms: Math.round(e.ms) } }));
        if (getNodeKind(e.kind)?.role === 'training') set({ finished: [...get().finished, e.nodeId] });
      } else if (e.type === 'node-error') setStatus((p) => ({ ...p, [e.nodeId]: { state: 'failed', message: e.message } }));
      else if (e.type === 'epoch') set({ epochs: { ...s.epochs, [e.nodeId]: [...(s.epochs[e.nodeId] ?? []), e.metrics] } });
      else if (e.type === 'log') set({ logs: [...s.logs, { nodeId: e.nodeId, level: e.level, message: e.message }].slice(-200) });
      return;
    }
    if (stopTimer) clearTimeout(stopTimer);
    if (m.type === 'done') {
      set({ phase: 'idle', result: m.result, resultHash: s.runHash, error: null, backend: m.result.backend });
    } else {
      clearUnfinished();
      set({ phase: 'idle', error: { message: m.message, ...(m.nodeId ? { nodeId: m.nodeId } : {}), ...(m.diagnostics ? { diagnostics: m.diagnostics } : {}) } });
    }
  };

  function getWorker(): Worker {
    if (worker) return worker;
    const w = new Worker(new URL('./exec.worker.ts', import.meta.url), { type: 'module' });
    worker = w;
    w.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(w, ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault();
      const message = `the run worker crashed: ${ev.message || 'unknown error (see the browser console)'}`;
      worker?.terminate();
      worker = null;
      clearUnfinished();
      set({ phase: 'idle', backendStarting: false, backend: null, backendError: get().phase === 'idle' ? message : null, error: get().phase === 'idle' ? get().error : { message } });
    };
    return worker;
  }

  return {
    choice: 'auto',
    backend: null,
    backendError: null,
    backendStarting: false,
    phase: 'idle',
    runId: 0,
    runHash: null,
    epochs: {},
    finished: [],
    logs: [],
    result: null,
    resultHash: null,
    error: null,
    startedAt: null,
    sampleSize: DEFAULT_SAMPLE,

    setSampleSize(n) {
      set({ sampleSize: n });
      if (Number.isInteger(n) && n > 0) {
        try {
          localStorage.setItem(SAMPLE_KEY, String(n));
        } catch {
          // storage disabled: the size is kept for this page only
        }
      }
    },

    loadPrefs() {
      try {
        const saved = Number(localStorage.getItem(SAMPLE_KEY));
        if (Number.isInteger(saved) && saved > 0) set({ sampleSize: saved });
      } catch {
        // storage disabled
      }
    },

    setChoice(choice) {
      set({ choice, backendStarting: true, backendError: null });
      post({ type: 'init', preferred: preferredOrder(choice) });
    },

    ensureBackend() {
      if (get().backend || get().backendStarting) return;
      set({ backendStarting: true });
      post({ type: 'init', preferred: preferredOrder(get().choice) });
    },

    start({ graph, hash, datasets, sampleSize, seed }) {
      if (get().phase !== 'idle') return;
      const runId = get().runId + 1;
      const ids = (graph as { nodes?: { id: string }[] }).nodes?.map((n) => n.id) ?? [];
      setStatus(() => Object.fromEntries(ids.map((id) => [id, { state: 'queued' as const }])));
      set({ phase: 'running', runId, runHash: hash, epochs: {}, finished: [], logs: [], error: null, startedAt: Date.now() });
      pageData.allow(datasets);
      post({ type: 'run', runId, graph, datasets, sampleSize, seed, preferred: preferredOrder(get().choice) });
    },

    stop() {
      const { phase, runId } = get();
      if (phase !== 'running') return;
      set({ phase: 'stopping' });
      post({ type: 'stop', runId });
      stopTimer = setTimeout(() => {
        if (get().phase !== 'stopping' || get().runId !== runId) return;
        worker?.terminate();
        worker = null;
        clearUnfinished();
        set({ phase: 'idle', backend: null, error: { message: 'run stopped (the worker did not respond, so it was restarted; its cache is empty)' } });
        get().ensureBackend();
      }, HARD_STOP_MS);
    },
  };
});
