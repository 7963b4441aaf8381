/**
 * The open project's pipeline graph: one document that the canvas (and later the notebook) edit.
 * Every edit goes through `apply`, which keeps undo history, re-validates with lib/graph and
 * schedules an autosave. Layout-only edits (moving nodes) are saved too but never create a graph
 * version: the server hashes the execution part only.
 */
import { create } from 'zustand';
import { graphHash } from '../../lib/graph/canonical';
import type { Graph } from '../../lib/graph/schema';
import { migrateNodeParams } from '../../lib/graph/migrate';
import { validateGraph, type Diagnostic } from '../../lib/graph/validate';
import '../../lib/nodes/catalog';
import { errorMessage, trpc } from './trpc';

export type NodeRunState = 'queued' | 'running' | 'cached' | 'done' | 'failed';
export interface NodeRunStatus {
  state: NodeRunState;
  message?: string;
  ms?: number;
}

export type SaveState = 'saved' | 'dirty' | 'saving' | 'error';

const HISTORY_LIMIT = 200;
const AUTOSAVE_MS = 600;

export interface GraphState {
  projectName: string | null;
  graph: Graph;
  diagnostics: Diagnostic[];
  /** hash of the execution part of `graph` (changes only when the pipeline does) */
  hash: string;
  /** hash of the last graph stored as a version (valid graphs only) */
  savedHash: string | null;
  saveState: SaveState;
  saveError: string | null;
  selection: string[];
  past: Graph[];
  future: Graph[];
  nodeStatus: Record<string, NodeRunStatus>;

  /** Opens a project's graph: clears history, selection and run status. */
  load(projectName: string, graph: Graph, savedHash: string | null): void;
  /**
   * Replaces the document with `mutate(graph)`. `history: false` for transient changes that
   * should not be undone one by one (a drag in progress); the caller records the start state
   * with `checkpoint` instead.
   */
  apply(mutate: (g: Graph) => Graph, opts?: { history?: boolean }): void;
  /** Pushes the current document on the undo stack (before a gesture made of many `apply`s). */
  checkpoint(): void;
  undo(): void;
  redo(): void;
  setSelection(ids: string[]): void;
  setNodeStatus(update: Record<string, NodeRunStatus> | ((prev: Record<string, NodeRunStatus>) => Record<string, NodeRunStatus>)): void;
  /** Saves now (autosave calls this after a pause in editing). */
  save(): Promise<void>;
}

const EMPTY: Graph = { version: 1, seed: 42, nodes: [], edges: [] };

function derive(graph: Graph) {
  const v = validateGraph(graph);
  return { diagnostics: v.diagnostics, hash: graphHash(graph) };
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
let saving: Promise<void> | undefined;

export const useGraphStore = create<GraphState>()((set, get) => {
  const scheduleSave = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => void get().save(), AUTOSAVE_MS);
  };

  return {
    projectName: null,
    graph: EMPTY,
    diagnostics: [],
    hash: graphHash(EMPTY),
    savedHash: null,
    saveState: 'saved',
    saveError: null,
    selection: [],
    past: [],
    future: [],
    nodeStatus: {},

    load(projectName, stored, savedHash) {
      if (saveTimer) clearTimeout(saveTimer);
      // Params written by older versions of a kind are upgraded as the graph opens, so the canvas,
      // the inspector and the notebook only ever see current params (the next save stores them).
      const graph = Array.isArray(stored.nodes) ? migrateNodeParams(stored).graph : stored;
      set({ projectName, graph, ...derive(graph), savedHash, saveState: 'saved', saveError: null, selection: [], past: [], future: [], nodeStatus: {} });
    },

    apply(mutate, opts = {}) {
      const prev = get().graph;
      const next = mutate(prev);
      if (next === prev) return;
      const past = opts.history === false ? get().past : [...get().past, prev].slice(-HISTORY_LIMIT);
      set({ graph: next, ...derive(next), past, future: opts.history === false ? get().future : [], saveState: 'dirty' });
      scheduleSave();
    },

    checkpoint() {
      set({ past: [...get().past, get().graph].slice(-HISTORY_LIMIT), future: [] });
    },

    undo() {
      const { past, future, graph } = get();
      const prev = past[past.length - 1];
      if (!prev) return;
      set({ graph: prev, ...derive(prev), past: past.slice(0, -1), future: [graph, ...future], saveState: 'dirty' });
      scheduleSave();
    },

    redo() {
      const { past, future, graph } = get();
      const next = future[0];
      if (!next) return;
      set({ graph: next, ...derive(next), past: [...past, graph], future: future.slice(1), saveState: 'dirty' });
      scheduleSave();
    },

    setSelection(ids) {
      set({ selection: ids });
    },

    setNodeStatus(update) {
      set({ nodeStatus: typeof update === 'function' ? update(get().nodeStatus) : update });
    },

    async save() {
      if (saveTimer) clearTimeout(saveTimer);
      const projectName = get().projectName;
      if (!projectName) return;
      // One save at a time; a save requested meanwhile runs after it with the newest document.
      while (saving) await saving;
      const graph = get().graph;
      const valid = get().diagnostics.every((d) => d.severity !== 'error');
      set({ saveState: 'saving' });
      saving = (async () => {
        try {
          // The draft keeps work in progress, valid or not; a valid graph also becomes a version.
          await trpc.graphs.putDraft.mutate({ projectName, graph });
          let savedHash = get().savedHash;
          if (valid) savedHash = (await trpc.graphs.save.mutate({ projectName, graph })).hash;
          if (get().graph === graph) set({ saveState: 'saved', saveError: null, savedHash });
          else set({ savedHash });
        } catch (e) {
          set({ saveState: 'error', saveError: errorMessage(e) });
        } finally {
          saving = undefined;
        }
      })();
      await saving;
    },
  };
});
