'use client';

import { useEffect, useState } from 'react';
import { formatDiagnostic } from '../../lib/graph/validate';
import { useGraphStore } from '../studio/graph-store';
import { errorMessage } from '../studio/trpc';
import { resolveInputDatasets } from './inputs';
import { Results } from './Results';
import { BACKEND_CHOICES, useRunStore, type BackendChoice, type RunError } from './run-store';
import { ServerSubmit } from './ServerSubmit';
import { TrainingView } from './TrainingView';
import './run.css';

function ErrorLine({ error }: { error: RunError }) {
  return (
    <div className="small error kiln-run-error" data-testid="run-error" title={error.message}>
      {error.nodeId && !error.message.includes(`"${error.nodeId}"`) && <strong>node “{error.nodeId}”: </strong>}
      {error.message}
      {error.diagnostics?.slice(0, 3).map((d, i) => (
        <div key={i}>{d}</div>
      ))}
      {(error.diagnostics?.length ?? 0) > 3 && <div>… and {error.diagnostics!.length - 3} more</div>}
    </div>
  );
}

/** Bottom dock of the canvas: run the open graph in the browser (Web Worker) or on the server. */
export function RunPanel({ projectName }: { projectName: string }) {
  const graph = useGraphStore((s) => s.graph);
  const hash = useGraphStore((s) => s.hash);
  const run = useRunStore();
  const [preError, setPreError] = useState<RunError | null>(null);

  useEffect(() => {
    // Start the backend before the first run, so the user sees what they will get.
    useRunStore.getState().loadPrefs();
    useRunStore.getState().ensureBackend();
  }, []);

  const sampleSize = run.sampleSize;
  const sampleOk = Number.isInteger(sampleSize) && sampleSize >= 10 && sampleSize <= 10_000_000;

  const start = async () => {
    setPreError(null);
    const { graph: g, diagnostics, hash: h } = useGraphStore.getState();
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      setPreError({ message: 'the graph is not valid', diagnostics: errors.map(formatDiagnostic), ...(errors[0]?.nodeId ? { nodeId: errors[0].nodeId } : {}) });
      return;
    }
    try {
      const datasets = await resolveInputDatasets(projectName, g);
      useRunStore.getState().start({ graph: g, hash: h, datasets, sampleSize, seed: g.seed ?? 42 });
    } catch (e) {
      setPreError({ message: errorMessage(e) });
    }
  };

  const running = run.phase !== 'idle';
  const b = run.backend;
  const error = preError ?? run.error;
  const r = run.result;
  const stale = !!r && run.resultHash !== hash;

  return (
    <div className="kiln-run" data-testid="run-panel">
      <div className="kiln-run-controls">
        <div className="kiln-run-backend">
          <select aria-label="backend" value={run.choice} disabled={running} onChange={(e) => run.setChoice(e.target.value as BackendChoice)} data-testid="backend-select">
            {BACKEND_CHOICES.map((c) => (
              <option key={c} value={c}>
                {c === 'auto' ? 'auto (best available)' : c}
              </option>
            ))}
          </select>
          <div className="small mono kiln-run-backend-name" data-testid="backend" title={b ? `${b.name} · ${b.adapter}${b.fallbackFrom?.length ? ` (fell back from ${b.fallbackFrom.join(', ')})` : ''}` : ''}>
            {run.backendStarting ? 'starting backend…' : b ? `${b.name} · ${b.adapter}` : run.backendError ? <span className="error">{run.backendError}</span> : 'backend not started'}
          </div>
          {b?.fallbackFrom?.length ? <div className="small warn">fell back from {b.fallbackFrom.join(', ')}</div> : null}
        </div>
        <label className="kiln-run-sample" title="Rows drawn per dataset with the graph's seed, so runs repeat; all rows when the data has fewer">
          <span>Sample rows</span>
          <input type="number" min={10} step={100} value={Number.isFinite(sampleSize) ? sampleSize : ''} aria-invalid={!sampleOk} onChange={(e) => run.setSampleSize(e.target.valueAsNumber)} data-testid="sample-size" disabled={running} />
        </label>
        <div className="kiln-run-buttons">
          <button type="button" className="primary" onClick={start} disabled={running || !sampleOk || graph.nodes.length === 0} data-testid="run-browser">
            {running ? 'Running…' : 'Run in browser'}
          </button>
          <button type="button" onClick={run.stop} disabled={run.phase !== 'running'} data-testid="run-stop">
            {run.phase === 'stopping' ? 'Stopping…' : 'Stop'}
          </button>
        </div>
        {!sampleOk && <div className="small error">sample rows: a whole number ≥ 10</div>}
        {error && <ErrorLine error={error} />}
        <ServerSubmit projectName={projectName} />
      </div>
      <div className="kiln-run-main">
        <div className="kiln-run-card kiln-run-train">
          <TrainingView graph={graph} />
        </div>
        {r && !running ? (
          <Results result={r} stale={stale} />
        ) : (
          <div className="kiln-run-card kiln-run-empty small muted">
            {running ? 'Results appear here when the run finishes.' : 'Run the graph in the browser to see metrics, gates and plots here. The run uses a seeded sample of the data on this device; “Train on server” trains on all rows.'}
          </div>
        )}
      </div>
    </div>
  );
}
