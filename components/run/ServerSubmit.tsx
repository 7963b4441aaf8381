'use client';

import Link from 'next/link';
import { useState } from 'react';
import { formatDiagnostic } from '../../lib/graph/validate';
import { useGraphStore } from '../studio/graph-store';
import { errorDiagnostics, errorMessage, trpc } from '../studio/trpc';
import { saveBrowserResult, type BrowserResult } from './browser-results';
import { resolveInputDatasets } from './inputs';
import type { RunResult } from './protocol';
import { useRunStore } from './run-store';

/** What the Runs page shows for the browser prototype of a graph (parity with the server run). */
export function toBrowserResult(r: RunResult, seed: number, startedAt: number | null): BrowserResult {
  // The verdict's evaluation: the one the server run will record for the same graph.
  const ev = (r.evaluations.find((e) => e.nodeId === r.verdictNodeId) ?? r.evaluations[0])?.evaluation;
  const d = r.data[0];
  return {
    metrics: ev?.metrics ?? {},
    gates: ev?.gates ?? [],
    task: r.task,
    sampleRows: d?.sampleRows ?? 0,
    totalRows: d?.totalRows ?? 0,
    backend: r.backend.name,
    adapter: r.backend.adapter,
    seed,
    at: new Date(startedAt ?? Date.now()).toISOString(),
  };
}

/** "Train on server": queues the open graph as a run on the server's runner (full data). */
export function ServerSubmit({ projectName }: { projectName: string }) {
  const [busy, setBusy] = useState(false);
  const [queued, setQueued] = useState<{ runId: string } | null>(null);
  const [error, setError] = useState<string[] | null>(null);

  const submit = async () => {
    const { graph, diagnostics, hash } = useGraphStore.getState();
    setQueued(null);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      setError(['The graph is not valid, so it cannot run on the server:', ...errors.map(formatDiagnostic)]);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const datasets = await resolveInputDatasets(projectName, graph);
      const r = await trpc.runs.submit.mutate({ projectName, graph, datasets });
      setQueued({ runId: r.runId });
      // Keep the browser prototype of this very graph for the parity view of the server run.
      const run = useRunStore.getState();
      if (run.result && run.resultHash === hash) {
        const br = toBrowserResult(run.result, graph.seed ?? 0, run.startedAt);
        saveBrowserResult(r.graphHash, br);
        if (run.result.graphHash !== r.graphHash) saveBrowserResult(run.result.graphHash, br);
      }
    } catch (e) {
      const diags = errorDiagnostics(e);
      setError(diags.length ? [errorMessage(e), ...diags.map((d) => `${d.code} at ${d.path || 'graph'}: ${d.message}`)] : [errorMessage(e)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="kiln-run-server">
      <button type="button" onClick={submit} disabled={busy} data-testid="train-on-server" title="Queue this graph on the server runner: full data, same executor">
        {busy ? 'Submitting…' : 'Train on server'}
      </button>
      {queued && (
        <div className="small ok">
          <Link href={`/projects/${encodeURIComponent(projectName)}/runs/${encodeURIComponent(queued.runId)}`} data-testid="server-run-link">
            Run {queued.runId} queued
          </Link>
        </div>
      )}
      {error && (
        <div className="small error" data-testid="server-run-error">
          {error.slice(0, 4).map((l, i) => (
            <div key={i}>{l}</div>
          ))}
          {error.length > 4 && <div>… and {error.length - 4} more</div>}
        </div>
      )}
    </div>
  );
}
