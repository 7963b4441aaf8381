'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import Link from 'next/link';
import { useState, useSyncExternalStore } from 'react';
import { fmtDate, fmtNum } from '../runs/format';
import { servingBase } from '../endpoints/serving-url';
import { errorMessage, trpc } from '../studio/trpc';
import { DriftPanel } from './DriftPanel';
import { MetricsPanel } from './MetricsPanel';
import { PredictionLog } from './PredictionLog';
import { TrafficPanel } from './TrafficPanel';
import '../endpoints/endpoints.css';
import './monitoring.css';

export const WINDOWS = ['1h', '24h', '7d', '30d'] as const;
export type MonitorWindow = (typeof WINDOWS)[number];

const noSubscribe = () => () => undefined;
/** How often the view refreshes while open: serving flushes its log every second or so. */
const REFRESH_MS = 30_000;

/** What to do about a report that failed, by the server's code. */
function hintFor(e: unknown): string | null {
  const code = e instanceof TRPCClientError ? (e.data as { kilnCode?: string } | undefined)?.kilnCode : undefined;
  if (code === 'ENDPOINT_BAD_TARGET') return 'Point the endpoint at a model version (or assign its alias) on the Endpoints tab.';
  if (code === 'ENDPOINT_NOT_FOUND') return 'The endpoint may have been deleted or renamed; pick one on the Endpoints tab.';
  if (code === 'NOT_FOUND') return 'Monitoring compares with the model version’s package and the data it was trained on, and one of them is gone from the artifact store: bind the endpoint to a version whose run data is still stored.';
  return null;
}

