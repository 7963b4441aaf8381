'use client';
import { memo } from 'react';
import { CellEditor } from './editor/CellEditor';
import { useNotebookStore } from './notebook-store';
import { CellOutputs } from './outputs/CellOutputs';
import type { KernelControls } from './useKernel';

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One cell: its toolbar (run, manual, move, delete, add below), editor, status and outputs. */
export const Cell = memo(function Cell({ cellId, index, count, kernel }: { cellId: string; index: number; count: number; kernel: KernelControls }) {
  const cell = useNotebookStore((s) => s.cells.find((c) => c.id === cellId));
  const rt = useNotebookStore((s) => s.runtime[cellId]);
  const trusted = useNotebookStore((s) => s.trust.trusted);
  if (!cell) return null;
  const status = rt?.status ?? 'idle';
  const errorOut = cell.outputs.find((o) => o.type === 'error');
  const store = useNotebookStore.getState;
  const add = () => {
    store().addCell(index);
    kernel.commit();
  };
  return (
    <section className={`nb-cell nb-st-${status}${cell.manual ? ' nb-manual' : ''}`} data-testid={`nb-cell-${index}`} aria-label={`Cell ${index + 1}`}>
      <div className="nb-cell-bar">
        <button
          type="button"
          className="nb-run"
          onClick={() => kernel.run(cellId)}
          disabled={!trusted}
          data-testid={`nb-run-${index}`}
          title={trusted ? 'Run this cell and its dependents (Shift+Enter)' : 'Trust the notebook first (the banner above)'}
          aria-label={`Run cell ${index + 1}`}
        >
          ▶
        </button>
        <span className="nb-cell-no mono small">[{index + 1}]</span>
        <span className={`badge nb-badge ${status}`} data-testid={`nb-status-${index}`} title={rt?.error ?? undefined}>
          {status}
        </span>
        {rt?.ms !== undefined && (status === 'done' || status === 'error') ? <span className="small muted">{fmtMs(rt.ms)}</span> : null}
        {rt && rt.defines.length > 0 ? (
          <span className="small muted nb-defines" title={`defines ${rt.defines.join(', ')}`}>
            → {rt.defines.join(', ')}
          </span>
        ) : null}
        <span className="nb-grow" />
        <label className="small nb-manual-toggle" title="A manual cell runs only when you run it (for expensive work)">
          <input
            type="checkbox"
            checked={cell.manual}
            onChange={(e) => {
              store().setManual(cellId, e.target.checked);
              kernel.commit();
            }}
            data-testid={`nb-manual-${index}`}
          />{' '}
          manual
        </label>
        <button type="button" className="nb-icon" disabled={index === 0} onClick={() => store().moveCell(cellId, -1)} aria-label={`Move cell ${index + 1} up`} title="Move up">
          ↑
        </button>
        <button type="button" className="nb-icon" disabled={index === count - 1} onClick={() => store().moveCell(cellId, 1)} aria-label={`Move cell ${index + 1} down`} title="Move down">
          ↓
        </button>
        <button type="button" className="nb-icon" onClick={add} aria-label={`Add a cell below cell ${index + 1}`} title="Add a cell below" data-testid={`nb-add-below-${index}`}>
          +
        </button>
        <button
          type="button"
          className="nb-icon"
          disabled={count === 1}
          onClick={() => {
            store().deleteCell(cellId);
            kernel.commit();
          }}
          aria-label={`Delete cell ${index + 1}`}
          title={count === 1 ? 'A notebook keeps at least one cell' : 'Delete this cell'}
          data-testid={`nb-delete-${index}`}
        >
          ✕
        </button>
      </div>
      <CellEditor
        cellId={cellId}
        index={index}
        errorLine={errorOut?.type === 'error' ? errorOut.line : undefined}
        errorMessage={errorOut?.type === 'error' ? `${errorOut.name}: ${errorOut.message}` : undefined}
        onCommit={kernel.commit}
        onRun={() => kernel.run(cellId)}
      />
      {rt?.error && !errorOut ? (
        <div className="nb-out-error" role="alert">
          {rt.error}
        </div>
      ) : null}
      {cell.outputs.length > 0 ? <CellOutputs outputs={cell.outputs} index={index} stale={status === 'stale'} /> : <div data-testid={`nb-output-${index}`} className="nb-outputs nb-outputs-empty" />}
    </section>
  );
});
