/**
 * The open notebook: the document (sources, manual flags, last outputs) and what the kernel says
 * about each cell (status, run time, defines). The document is what autosave stores; the kernel
 * state is shown but never saved. Cells are addressed by id; the page shows them by index.
 */
import { create } from 'zustand';
import { newCellId, type CellOutput, type NotebookCell, type NotebookDoc } from '../../lib/notebook/schema';

export type CellStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'stale';
export type KernelStatus = 'starting' | 'idle' | 'busy' | 'restarting';
export type NbSaveState = 'saved' | 'dirty' | 'saving' | 'error';

/**
 * Whether the open notebook's code may run (Jupyter's trust): not when the user did not write it
 * (a file they imported, a version someone else saved) until they choose "Trust and run".
 */
export type NotebookTrust = { trusted: true } | { trusted: false; because: 'imported' | 'saved-by-other'; savedBy: string | null };
export const TRUSTED: NotebookTrust = { trusted: true };

/** The trust of a version as notebooks.get reports it. */
export function trustOf(got: { trusted: boolean; untrustedBecause: 'imported' | 'saved-by-other' | null; savedBy: string | null }): NotebookTrust {
  return got.trusted ? TRUSTED : { trusted: false, because: got.untrustedBecause ?? 'saved-by-other', savedBy: got.savedBy };
}

/** What the kernel last reported for a cell (shape of Contract C's CellUpdate). */
export interface CellRuntime {
  status: CellStatus;
  version: number;
  defines: string[];
  uses: string[];
  error?: string;
  ms?: number;
  /** TypeScript types of the defined names' values (editor hints) */
  types?: Record<string, string>;
}

export interface NotebookState {
  projectName: string | null;
  cells: NotebookCell[];
  runtime: Record<string, CellRuntime>;
  kernel: KernelStatus;
  backend: { name: string; adapter: string } | null;
  /** one line from the kernel: a backend that failed to start, a crash, a custom node stored */
  kernelNotice: { kind: 'error' | 'info'; text: string } | null;
  /** bumped on every document edit; autosave compares it with `savedRev` */
  rev: number;
  savedRev: number;
  saveState: NbSaveState;
  saveError: string | null;
  /** the stored version the page shows (null: not saved yet) */
  version: number | null;
  /** the content hash of that version (what "Trust and run" trusts) */
  hash: string | null;
  trust: NotebookTrust;
  /** bumped when the document is replaced wholesale (load, import): editors re-read sources */
  generation: number;

  open(projectName: string, doc: NotebookDoc, saved: { version: number; hash: string } | null, trust: NotebookTrust): void;
  /** Replaces the cells (import, an older version): a new document that autosave stores as a new version. */
  replace(doc: NotebookDoc, trust: NotebookTrust): void;
  setTrusted(): void;
  setSource(id: string, source: string): void;
  setManual(id: string, manual: boolean): void;
  addCell(afterIndex: number, source?: string): string;
  deleteCell(id: string): void;
  moveCell(id: string, delta: -1 | 1): void;
  applyUpdate(u: { id: string; status: CellStatus; version: number; outputs: CellOutput[]; defines: string[]; uses: string[]; error?: string; ms?: number; types?: Record<string, string> }): void;
  setKernel(s: KernelStatus): void;
  setBackend(b: { name: string; adapter: string }): void;
  setKernelNotice(n: { kind: 'error' | 'info'; text: string } | null): void;
  setSaved(rev: number, version: number, hash: string): void;
  setSaveState(s: NbSaveState, error?: string | null): void;
  doc(): NotebookDoc;
}

/** What a new project's notebook starts with: reading the pipeline and a dataset. */
export const EXAMPLE_CELLS: string[] = [
  `// The project's pipeline, live: edit it here or on the canvas.\nconst nodes = kiln.graph.nodes.map((n) => ({ id: n.id, kind: n.kind }));\nnodes`,
  `// A built-in dataset as records (and tensors with .toTensors).\nconst cars = await kiln.data('cars');\ncars.records.slice(0, 50)`,
];

export function exampleDoc(): NotebookDoc {
  return { version: 1, cells: EXAMPLE_CELLS.map((source) => ({ id: newCellId(), source, manual: false, outputs: [] })) };
}