/** An endpoint's Monitoring view: traffic, live metrics, drift, anomalies, alerts and the prediction log over a window. */
export function MonitoringPage({ project, endpoint }: { project: string; endpoint: string }) {
  const [win, setWin] = useState<MonitorWindow>('24h');
  const qc = useQueryClient();
  const [reference, setReference] = useState<'training' | 'window'>('training');
  const base = `/projects/${encodeURIComponent(project)}`;
  const report = useQuery({ queryKey: ['monitoring-report', endpoint, win, reference], queryFn: () => trpc.monitoring.report.query({ name: endpoint, window: win, reference: reference === 'training' ? 'training' : win }), refetchInterval: REFRESH_MS, retry: false });
  const series = useQuery({ queryKey: ['monitoring-series', endpoint, win], queryFn: () => trpc.monitoring.series.query({ name: endpoint, window: win }), refetchInterval: REFRESH_MS, retry: false });
  const bucket = series.data ? `${series.data.bucketMs / 60_000}m` : null;
  const requests = useQuery({
    queryKey: ['monitoring-requests', endpoint, win, bucket],
    queryFn: () => trpc.monitoring.requests.query({ name: endpoint, window: win, bucket: bucket! }),
    enabled: bucket !== null,
    refetchInterval: REFRESH_MS,
    retry: false,
  });
  const ep = useQuery({ queryKey: ['endpoint', endpoint], queryFn: () => trpc.endpoints.get.query({ name: endpoint }), retry: false });
  const r = report.data;
  const firing = r?.alerts.filter((a) => a.state === 'firing').length ?? 0;

  return (
    <div className="page mon-page" data-testid="monitoring-page">
      <div className="page-head mon-head">
        <div>
          <p className="small muted mon-crumb">
            <Link href={`${base}/endpoints`}>Endpoints</Link> / {endpoint}
          </p>
          <h1>Monitoring · {endpoint}</h1>
          {ep.data && (
            <p className="muted small">
              serves {ep.data.model} {'alias' in ep.data.target ? `@${ep.data.target.alias}` : `v${ep.data.target.version}`}
              {ep.data.defaultVersion !== null ? ` → v${ep.data.defaultVersion}` : ' → no version'} · logs {Math.round(ep.data.monitoring.sampleRate * 100)} % of predictions, kept {ep.data.monitoring.retentionDays} days
              {r && ` · window ${fmtDate(r.window.start)} – ${fmtDate(r.window.end)}`}
            </p>
          )}
        </div>
        <div className="mon-controls">
          <div className="mon-windows" role="radiogroup" aria-label="Window">
            {WINDOWS.map((w) => (
              <button key={w} type="button" role="radio" aria-checked={win === w} className={win === w ? 'current' : undefined} onClick={() => setWin(w)} data-testid={`window-${w}`}>
                {w}
              </button>
            ))}
          </div>
          <label className="small mon-ref">
            Drift against{' '}
            <select value={reference} onChange={(e) => setReference(e.target.value as 'training' | 'window')} data-testid="drift-reference">
              <option value="training">the training data</option>
              <option value="window">the {win} before</option>
            </select>
          </label>
          <button type="button" onClick={() => void Promise.all([report.refetch(), series.refetch(), requests.refetch(), qc.invalidateQueries({ queryKey: ['monitoring-log', endpoint] })])} disabled={report.isFetching}>
            {report.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>

      {report.error ? (
        <section className="panel mon-error" role="alert" data-testid="monitoring-error">
          <p className="error">Could not build the monitoring report: {errorMessage(report.error)}</p>
          {hintFor(report.error) && <p className="small">{hintFor(report.error)}</p>}
          <button type="button" onClick={() => void report.refetch()}>
            Try again
          </button>
        </section>
      ) : !r ? (
        <section className="panel">
          <p className="muted" data-testid="monitoring-loading">
            Reading the prediction log of the last {win}…
          </p>
        </section>
      ) : (
        <>
          <section className="mon-summary" data-testid="monitoring-summary">
            {r.traffic.requests === 0 && r.requests > 0 ? (
              <Stat label="Requests answered" value="—" sub="not reported yet: serving sends each minute once it is over" />
            ) : (
              <Stat label="Requests answered" value={r.traffic.requests.toLocaleString()} sub="all HTTP answers" />
            )}
            <Stat
              label="Error rate"
              value={r.traffic.errorRate === null ? '—' : `${fmtNum(r.traffic.errorRate * 100)} %`}
              sub={`${r.traffic.errors.toLocaleString()} failed`}
              tone={r.traffic.errors > 0 ? 'warn' : undefined}
            />
            <Stat label="Predictions logged" value={r.requests.toLocaleString()} sub={r.metrics.labelled ? `${r.metrics.labelled.toLocaleString()} with feedback` : 'none with feedback yet'} />
            <Stat
              label="Drift share"
              value={r.requests ? `${fmtNum(r.drift.share * 100)} %` : '—'}
              sub={`${r.drift.features.filter((f) => f.drifted).length} of ${r.drift.features.length} inputs · threshold ${fmtNum(r.drift.shareThreshold * 100)} %`}
              tone={r.requests ? (r.drift.drifted ? 'bad' : r.drift.features.some((f) => f.drifted) ? 'warn' : 'good') : undefined}
            />
            <Stat label="Anomalies" value={Object.values(r.anomalies).reduce((a, b) => a + b, 0).toLocaleString()} sub={`${Object.keys(r.anomalies).length} ${Object.keys(r.anomalies).length === 1 ? 'code' : 'codes'}`} tone={Object.keys(r.anomalies).length ? 'warn' : undefined} />
            <Stat label="Alerts firing" value={String(firing)} sub={`${r.alerts.length} in all`} tone={firing ? 'bad' : undefined} />
          </section>

          {r.requests === 0 && <EmptyWindow endpoint={endpoint} win={win} sampleRate={ep.data?.monitoring.sampleRate ?? null} />}

          <AlertsPanel endpoint={endpoint} alerts={r.alerts} />
          <TrafficPanel series={series.data ?? null} requests={requests.data ?? null} error={series.error ?? requests.error} />
          {r.requests > 0 && (
            <>
              <MetricsPanel report={r} series={series.data ?? null} />
              <DriftPanel report={r} endpoint={endpoint} win={win} />
              <AnomaliesPanel anomalies={r.anomalies} requests={r.requests} />
            </>
          )}
          <PredictionLog endpoint={endpoint} win={win} versions={r.versions.map((v) => v.version)} codes={Object.keys(r.anomalies)} />
        </>
      )}
    </div>
  );
}

function Stat({ label, value, sub, tone }: { label: string; value: string; sub?: string; tone?: 'good' | 'bad' | 'warn' }) {
  return (
    <div className={`mon-stat${tone ? ` ${tone}` : ''}`}>
      <span className="small muted">{label}</span>
      <strong>{value}</strong>
      {sub && <span className="small muted">{sub}</span>}
    </div>
  );
}

/** No predictions in the window: how to send some (the endpoint's own curl snippet). */
function EmptyWindow({ endpoint, win, sampleRate }: { endpoint: string; win: string; sampleRate: number | null }) {
  const host = useSyncExternalStore(noSubscribe, () => window.location.hostname, () => null);
  const snippets = useQuery({ queryKey: ['endpoint-snippets', endpoint], queryFn: () => trpc.endpoints.snippets.query({ name: endpoint }), retry: false });
  const s = snippets.data;
  const url = s ? `${servingBase(s.url, host)}/v1/models/${encodeURIComponent(endpoint)}:predict` : null;
  return (
    <section className="panel mon-empty" data-testid="monitoring-empty">
      <h2>No predictions logged in this window</h2>
      <p className="small">
        Nothing was logged for <strong>{endpoint}</strong> in the last {win}. Send some with{' '}
        {url ? <code>POST {url}</code> : 'a POST to its predict URL (Endpoints tab)'}, e.g.:
      </p>
      {s && <pre className="ep-snippet">{s.curl}</pre>}
      {sampleRate === 0 && <p className="small warn">This endpoint logs 0 % of its predictions (its sampling rate): raise it on the Endpoints tab or with the API to see traffic here.</p>}
      <p className="small muted">Then post the actual outcomes by prediction id (<code>kiln feedback {endpoint} --input labels.csv --server URL</code>) to see live metrics.</p>
    </section>
  );
}

/** The endpoint's alert rules with their state, and their transitions (firing, resolved) with delivery. */
function AlertsPanel({ endpoint, alerts }: { endpoint: string; alerts: { rule: string; state: string; since: string; message: string }[] }) {
  const history = useQuery({ queryKey: ['monitoring-alert-history', endpoint], queryFn: () => trpc.monitoring.alertHistory.query({ name: endpoint, limit: 50 }), refetchInterval: REFRESH_MS, retry: false });
  const events = history.data ?? [];
  return (
    <section className="panel" aria-label="Alerts" data-testid="monitoring-alerts">
      <h2>
        Alerts <span className="muted small">rules on this endpoint and their state</span>
      </h2>
      {alerts.length === 0 ? (
        <p className="small muted">
          No alert rules on this endpoint. Add one with <code>kiln monitor rules {endpoint} --server URL --add &apos;mape &gt; 0.45 over 24h&apos;</code> (see docs/monitoring.md).
        </p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>State</th>
              <th>Rule</th>
              <th>Since</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a, i) => (
              <tr key={`${a.rule}-${i}`}>
                <td>
                  <span className={`badge mon-alert-${a.state}`}>{a.state === 'pending' ? 'not evaluated yet' : a.state}</span>
                </td>
                <td>
                  <code>{a.rule}</code>
                </td>
                <td>{fmtDate(a.since)}</td>
                <td>{a.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {history.error ? (
        <p className="error small">Could not read the alert history: {errorMessage(history.error)}</p>
      ) : events.length > 0 ? (
        <>
          <h3>History</h3>
          <table className="grid" data-testid="alert-history">
            <thead>
              <tr>
                <th>When</th>
                <th>Rule</th>
                <th>Became</th>
                <th>Message</th>
                <th>Notification</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{fmtDate(e.at)}</td>
                  <td>
                    <code>{e.rule}</code>
                  </td>
                  <td>
                    <span className={`badge mon-alert-${e.state}`}>{e.state}</span>
                  </td>
                  <td>{e.message}</td>
                  <td className={e.delivery === 'failed' ? 'error' : undefined} title={e.deliveryError ?? undefined}>
                    {e.delivery === 'none' ? 'no channel set' : e.delivery}
                    {e.attempts > 1 ? ` (${e.attempts} tries)` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

function AnomaliesPanel({ anomalies, requests }: { anomalies: Record<string, number>; requests: number }) {
  const rows = Object.entries(anomalies).sort((a, b) => b[1] - a[1]);
  return (
    <section className="panel" aria-label="Anomalies" data-testid="monitoring-anomalies">
      <h2>
        Anomalies by code <span className="muted small">soft violations of the training schema, tagged per prediction</span>
      </h2>
      {rows.length === 0 ? (
        <p className="small muted">No anomalies in this window: every logged record matched the training schema.</p>
      ) : (
        <table className="grid mon-narrow">
          <thead>
            <tr>
              <th>Code</th>
              <th className="num">Tags</th>
              <th className="num">Per prediction</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([code, n]) => (
              <tr key={code}>
                <td>
                  <code>{code}</code>
                </td>
                <td className="num">{n.toLocaleString()}</td>
                <td className="num">{fmtNum(n / requests)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
