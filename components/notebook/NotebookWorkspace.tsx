'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { useLoadGraph } from '../canvas/useLoadGraph';
import { errorMessage, trpc } from '../studio/trpc';
import { Cell } from './Cell';
import { NbToolbar } from './NbToolbar';
import { exampleDoc, TRUSTED, trustOf, useNotebookStore } from './notebook-store';
import { TrustBanner } from './TrustBanner';
import './notebook.css';
import { useAutosave } from './useAutosave';
import { useKernel, type BackendChoice, type KernelControls } from './useKernel';
import { declareCellNames, definedNameTypes, loadMonaco } from './editor/monaco';

type Load = { status: 'loading' } | { status: 'ready' } | { status: 'error'; message: string };

/**
 * Test hook (documented for e2e tests): `window.__kilnNotebook.setSource(index, text)` replaces a
 * cell's source as if typed and paused on (the kernel re-runs what depends on it), and
 * `getSource(index)` reads it, so tests need not type through Monaco.
 */
function useTestHook(kernel: KernelControls) {
  useEffect(() => {
    const w = window as unknown as { __kilnNotebook?: unknown };
    w.__kilnNotebook = {
      setSource(index: number, text: string) {
        const cell = useNotebookStore.getState().cells[index];
        if (!cell) throw new Error(`no cell ${index}: the notebook has ${useNotebookStore.getState().cells.length}`);
        useNotebookStore.getState().setSource(cell.id, text);
        kernel.commit();
      },
      getSource(index: number) {
        return useNotebookStore.getState().cells[index]?.source ?? null;
      },
      count() {
        return useNotebookStore.getState().cells.length;
      },
    };
    return () => {
      delete w.__kilnNotebook;
    };
  }, [kernel]);
}

/** The notebook: toolbar and cells, bound to the project's graph and kernel. */
export default function NotebookWorkspace({ projectName }: { projectName: string }) {
  const graph = useLoadGraph(projectName, null);
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [backend, setBackend] = useState<BackendChoice>('auto');
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; text: string } | null>(null);
  const cellIds = useNotebookStore((s) => s.cells.map((c) => c.id).join(' '));
  const saveError = useNotebookStore((s) => s.saveError);
  const kernelNotice = useNotebookStore((s) => s.kernelNotice);

  useEffect(() => {
    let cancelled = false;
    // Start fetching the editor while the document loads.
    void loadMonaco().catch(() => undefined);
    trpc.notebooks.get
      .query({ projectName })
      .then((got) => {
        if (cancelled) return;
        if (got) useNotebookStore.getState().open(projectName, got.doc.cells.length ? got.doc : exampleDoc(), got, trustOf(got));
        else useNotebookStore.getState().open(projectName, exampleDoc(), null, TRUSTED);
        setLoad({ status: 'ready' });
      })
      .catch((e: unknown) => {
        if (!cancelled) setLoad({ status: 'error', message: `Could not open the notebook of "${projectName}": ${errorMessage(e)}` });
      });
    return () => {
      cancelled = true;
    };
  }, [projectName]);

  // Names any cell defines are declared to the editor (typed from their values when the kernel
  // reported them), so using them elsewhere is no error. A JSON string keeps the selector stable.
  const definedNames = useNotebookStore((s) => JSON.stringify(definedNameTypes(Object.values(s.runtime))));
  useEffect(() => {
    let cancelled = false;
    void loadMonaco()
      .then((monaco) => {
        if (!cancelled) declareCellNames(monaco, JSON.parse(definedNames) as [string, string | null][]);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [definedNames]);

  // The kernel starts once both the notebook and the graph it binds `kiln.graph` to are loaded.
  const ready = load.status === 'ready' && graph.status === 'ready';
  const kernel = useKernel(projectName, ready, backend);
  useAutosave(ready);
  useTestHook(kernel);

  if (load.status === 'error' || graph.status === 'error') {
    return (
      <div className="page">
        <p className="error" role="alert" data-testid="nb-load-error">
          {load.status === 'error' ? load.message : graph.status === 'error' ? graph.message : ''}
        </p>
        <Link href="/">Back to projects</Link>
      </div>
    );
  }
  if (!ready) return <div className="nb-loading muted">Opening the notebook…</div>;
  const ids = cellIds ? cellIds.split(' ') : [];
  return (
    <div className="nb-root">
      <NbToolbar
        projectName={projectName}
        kernel={kernel}
        backend={backend}
        onBackend={(c) => {
          setBackend(c);
          kernel.setBackend(c);
        }}
        onNotice={setNotice}
      />
      <TrustBanner kernel={kernel} onNotice={setNotice} />
      {[notice, kernelNotice, saveError ? { kind: 'error' as const, text: saveError } : null].map((n, i) =>
        n ? (
          <div key={i} className={`nb-notice small ${n.kind}`} role={n.kind === 'info' ? 'status' : 'alert'} data-testid="nb-notice">
            <span>{n.text}</span>
            {i < 2 ? (
              <button type="button" onClick={() => (i === 0 ? setNotice(null) : useNotebookStore.getState().setKernelNotice(null))} aria-label="Dismiss">
                ×
              </button>
            ) : null}
          </div>
        ) : null,
      )}
      <div className="nb-cells">
        {ids.map((id, i) => (
          <Cell key={id} cellId={id} index={i} count={ids.length} kernel={kernel} />
        ))}
        <button
          type="button"
          className="nb-add"
          data-testid="nb-add"
          onClick={() => {
            useNotebookStore.getState().addCell(ids.length - 1);
            kernel.commit();
          }}
        >
          + Add cell
        </button>
        <p className="small muted nb-help">
          Cells are TypeScript. Top-level names a cell declares can be used by other cells; editing a cell re-runs the cells that depend on it. <kbd>Shift</kbd>+<kbd>Enter</kbd> runs a cell. <code>kiln.graph</code> is the pipeline on the{' '}
          <Link href={`/projects/${encodeURIComponent(projectName)}/canvas`}>canvas</Link>.
        </p>
      </div>
    </div>
  );
}
