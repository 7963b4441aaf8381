/**
 * Messages between the notebook UI (KernelClient, main thread) and the kernel worker. Graph
 * edits from cells travel as numbered ops; the main thread applies them to the graph store (the
 * one source of truth) and sends the resulting graph back with the number of the last op it
 * applied, so the worker can re-apply its newer ops on top (no lost edits, no echo loops).
 */
import type { BackendInfo, BackendName } from '../../../lib/backend';
import type { Graph } from '../../../lib/graph/schema';
import type { CustomNodeDefInput } from '../../../lib/nodes/custom-def';
import type { CellInput, CellUpdate } from '../../../lib/notebook/runtime';
import type { GraphOp } from './graph-ops';

export type { CellInput, CellUpdate };
export type BackendChoice = 'auto' | BackendName;
export type KernelStatus = 'starting' | 'idle' | 'busy' | 'restarting';

export type ToKernel =
  /** `versionBase`: cell versions start above it (above all versions of a kernel it replaces) */
  | { type: 'init'; projectName: string; preferred: BackendName[]; versionBase: number }
  | { type: 'set-backend'; preferred: BackendName[] }
  /** `run: false` after a restart: every cell shows stale and nothing runs by itself */
  | { type: 'set-cells'; cells: CellInput[]; run: boolean }
  | { type: 'run'; id: string }
  | { type: 'interrupt' }
  /** the store's graph; `ack` = the last kernel op applied to it; `origin` says who changed it */
  | { type: 'graph'; graph: Graph; ack: number; origin: 'canvas' | 'kernel' }
  | { type: 'define-result'; reqId: number; ok: boolean; error?: string };

export type FromKernel =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'backend-error'; message: string }
  | { type: 'status'; busy: boolean }
  | { type: 'cell'; update: CellUpdate }
  | { type: 'graph-op'; seq: number; op: GraphOp }
  | { type: 'define-node'; reqId: number; def: CustomNodeDefInput };
