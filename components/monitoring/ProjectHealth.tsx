'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { fmtNum } from '../runs/format';
import { errorMessage, trpc } from '../studio/trpc';
import './monitoring.css';

/** Every endpoint of the project at a glance over the last 24 h; each row opens its Monitoring view. */
export function ProjectHealth({ project }: { project: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  // Under ['endpoints'], so binding an endpoint (which invalidates that key) refreshes it.
  const q = useQuery({ queryKey: ['endpoints', 'health', project], queryFn: () => trpc.monitoring.overview.query({ projectName: project, window: '24h' }), refetchInterval: 60_000, retry: false });
  const list = q.data ?? [];
  return (
    <section className="panel" aria-label="Endpoint health" data-testid="project-health">
      <h2>
        Health <span className="muted small">every endpoint of {project} over the last 24 h</span>
      </h2>
      {q.error ? (
        <p className="error small">Could not read the endpoints’ health: {errorMessage(q.error)}</p>
      ) : q.isLoading ? (
        <p className="muted small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted small">No endpoints serve this project’s models yet.</p>
      ) : (
        <table className="grid" data-testid="health-table">
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Model</th>
              <th className="num">Requests</th>
              <th className="num">Error rate</th>
              <th className="num">Logged</th>
              <th>Live metric vs gate</th>
              <th className="num">Drift share</th>
              <th className="num">Model age</th>
              <th className="num">Alerts firing</th>
            </tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <tr key={h.endpoint} data-testid={`health-${h.endpoint}`}>
                <td>
                  <Link href={`${base}/endpoints/${encodeURIComponent(h.endpoint)}/monitoring`}>{h.endpoint}</Link>
                </td>
                <td>
                  {h.model}
                  {h.version !== null ? ` v${h.version}` : ''}
                </td>
                {h.error ? (
                  <td colSpan={7} className="error small">
                    {h.error}
                  </td>
                ) : (
                  <>
                    <td className="num">
                      {h.traffic === null ? (
                        '—'
                      ) : h.traffic.requests > 0 ? (
                        h.traffic.requests.toLocaleString()
                      ) : h.requests ? (
                        <span className="muted small" title="serving reports its request counts once each minute is over">not reported yet</span>
                      ) : (
                        <span className="warn">none</span>
                      )}
                    </td>
                    <td className={`num${h.traffic?.errors ? ' warn' : ''}`}>{h.traffic?.errorRate != null ? `${fmtNum(h.traffic.errorRate * 100)} %` : '—'}</td>
                    <td className="num">{h.requests === null ? '—' : h.requests.toLocaleString()}</td>
                    <td>
                      {h.metric ? (
                        <span className={h.metric.passing === false ? 'error' : h.metric.passing ? 'ok' : undefined}>
                          {h.metric.name} {h.metric.live !== null ? fmtNum(h.metric.live) : <span className="muted">no feedback</span>}
                          <span className="muted small">
                            {h.metric.gate ? ` · gate ${h.metric.gate}` : ''}
                            {h.metric.training !== null ? ` · training ${fmtNum(h.metric.training)}` : ''}
                          </span>
                        </span>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className={`num${h.drift?.drifted ? ' error' : ''}`} title={h.drift?.driftedFeatures.join(', ') || undefined}>
                      {h.drift && h.requests ? `${fmtNum(h.drift.share * 100)} %` : '—'}
                    </td>
                    <td className="num">{h.ageDays === null ? '—' : h.ageDays < 1 ? `${Math.max(0, Math.round(h.ageDays * 24))} h` : `${Math.floor(h.ageDays)} d`}</td>
                    <td className={`num${h.alerts.firing ? ' error' : ''}`}>{h.alerts.firing}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
