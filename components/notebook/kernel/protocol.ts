/**
 * Messages between the notebook UI (KernelClient, main thread) and the kernel worker. Graph
 * edits from cells travel as numbered ops; the main thread applies them to the graph store (the
 * one source of truth) and sends the resulting graph back with the number of the last op it
 * applied, so the worker can re-apply its newer ops on top (no lost edits, no echo loops).
 *
 * The worker runs user code and holds no credentials: it makes no request to `/api` itself.
 * Every Kiln call a cell makes (`kiln.data`, `kiln.submit`, `kiln.defineNode` …) is an `api`
 * message, which the page authorises and performs for the notebook's own project (page-api.ts)
 * and answers with `api-result`. The arguments of each call are declared here once, as zod
 * schemas, and checked by the page.
 */
import { z } from 'zod';
import type { BackendInfo, BackendName } from '../../../lib/backend';
import type { Graph } from '../../../lib/graph/schema';
import { customNodeDefSchema } from '../../../lib/nodes/custom-def';
import type { CellInput, CellUpdate } from '../../../lib/notebook/runtime';
import type { RouterOutputs } from '../../studio/trpc';
import type { GraphOp } from './graph-ops';

export type { CellInput, CellUpdate };
export type BackendChoice = 'auto' | BackendName;
export type KernelStatus = 'starting' | 'idle' | 'busy' | 'restarting';

const datasetNameSchema = z.string().min(1).max(200);
const idSchema = z.string().min(1).max(64);

/**
 * The arguments of each call the page serves, and nothing else: strict objects, so a worker
 * cannot slip in a project name (the page always uses the project it opened).
 */
export const apiArgsSchemas = {
  /** the newest uploaded version of a dataset of the notebook's project */
  datasetVersion: z.strictObject({ name: datasetNameSchema }),
  /** a dataset file: built-in by name, or an uploaded version the page named in `datasetVersion` */
  datasetFile: z.discriminatedUnion('source', [
    z.strictObject({ source: z.literal('builtin'), name: datasetNameSchema }),
    z.strictObject({ source: z.literal('uploaded'), id: idSchema, name: datasetNameSchema }),
  ]),
  /** queues a server run of the graph on the newest versions of the input datasets it reads */
  submit: z.strictObject({
    // The server validates the graph (and reports every diagnostic); the page reads its nodes
    // to resolve input datasets, so it needs that much shape.
    graph: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), kind: z.string(), params: z.record(z.string(), z.unknown()).optional() })) }),
  }),
  /** a run this page submitted */
  runStatus: z.strictObject({ runId: idSchema }),
  /** stores a custom node kind in the notebook's project */
  defineNode: z.strictObject({ def: customNodeDefSchema }),
};

export type ApiCall = keyof typeof apiArgsSchemas;
export type ApiArgs<C extends ApiCall> = z.input<(typeof apiArgsSchemas)[C]>;

/** What each call answers with. */
export interface ApiValues {
  datasetVersion: { id: string } | null;
  /** `bytes` is transferred, not copied */
  datasetFile: { bytes: ArrayBuffer; format: 'csv' | 'json' };
  submit: { runId: string; url: string };
  runStatus: RouterOutputs['runs']['get'];
  defineNode: null;
}

/** The worker's way to make a call; `signal` (the cell run's) withdraws it. */
export type KernelApi = <C extends ApiCall>(call: C, args: ApiArgs<C>, signal?: AbortSignal) => Promise<ApiValues[C]>;

export type ApiRequest = { [C in ApiCall]: { type: 'api'; reqId: number; call: C; args: ApiArgs<C> } }[ApiCall];
export type ApiResult = { type: 'api-result'; reqId: number; ok: true; value: unknown } | { type: 'api-result'; reqId: number; ok: false; error: string };

export type ToKernel =
  /**
   * `versionBase`: cell versions start above it (above all versions of a kernel it replaces);
   * `trusted`: whether the user trusts the notebook's code (else see `trust`)
   */
  | { type: 'init'; projectName: string; preferred: BackendName[]; versionBase: number; trusted: boolean }
  /**
   * Until the user trusts the notebook (Jupyter's trust) no cell runs: not on open, not
   * reactively, not on request. Trusting runs every non-manual cell, as opening a trusted one does.
   */
  | { type: 'trust'; trusted: boolean }
  | { type: 'set-backend'; preferred: BackendName[] }
  /** `run: false` after a restart: every cell shows stale and nothing runs by itself */
  | { type: 'set-cells'; cells: CellInput[]; run: boolean }
  | { type: 'run'; id: string }
  | { type: 'interrupt' }
  /** the store's graph; `ack` = the last kernel op applied to it; `origin` says who changed it */
  | { type: 'graph'; graph: Graph; ack: number; origin: 'canvas' | 'kernel' }
  | ApiResult;

export type FromKernel =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'backend-error'; message: string }
  | { type: 'status'; busy: boolean }
  | { type: 'cell'; update: CellUpdate }
  | { type: 'graph-op'; seq: number; op: GraphOp }
  | ApiRequest
  /** the cell that made the call was interrupted: the page may stop the work */
  | { type: 'api-abort'; reqId: number };
