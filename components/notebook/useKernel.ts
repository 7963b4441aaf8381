'use client';
import { useEffect, useMemo, useRef } from 'react';
import { KernelClient } from './kernel/client';
import { useNotebookStore } from './notebook-store';

export type BackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** What the page does with the kernel; every call is a no-op until the kernel exists. */
export interface KernelControls {
  /**
   * Sends the current sources, manual flags and trust: changed cells and their dependents re-run
   * (while trusted); a notebook trusted just now runs as if opened.
   */
  commit(): void;
  /** Runs one cell now (also a manual one) after sending any pending edit. */
  run(cellId: string): void;
  runAll(): void;
  interrupt(): void;
  setBackend(choice: BackendChoice): void;
}

function cellsForKernel() {
  return useNotebookStore.getState().cells.map((c) => ({ id: c.id, source: c.source, manual: c.manual }));
}

/**
 * Starts the project's kernel (a Web Worker) while the notebook is open, and keeps it fed with
 * the cells. `ready` is false until the document is loaded, so the kernel never sees an empty
 * notebook first.
 */
export function useKernel(projectName: string, ready: boolean, backend: BackendChoice): KernelControls {
  const client = useRef<KernelClient | null>(null);
  /** the sources the kernel has, by cell id: what a commit would change */
  const sent = useRef(new Map<string, { source: string; manual: boolean }>());
  const initialBackend = useRef(backend);

  useEffect(() => {
    if (!ready) return;
    const store = useNotebookStore.getState;
    const k = new KernelClient({
      projectName,
      trusted: store().trust.trusted,
      onCell: (u) => store().applyUpdate(u),
      onBackend: (info) => store().setBackend({ name: info.name, adapter: info.adapter }),
      onStatus: (s) => store().setKernel(s),
      onBackendError: (message) => store().setKernelNotice({ kind: 'error', text: message }),
      onNodeDefined: (name) => store().setKernelNotice({ kind: 'info', text: `Custom node kind "${name}" saved: it is in the canvas palette of this project.` }),
    });
    client.current = k;
    if (initialBackend.current !== 'auto') k.setBackend(initialBackend.current);
    const cells = cellsForKernel();
    sent.current = new Map(cells.map((c) => [c.id, { source: c.source, manual: c.manual }]));
    k.setCells(cells);
    return () => {
      client.current = null;
      k.dispose();
    };
  }, [projectName, ready]);

  return useMemo<KernelControls>(() => {
    const commit = (): boolean => {
      const cells = cellsForKernel();
      const before = sent.current;
      const changed = cells.length !== before.size || cells.some((c) => before.get(c.id)?.source !== c.source || before.get(c.id)?.manual !== c.manual);
      sent.current = new Map(cells.map((c) => [c.id, { source: c.source, manual: c.manual }]));
      // Distrust reaches the kernel before cells it must not run; trust after the cells it runs.
      const { trusted } = useNotebookStore.getState().trust;
      if (!trusted) client.current?.setTrusted(false);
      if (changed) client.current?.setCells(cells);
      if (trusted) client.current?.setTrusted(true);
      return changed;
    };
    return {
      commit: () => void commit(),
      run(cellId) {
        const wasEdited = sent.current.get(cellId)?.source !== useNotebookStore.getState().cells.find((c) => c.id === cellId)?.source;
        commit();
        const cell = useNotebookStore.getState().cells.find((c) => c.id === cellId);
        // An edited automatic cell already re-runs from the commit; running it again would
        // only start a second, superseding run.
        if (cell && (cell.manual || !wasEdited)) client.current?.run(cellId);
      },
      runAll() {
        commit();
        const s = useNotebookStore.getState();
        const definedBy = new Map<string, string>();
        for (const c of s.cells) for (const d of s.runtime[c.id]?.defines ?? []) definedBy.set(d, c.id);
        // Roots (cells that use no other cell's names) and manual cells: running them re-runs
        // every automatic dependent, so each cell runs once.
        for (const c of s.cells) {
          const uses = s.runtime[c.id]?.uses ?? [];
          const root = !uses.some((u) => definedBy.has(u) && definedBy.get(u) !== c.id);
          if (root || c.manual) client.current?.run(c.id);
        }
      },
      interrupt: () => client.current?.interrupt(),
      setBackend(choice) {
        initialBackend.current = choice;
        client.current?.setBackend(choice);
      },
    };
  }, []);
}
