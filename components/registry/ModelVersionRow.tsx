'use client';
import Link from 'next/link';
import { useState } from 'react';
import { fmtDate, fmtNum, mainMetricKeys, shortId } from '../runs/format';
import { GateList, recordedGates } from '../runs/GateList';
import { ShareButton } from '../share/ShareButton';
import type { RouterOutputs } from '../studio/trpc';

type Version = RouterOutputs['registry']['versions']['list'][number];

/** A version: status, main metrics, created, description; expands to lineage and gates. */
export function ModelVersionRow({ v, model, project, aliases, metricKeys }: { v: Version; model: string; project: string; aliases: string[]; metricKeys: string[] }) {
  const [open, setOpen] = useState(false);
  const base = `/projects/${encodeURIComponent(project)}`;
  const gates = recordedGates(v.gates);
  const allMetrics = Object.entries(v.metrics ?? {});
  return (
    <>
      <tr data-testid={`version-${v.version}`}>
        <td>
          <button type="button" className="reg-expand" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`details of v${v.version}`}>
            {open ? '▾' : '▸'}
          </button>
        </td>
        <td>
          <strong>v{v.version}</strong>
          {aliases.map((a) => (
            <span key={a} className="badge reg-alias">
              @{a}
            </span>
          ))}
        </td>
        <td>
          <span className={`badge ${v.status}`} title={v.statusReason ?? ''}>
            {v.status}
          </span>
        </td>
        {metricKeys.map((k) => (
          <td key={k} className="num">
            {fmtNum(v.metrics?.[k])}
          </td>
        ))}
        <td>{fmtDate(v.createdAt)}</td>
        <td className="reg-desc" title={v.description}>
          {v.description || <span className="muted">—</span>}
        </td>
      </tr>
      {open && (
        <tr className="reg-detail">
          <td />
          <td colSpan={4 + metricKeys.length}>
            <div className="reg-detail-grid">
              <div>
                <div className="actions">
                  <h3>Lineage</h3>
                  <span style={{ flex: 1 }} />
                  <ShareButton projectName={project} target={{ kind: 'model-version', id: v.version, model }} what={`${model} v${v.version}`} />
                </div>
                <dl className="reg-dl small">
                  <dt>Run</dt>
                  <dd>{v.runId ? <Link href={`${base}/runs/${v.runId}`} className="mono">{shortId(v.runId)}</Link> : <span className="muted">deleted</span>}</dd>
                  <dt>Graph</dt>
                  <dd>
                    <Link href={`${base}/canvas?graph=${v.graphHash}`} className="mono" title="open this graph version on the canvas" data-testid="lineage-graph">
                      {v.graphHash.slice(0, 16)}
                    </Link>
                  </dd>
                  <dt>Datasets</dt>
                  <dd>{Object.keys(v.datasets ?? {}).length === 0 ? 'built-in data only' : Object.entries(v.datasets).map(([k, id]) => `${k} → ${shortId(id)}`).join(', ')}</dd>
                  <dt>Trained on</dt>
                  <dd>
                    {v.backend ?? '—'}
                    {v.device ? ` · ${v.device}` : ''}
                  </dd>
                  <dt>Package</dt>
                  <dd className="mono" title={v.sha256}>
                    sha256 {v.sha256.slice(0, 12)}
                  </dd>
                  <dt>Check</dt>
                  <dd>{v.statusReason ?? '—'}</dd>
                </dl>
              </div>
              <div>
                <h3>Metrics</h3>
                {allMetrics.length === 0 ? (
                  <p className="muted small">none recorded</p>
                ) : (
                  <dl className="reg-dl small">
                    {allMetrics.map(([k, x]) => (
                      <span key={k} style={{ display: 'contents' }}>
                        <dt>{k}</dt>
                        <dd>{fmtNum(x)}</dd>
                      </span>
                    ))}
                  </dl>
                )}
                <h3>Gates</h3>
                {gates.length === 0 ? (
                  <p className="muted small">The evaluate node declares no gates.</p>
                ) : (
                  <GateList gates={gates} className="reg-gates" />
                )}
              </div>
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

export { mainMetricKeys };
