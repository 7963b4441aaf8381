'use client';
import { fitGraph } from './fit';
import { getNodesBounds, getViewportForBounds, useReactFlow } from '@xyflow/react';
import { toPng } from 'html-to-image';
import { useState } from 'react';
import { embedGraphInPng } from '../../lib/graph/png';
import { useGraphStore } from '../studio/graph-store';
import { FilePickButton } from '../ui/FilePickButton';
import { useCanvasUi } from './canvas-ui';
import { autoLayout, downloadPng, exportJson, importFile } from './commands';

/** Autosave state in one line; invalid graphs are kept as a draft but are not a version. */
export function SaveStatus() {
  const saveState = useGraphStore((s) => s.saveState);
  const saveError = useGraphStore((s) => s.saveError);
  const savedHash = useGraphStore((s) => s.savedHash);
  const hash = useGraphStore((s) => s.hash);
  const errors = useGraphStore((s) => s.diagnostics.filter((d) => d.severity === 'error').length);
  let text: string;
  let cls = 'muted';
  if (saveState === 'error') {
    text = `Save failed: ${saveError ?? 'unknown error'}`;
    cls = 'error';
  } else if (saveState === 'saving') text = 'Saving…';
  else if (saveState === 'dirty') text = 'Unsaved';
  else if (errors) {
    text = `Draft saved · ${errors} problem${errors === 1 ? '' : 's'}: not a version until valid`;
    cls = 'warn';
  } else if (savedHash) {
    // A valid saved graph is stored as a version under its own hash (layout edits keep it).
    text = `Saved · version ${hash.slice(0, 8)}`;
    cls = 'ok';
  } else text = 'Saved';
  const title =
    errors && saveState === 'saved'
      ? `The working copy is saved as a draft. Fix the ${errors} problem${errors === 1 ? '' : 's'} to store it as a version${savedHash ? ` (last version ${savedHash.slice(0, 8)})` : ''}.`
      : saveState === 'saved'
        ? 'Moving nodes or renaming labels changes only the layout: the version stays the same.'
        : `Current pipeline hash ${hash.slice(0, 8)}`;
  return (
    <span className={`kc-save small ${cls}`} data-testid="save-status" data-state={saveState} title={title} aria-live="polite">
      {text}
    </span>
  );
}

/** The canvas toolbar: history, layout, view, export and import. */
export function Toolbar() {
  const rf = useReactFlow();
  const canUndo = useGraphStore((s) => s.past.length > 0);
  const canRedo = useGraphStore((s) => s.future.length > 0);
  const empty = useGraphStore((s) => s.graph.nodes.length === 0);
  const notify = useCanvasUi((s) => s.notify);
  const [busy, setBusy] = useState(false);

  const exportPng = async () => {
    const viewport = document.querySelector<HTMLElement>('.kc-flow .react-flow__viewport');
    const nodes = rf.getNodes();
    if (!viewport || !nodes.length) return;
    setBusy(true);
    try {
      const bounds = getNodesBounds(nodes);
      const width = Math.min(4096, Math.max(640, Math.ceil(bounds.width + 120)));
      const height = Math.min(4096, Math.max(400, Math.ceil(bounds.height + 120)));
      const vp = getViewportForBounds(bounds, width, height, 0.2, 1.5, 0.08);
      const url = await toPng(viewport, {
        backgroundColor: '#faf8f5',
        width,
        height,
        style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` },
      });
      // A data: URL of the image just rendered: no request leaves the page.
      // eslint-disable-next-line no-restricted-globals
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      downloadPng(embedGraphInPng(bytes, JSON.stringify(useGraphStore.getState().graph)));
      notify({ kind: 'info', text: 'PNG exported: drop it on a canvas to open this pipeline again', source: 'export' });
    } catch (e) {
      notify({ kind: 'error', text: `Export PNG failed: ${(e as Error).message}`, source: 'export' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="kc-toolbar" role="toolbar" aria-label="Canvas">
      <button aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => useGraphStore.getState().undo()}>
        ↶
      </button>
      <button aria-label="Redo" title="Redo (Ctrl+Shift+Z / Ctrl+Y)" disabled={!canRedo} onClick={() => useGraphStore.getState().redo()}>
        ↷
      </button>
      <span className="kc-sep" />
      <button aria-label="Auto-layout" title="Arrange left to right" disabled={empty} onClick={() => { autoLayout(); requestAnimationFrame(() => fitGraph(rf, { padding: 0.15, duration: 200 })); }}>
        Auto-layout
      </button>
      <button aria-label="Fit view" title="Fit the whole pipeline in view" disabled={empty} onClick={() => fitGraph(rf, { padding: 0.15, duration: 200 })}>
        Fit
      </button>
      <span className="kc-sep" />
      <button aria-label="Export JSON" title="Download the pipeline as JSON" disabled={empty} onClick={exportJson}>
        JSON
      </button>
      <button aria-label="Export PNG" title="Download a picture that carries the pipeline" disabled={empty || busy} onClick={() => void exportPng()}>
        PNG
      </button>
      <FilePickButton
        aria-label="Import"
        title="Open a .json or .png pipeline (replaces this one; undo restores it)"
        accept=".json,.png,application/json,image/png"
        inputTestId="import-file"
        onFile={(f) => void importFile(f)}
      >
        Import
      </FilePickButton>
      <span className="kc-grow" />
      <SaveStatus />
    </div>
  );
}

/** The latest canvas message; refused connections carry their own test id. */
export function Notice() {
  const notice = useCanvasUi((s) => s.notice);
  const clear = useCanvasUi((s) => s.clear);
  if (!notice) return null;
  return (
    <div
      className={`kc-notice ${notice.kind}`}
      role={notice.kind === 'error' ? 'alert' : 'status'}
      data-testid={notice.source === 'connection' ? 'connection-error' : `canvas-notice`}
    >
      <span>{notice.text}</span>
      <button aria-label="Dismiss" onClick={clear}>
        ×
      </button>
    </div>
  );
}