function edited(s: NotebookState, cells: NotebookCell[]): Partial<NotebookState> {
  return { cells, rev: s.rev + 1, saveState: 'dirty' };
}

export const useNotebookStore = create<NotebookState>((set, get) => ({
  projectName: null,
  cells: [],
  runtime: {},
  kernel: 'starting',
  backend: null,
  kernelNotice: null,
  rev: 0,
  savedRev: 0,
  saveState: 'saved',
  saveError: null,
  version: null,
  hash: null,
  trust: TRUSTED,
  generation: 0,

  open(projectName, doc, saved, trust) {
    set((s) => ({
      projectName,
      cells: doc.cells,
      runtime: {},
      rev: 0,
      savedRev: saved === null ? -1 : 0,
      saveState: saved === null ? 'dirty' : 'saved',
      saveError: null,
      version: saved?.version ?? null,
      hash: saved?.hash ?? null,
      trust,
      generation: s.generation + 1,
    }));
  },
  replace(doc, trust) {
    set((s) => ({ ...edited(s, doc.cells), runtime: {}, trust, generation: s.generation + 1 }));
  },
  setTrusted() {
    set({ trust: TRUSTED });
  },
  setSource(id, source) {
    const s = get();
    const cell = s.cells.find((c) => c.id === id);
    if (!cell || cell.source === source) return;
    set(edited(s, s.cells.map((c) => (c.id === id ? { ...c, source } : c))));
  },
  setManual(id, manual) {
    const s = get();
    set(edited(s, s.cells.map((c) => (c.id === id ? { ...c, manual } : c))));
  },
  addCell(afterIndex, source = '') {
    const s = get();
    const id = newCellId();
    const cells = [...s.cells];
    cells.splice(Math.max(0, Math.min(afterIndex + 1, cells.length)), 0, { id, source, manual: false, outputs: [] });
    set(edited(s, cells));
    return id;
  },
  deleteCell(id) {
    const s = get();
    const runtime = { ...s.runtime };
    delete runtime[id];
    set({ ...edited(s, s.cells.filter((c) => c.id !== id)), runtime });
  },
  moveCell(id, delta) {
    const s = get();
    const i = s.cells.findIndex((c) => c.id === id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= s.cells.length) return;
    const cells = [...s.cells];
    [cells[i], cells[j]] = [cells[j]!, cells[i]!];
    set(edited(s, cells));
  },
  applyUpdate(u) {
    const s = get();
    const prev = s.runtime[u.id];
    // A result of an older run arriving after a newer one is dropped.
    if (prev && u.version < prev.version) return;
    const cell = s.cells.find((c) => c.id === u.id);
    if (!cell) return;
    const runtime = { ...s.runtime, [u.id]: { status: u.status, version: u.version, defines: u.defines, uses: u.uses, error: u.error, ms: u.ms, types: u.types } };
    // Outputs are part of the document (saved, exported) once a run settles; while queued or
    // running the previous outputs stay visible unless the kernel streams new ones (progress).
    const settle = u.status === 'done' || u.status === 'error' || u.outputs.length > 0;
    const outputsChanged = settle && JSON.stringify(cell.outputs) !== JSON.stringify(u.outputs);
    if (!outputsChanged) return set({ runtime });
    const cells = s.cells.map((c) => (c.id === u.id ? { ...c, outputs: u.outputs.slice(0, 100) } : c));
    // Streaming progress changes outputs many times a second: save once it is done.
    set({ runtime, cells, rev: s.rev + 1, saveState: 'dirty' });
  },
  setKernel(kernel) {
    set({ kernel });
  },
  setBackend(backend) {
    set({ backend });
  },
  setKernelNotice(kernelNotice) {
    set({ kernelNotice });
  },
  setSaved(rev, version, hash) {
    const s = get();
    set({ savedRev: rev, version, hash, saveState: s.rev === rev ? 'saved' : 'dirty', saveError: null });
  },
  setSaveState(saveState, error = null) {
    set({ saveState, saveError: error });
  },
  doc() {
    return { version: 1, cells: get().cells };
  },
}));
