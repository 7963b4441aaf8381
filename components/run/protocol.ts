/**
 * Messages between the RunPanel (main thread) and exec.worker.ts. Plain data only.
 *
 * The worker runs the project's custom-node code and holds no credentials: it makes no request
 * to `/api` itself. Each dataset file a run reads is a `data` message; the page checks it (a
 * built-in dataset, or an uploaded version the page itself named in a `run` message), fetches
 * it and answers with `data-result`, transferring the bytes (./page-data.ts).
 */
import type { BackendInfo, BackendName } from '../../lib/backend';
import type { EpochMetrics, Evaluation, ExecEvent, Task } from '../../lib/nodes/types';

export type ToWorker =
  | { type: 'init'; preferred: BackendName[] }
  | {
      type: 'run';
      runId: number;
      graph: unknown;
      /** input dataset name → dataset version id (newest version per name) */
      datasets: Record<string, string>;
      /** rows sampled per dataset; full data when the data has no more rows */
      sampleSize: number;
      seed: number;
      preferred: BackendName[];
    }
  | { type: 'stop'; runId: number }
  | DataResult;

/** A dataset file the worker asks the page for. */
export type DataFileRef = { source: 'builtin'; name: string } | { source: 'uploaded'; id: string; name: string };

export type DataResult =
  /** `bytes` is transferred, not copied */
  | { type: 'data-result'; reqId: number; ok: true; bytes: ArrayBuffer; format: 'csv' | 'json' }
  | { type: 'data-result'; reqId: number; ok: false; error: string };

export interface DataInfo {
  /** "builtin:cars" or "input:sales" */
  ref: string;
  sampleRows: number;
  totalRows: number;
}

export interface RunResult {
  graphHash: string;
  backend: BackendInfo;
  evaluations: { nodeId: string; evaluation: Evaluation }[];
  /** the evaluation node whose result is the graph's verdict (lowest id, see `verdictNode`), null when none */
  verdictNodeId: string | null;
  histories: { nodeId: string; history: EpochMetrics[]; stoppedEarly: boolean }[];
  task: Task | null;
  timings: Record<string, number>;
  cached: string[];
  data: DataInfo[];
  /** tf.memory().numTensors after the run, and before it (a leak shows as a growing count) */
  tensorsAfter: number;
  tensorsBefore: number;
  ms: number;
}

export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'backend-error'; message: string }
  | { type: 'event'; runId: number; event: ExecEvent }
  | { type: 'done'; runId: number; result: RunResult }
  | { type: 'error'; runId: number; message: string; nodeId?: string; cancelled: boolean; diagnostics?: string[] }
  | { type: 'data'; reqId: number; ref: DataFileRef };
