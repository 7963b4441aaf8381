'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ACTIVE_RUN, fmtDate, fmtDuration, fmtNum, mainMetricKeys, runDuration, shortId } from './format';
import { RunCompare } from './RunCompare';
import './runs.css';
import { ErrorAlert } from '../ui/ErrorAlert';

export type RunRow = RouterOutputs['runs']['list'][number];

/** The project's runs: status, where they ran, how long, main metrics; pick several to compare. */
export function RunsPage({ project }: { project: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  const runs = useQuery({
    queryKey: ['runs', project],
    queryFn: () => trpc.runs.list.query({ projectName: project, limit: 200 }),
    // Live while anything can still change.
    refetchInterval: (q) => ((q.state.data ?? []).some((r) => ACTIVE_RUN.has(r.status)) ? 1500 : false),
  });
  const [selected, setSelected] = useState<string[]>([]);
  const [comparing, setComparing] = useState<string[] | null>(null);
  const rows = useMemo(() => runs.data ?? [], [runs.data]);
  const metricKeys = useMemo(() => mainMetricKeys(rows.flatMap((r) => Object.keys(r.metrics ?? {}))), [rows]);
  const active = rows.filter((r) => ACTIVE_RUN.has(r.status)).length;

  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <div className="page runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <p className="muted">
          Server training runs of this project{active ? ` — ${active} active, refreshing live` : ''}. Select two or more to compare.
        </p>
      </div>
      <ErrorAlert error={runs.error} prefix="Could not load runs: " />
      <div className="panel">
        <div className="row runs-toolbar">
          <button type="button" className="primary" disabled={selected.length < 2} onClick={() => setComparing([...selected])} data-testid="compare-runs">
            Compare {selected.length >= 2 ? `${selected.length} runs` : ''}
          </button>
          {selected.length > 0 && (
            <button type="button" onClick={() => setSelected([])}>
              Clear selection
            </button>
          )}
          <span className="muted small">{rows.length} run{rows.length === 1 ? '' : 's'}</span>
        </div>
        {runs.isLoading ? (
          <p className="muted">Loading runs…</p>
        ) : rows.length === 0 ? (
          <div className="runs-empty" data-testid="runs-empty">
            <p>
              <strong>No runs yet</strong> — open the <Link href={`${base}/canvas`}>Canvas</Link> and use <em>Train on server</em>, or submit
              from a terminal: <code>kiln submit graph.json --project {project} --server …</code>
            </p>
          </div>
        ) : (
          <div className="runs-table-wrap">
            <table className="grid" data-testid="runs-table">
              <thead>
                <tr>
                  <th aria-label="select" />
                  <th>Run</th>
                  <th>Status</th>
                  <th>Graph</th>
                  <th>Backend</th>
                  <th>Device</th>
                  <th>Started</th>
                  <th className="num">Duration</th>
                  {metricKeys.map((k) => (
                    <th key={k} className="num">
                      {k}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} className={selected.includes(r.id) ? 'runs-selected' : undefined}>
                    <td>
                      <input type="checkbox" aria-label={`select run ${shortId(r.id)}`} checked={selected.includes(r.id)} onChange={() => toggle(r.id)} />
                    </td>
                    <td>
                      <Link href={`${base}/runs/${r.id}`} className="mono">
                        {shortId(r.id)}
                      </Link>
                    </td>
                    <td>
                      <span className={`badge ${r.status}`}>{r.status}</span>
                      {r.attempts > 1 && <span className="muted small"> ×{r.attempts}</span>}
                    </td>
                    <td className="mono" title={r.graphHash}>
                      {r.graphHash.slice(0, 10)}
                    </td>
                    <td>{r.backend ?? <span className="muted">{(r.options as { backend?: string })?.backend ?? 'auto'}</span>}</td>
                    <td className="runs-device" title={r.device ?? ''}>
                      {r.device ?? '—'}
                    </td>
                    <td>{fmtDate(r.startedAt ?? r.queuedAt)}</td>
                    <td className="num">{fmtDuration(runDuration(r))}</td>
                    {metricKeys.map((k) => (
                      <td key={k} className="num">
                        {fmtNum(r.metrics?.[k])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {comparing && <RunCompare ids={comparing} project={project} onClose={() => setComparing(null)} />}
    </div>
  );
}
