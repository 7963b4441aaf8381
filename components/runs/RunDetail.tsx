'use client';
import { MetricsAndGates } from './MetricsAndGates';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { ShareButton } from '../share/ShareButton';
import { errorMessage, trpc } from '../studio/trpc';
import { ACTIVE_RUN, fmtBytes, fmtDate, fmtDuration, runDuration, shortId } from './format';
import { recordedGates } from './GateList';
import { epochSeries, logLines, runValidation, type RunEventLike } from './run-events';
import { AnomalyList } from '../data/AnomalyList';
import { RunParity } from './RunParity';
import { RunRegister } from './RunRegister';
import './runs.css';

/** Live events of a run over the SSE subscription; resumes after the last id it has. */
function useRunEvents(runId: string): { events: RunEventLike[]; error: string | null } {
  const [events, setEvents] = useState<RunEventLike[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // The page keys this component by run id, so state starts empty for each run.
    const seen = new Set<number>();
    let buf: RunEventLike[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    // Batch bursts (a finished run replays hundreds of events) into one render.
    const flush = () => {
      timer = null;
      const add = buf;
      buf = [];
      setEvents((prev) => [...prev, ...add]);
    };
    const sub = trpc.runs.onEvents.subscribe(
      { runId },
      {
        onData: (msg) => {
          const e = ('data' in msg ? msg.data : msg) as RunEventLike;
          if (seen.has(e.id)) return;
          seen.add(e.id);
          buf.push(e);
          timer ??= setTimeout(flush, 100);
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
    return () => {
      sub.unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [runId]);
  return { events, error };
}

/** One run: status, where and how long it ran, live loss chart, logs, metrics, gates, artifacts. */
export function RunDetail({ project, runId }: { project: string; runId: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  const qc = useQueryClient();
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn: () => trpc.runs.get.query({ id: runId }),
    refetchInterval: (q) => (q.state.data && !ACTIVE_RUN.has(q.state.data.status) ? false : 1500),
  });
  const { events, error: streamError } = useRunEvents(runId);
  const cancel = useMutation({
    mutationFn: () => trpc.runs.cancel.mutate({ id: runId }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['run', runId] }),
  });
  const series = useMemo(() => {
    const out: LineSeries[] = [];
    const by = epochSeries(events);
    for (const [node, pts] of by) {
      const pre = by.size > 1 ? `${node} ` : '';
      out.push({ name: `${pre}loss`, color: '#c2410c', points: pts.filter((p) => p.loss !== null).map((p) => ({ x: p.epoch, y: p.loss! })) });
      const val = pts.filter((p) => p.valLoss !== null).map((p) => ({ x: p.epoch, y: p.valLoss! }));
      if (val.length) out.push({ name: `${pre}val loss`, color: '#2563eb', points: val });
    }
    return out;
  }, [events]);
  const logs = useMemo(() => logLines(events), [events]);
  const validation = useMemo(() => runValidation(events), [events]);
  const lastEpoch = useMemo(() => {
    let n = 0;
    for (const pts of epochSeries(events).values()) n = Math.max(n, pts.length);
    return n;
  }, [events]);

  if (run.isLoading) return <div className="page muted">Loading run…</div>;
  if (run.error || !run.data) {
    return (
      <div className="page">
        <p className="error" role="alert">
          {run.error ? errorMessage(run.error) : `no run ${runId}`}
        </p>
        <Link href={`${base}/runs`}>← All runs</Link>
      </div>
    );
  }
  const r = run.data;
  const active = ACTIVE_RUN.has(r.status);
  const metrics = Object.entries(r.metrics ?? {});
  const gates = recordedGates(r.gates);

  return (
    <div className="page run-detail" data-testid="run-detail">
      <Link href={`${base}/runs`} className="small">
        ← All runs
      </Link>
      <div className="run-head">
        <h1>
          Run <span className="mono">{shortId(r.id)}</span>
        </h1>
        <span className={`badge ${r.status}`} data-testid="run-status">
          {r.status}
        </span>
        {active && (
          <button type="button" className="danger" disabled={cancel.isPending || r.cancelRequested} onClick={() => cancel.mutate()}>
            {r.cancelRequested ? 'Cancel requested…' : 'Cancel run'}
          </button>
        )}
        <ShareButton projectName={project} target={{ kind: 'run', id: r.id }} what={`run ${shortId(r.id)}`} />
        {cancel.error && (
          <span className="error" role="alert">
            {errorMessage(cancel.error)}
          </span>
        )}
      </div>
      <div className="run-facts">
        <div>
          <span>Backend</span>
          {r.backend ?? `${(r.options as { backend?: string })?.backend ?? 'auto'} (requested)`}
        </div>
        <div>
          <span>Device</span>
          {r.device ?? '—'}
        </div>
        <div>
          <span>Duration</span>
          {fmtDuration(runDuration(r))}
        </div>
        <div>
          <span>Attempts</span>
          {r.attempts} of {r.maxAttempts}
        </div>
        <div>
          <span>Queued</span>
          {fmtDate(r.queuedAt)}
        </div>
        <div>
          <span>Finished</span>
          {fmtDate(r.finishedAt)}
        </div>
        <div>
          <span>Graph</span>
          <Link className="mono" href={`${base}/canvas?graph=${r.graphHash}`} title="open this graph version on the canvas">
            {r.graphHash.slice(0, 12)}
          </Link>
        </div>
        <div>
          <span>Datasets</span>
          {Object.keys(r.datasets).length === 0 ? 'built-in only' : Object.entries(r.datasets).map(([k, v]) => `${k} → ${shortId(v)}`).join(', ')}
        </div>
      </div>
      {r.error && <p className="run-error">Failed: {r.error}</p>}
      {r.lastAttemptError && r.status !== 'failed' && <p className="warn small">Earlier attempt: {r.lastAttemptError}</p>}

      <div className="run-grid">
        <div>
          <section className="panel">
            <h2>
              Training loss{' '}
              <span className="muted small">
                {lastEpoch ? `${lastEpoch} epoch${lastEpoch === 1 ? '' : 's'}` : ''} {active ? '· live' : ''}
              </span>
            </h2>
            {streamError && <p className="error small">Live events: {streamError}</p>}
            {series.length === 0 ? (
              <div data-testid="run-chart" className="muted small">
                {active ? 'Waiting for the first epoch…' : 'This run reported no epochs.'}
              </div>
            ) : (
              <LineChart series={series} xLabel="epoch" yLabel="loss" height={220} testId="run-chart" />
            )}
          </section>
          {validation && (
            <section className="panel" data-testid="run-skew">
              <h2>
                Training/serving skew <span className="muted small">input “{validation.input}” against {validation.model} v{validation.version} (production)</span>
              </h2>
              <AnomalyList anomalies={validation.anomalies} against={null} hideAgainst />
            </section>
          )}
          <section className="panel">
            <h2>Logs</h2>
            {logs.length === 0 ? (
              <p className="muted small">{active ? 'No log lines yet.' : 'No log lines.'}</p>
            ) : (
              <pre className="run-logs" data-testid="run-logs">
                {logs.map((l) => (
                  <div key={l.id} className={l.level === 'info' ? undefined : l.level}>
                    {r.attempts > 1 ? `#${l.attempt} ` : ''}
                    {l.text}
                  </div>
                ))}
              </pre>
            )}
          </section>
        </div>
        <div>
          <section className="panel">
            <h2>Metrics</h2>
            {r.verdict && (
              <p className="muted small" data-testid="run-verdict" title="The evaluation node whose metrics and gates this run records (of several, the lowest id).">
                verdict: {r.verdict.kind} (node <span className="mono">{r.verdict.nodeId}</span>)
                {r.verdict.evaluations > 1 ? ` · 1 of ${r.verdict.evaluations} evaluate nodes` : ''}
              </p>
            )}
            <MetricsAndGates metrics={metrics} gates={gates} empty={active ? 'Metrics appear when the run finishes.' : 'No metrics (the graph has no evaluate node).'} testId="run-metrics" />
          </section>
          <section className="panel">
            <h2>Artifacts</h2>
            {r.artifacts.length === 0 ? (
              <p className="muted small">{active ? 'The model package is uploaded when training ends.' : 'No artifacts.'}</p>
            ) : (
              <table className="grid">
                <tbody>
                  {r.artifacts.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <a href={a.url} download>
                          {a.kind}
                        </a>
                      </td>
                      <td className="num">{fmtBytes(a.bytes)}</td>
                      <td className="mono small" title={a.sha256}>
                        {a.sha256.slice(0, 10)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <RunRegister project={project} run={r} />
          <RunParity graphHash={r.graphHash} serverMetrics={r.metrics ?? {}} status={r.status} />
        </div>
      </div>
    </div>
  );
}
