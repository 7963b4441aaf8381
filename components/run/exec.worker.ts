/// <reference lib="webworker" />
/**
 * Runs graphs off the main thread: starts a tfjs backend (WebGPU → WebGL → WASM → CPU), loads
 * built-in and uploaded data, samples it, and runs lib/exec's executor with a cache kept across
 * runs, so editing one param re-runs only what is downstream of it.
 *
 * The project's custom nodes run here, so this worker holds no credentials and makes no request
 * to `/api`: each dataset file is asked of the page (./worker-data.ts, ./page-data.ts).
 * exec-imports.test.ts checks everything it loads.
 */
import * as tf from '@tensorflow/tfjs';
import { initBrowserBackend } from '../../lib/backend/browser';
import type { BackendInfo } from '../../lib/backend';
import { sampleDataSource } from '../../lib/data/sample';
import { isKilnError } from '../../lib/errors';
import { ExecCache } from '../../lib/exec/cache';
import { GraphInvalidError, runGraph } from '../../lib/exec/executor';
import { collectResults } from '../../lib/exec/results';
import { formatDiagnostic } from '../../lib/graph/validate';
import '../../lib/nodes/catalog';
import { runCustomInline } from '../../lib/nodes/kinds/custom';
import type { DataInfo, FromWorker, RunResult, ToWorker } from './protocol';
import { WorkerData } from './worker-data';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => scope.postMessage(m);
const files = new WorkerData(post);

const cache = new ExecCache(128);
let cacheBackend = '';
const runs = new Map<number, AbortController>();

async function startBackend(preferred: BackendInfo['name'][]): Promise<BackendInfo> {
  const info = await initBrowserBackend(preferred);
  if (info.name !== cacheBackend) {
    // Results computed on another backend may differ in the last bits: start clean.
    cache.clear();
    cacheBackend = info.name;
  }
  return info;
}

async function run(m: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const ctl = new AbortController();
  runs.set(m.runId, ctl);
  const t0 = performance.now();
  const data: DataInfo[] = [];
  try {
    const backend = await startBackend(m.preferred);
    post({ type: 'backend', info: backend });
    const tensorsBefore = tf.memory().numTensors;
    const r = await runGraph(m.graph, {
      signal: ctl.signal,
      cache,
      // Custom nodes are the project's own code: they run here, in this worker, off the main thread.
      runCustom: runCustomInline,
      onEvent: (event) => post({ type: 'event', runId: m.runId, event }),
      loadData: async (ref) => {
        const src = await files.dataRef(ref, m.datasets, (name) => `input dataset "${name}" is not uploaded to this project (upload it on the Data tab)`);
        const s = sampleDataSource(src, m.sampleSize, m.seed);
        data.push({ ref: ref.builtin ? `builtin:${ref.builtin}` : `input:${ref.input}`, sampleRows: s.sampleRows, totalRows: s.totalRows });
        return s.source;
      },
    });
    const { evaluations, trained, verdict } = collectResults(r.graph, r.outputs);
    const result: RunResult = {
      graphHash: r.graphHash,
      backend,
      evaluations,
      histories: trained.map((t) => ({ nodeId: t.nodeId, history: t.trained.history, stoppedEarly: !!t.trained.stoppedEarly })),
      verdictNodeId: verdict?.nodeId ?? null,
      task: (verdict?.evaluation ?? evaluations[0]?.evaluation)?.task ?? null,
      timings: r.timings,
      cached: r.cached,
      data,
      tensorsBefore,
      tensorsAfter: tf.memory().numTensors,
      ms: performance.now() - t0,
    };
    post({ type: 'done', runId: m.runId, result });
  } catch (e) {
    const cancelled = ctl.signal.aborted || (isKilnError(e) && e.code === 'CANCELLED');
    const nodeId = isKilnError(e) ? e.where.nodeId : undefined;
    const diagnostics = e instanceof GraphInvalidError ? e.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic) : undefined;
    post({
      type: 'error',
      runId: m.runId,
      message: cancelled ? 'run stopped' : e instanceof Error ? e.message : String(e),
      ...(nodeId && !cancelled ? { nodeId } : {}),
      cancelled,
      ...(diagnostics ? { diagnostics } : {}),
    });
  } finally {
    runs.delete(m.runId);
  }
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'init') {
    startBackend(m.preferred).then(
      (info) => post({ type: 'backend', info }),
      (e: unknown) => post({ type: 'backend-error', message: e instanceof Error ? e.message : String(e) }),
    );
  } else if (m.type === 'data-result') files.settle(m);
  else if (m.type === 'run') void run(m);
  else if (m.type === 'stop') runs.get(m.runId)?.abort(new Error('stopped by the user'));
};
