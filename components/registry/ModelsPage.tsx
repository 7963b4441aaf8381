'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { fmtDate, mainMetricKeys } from '../runs/format';
import { errorMessage, trpc } from '../studio/trpc';
import { AliasMove } from './AliasMove';
import { ModelVersionRow } from './ModelVersionRow';
import './registry.css';
import { ErrorAlert } from '../ui/ErrorAlert';

/** Registered models, their versions with lineage and gates, aliases, alias moves and their history. */
export function ModelsPage({ project }: { project: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  const params = useSearchParams();
  const models = useQuery({ queryKey: ['models'], queryFn: () => trpc.registry.models.list.query() });
  const [picked, setPicked] = useState<string | null>(params.get('model'));
  // The registry is shared by every project: show this project's models unless asked for all.
  const [everyProject, setEveryProject] = useState(false);
  const all = models.data ?? [];
  const mine = all.filter((m) => m.projects.includes(project));
  const list = everyProject ? all : mine;
  const name = list.find((m) => m.name === picked)?.name ?? list[0]?.name ?? null;

  return (
    <div className="page reg-page">
      <div className="page-head">
        <h1>Models</h1>
        <p className="muted">The registry: numbered versions made from runs, aliases (production, staging…) that move only through their gates.</p>
      </div>
      <ErrorAlert error={models.error} />
      {models.isLoading ? (
        <p className="muted">Loading models…</p>
      ) : all.length > 0 && list.length === 0 ? (
        <div className="panel" data-testid="models-empty">
          <p>
            <strong>No model of this project is registered yet</strong> — open a succeeded run on the <Link href={`${base}/runs`}>Runs</Link> tab and use{' '}
            <em>Register as model</em>.
          </p>
          <label className="small">
            <input type="checkbox" checked={everyProject} onChange={(e) => setEveryProject(e.target.checked)} /> show the {all.length} model{all.length === 1 ? '' : 's'} of other projects
          </label>
        </div>
      ) : list.length === 0 ? (
        <div className="panel" data-testid="models-empty">
          <p>
            <strong>No registered models yet</strong> — open a succeeded run on the <Link href={`${base}/runs`}>Runs</Link> tab and use{' '}
            <em>Register as model</em>.
          </p>
        </div>
      ) : (
        <div className="reg-layout">
          <aside className="panel reg-models">
            <h2>Registered models</h2>
            <label className="small muted" style={{ display: 'block', marginBottom: 8 }}>
              <input type="checkbox" checked={everyProject} onChange={(e) => setEveryProject(e.target.checked)} data-testid="models-every-project" /> every project ({all.length})
            </label>
            <ul data-testid="model-list">
              {list.map((m) => (
                <li key={m.name}>
                  <button type="button" className={m.name === name ? 'reg-model current' : 'reg-model'} aria-pressed={m.name === name} onClick={() => setPicked(m.name)}>
                    <strong>{m.name}</strong>
                    <span className="small muted">
                      {everyProject && m.projects.length ? `${m.projects.join(', ')} · ` : ''}
                      {m.latestVersion ? `latest v${m.latestVersion}` : 'no versions'}
                      {Object.entries(m.aliases).map(([a, v]) => ` · @${a}→v${v}`).join('')}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </aside>
          {name && <ModelDetail key={name} model={name} project={project} />}
        </div>
      )}
    </div>
  );
}

function ModelDetail({ model, project }: { model: string; project: string }) {
  const info = useQuery({ queryKey: ['model', model], queryFn: () => trpc.registry.models.get.query({ name: model }) });
  const versions = useQuery({
    queryKey: ['model', model, 'versions'],
    queryFn: () => trpc.registry.versions.list.query({ model }),
    refetchInterval: (q) => ((q.state.data ?? []).some((v) => v.status === 'PENDING') ? 1500 : false),
  });
  const history = useQuery({ queryKey: ['alias-history', model], queryFn: () => trpc.registry.aliasHistory.query({ model, limit: 50 }) });
  const aliases = info.data?.aliases ?? {};
  const vs = useMemo(() => versions.data ?? [], [versions.data]);
  const metricKeys = useMemo(() => mainMetricKeys(vs.flatMap((v) => Object.keys(v.metrics ?? {}))), [vs]);
  const aliasesOf = (version: number) => Object.entries(aliases).filter(([, v]) => v === version).map(([a]) => a);

  return (
    <div className="reg-main">
      <section className="panel">
        <h2>
          {model}{' '}
          {Object.entries(aliases).map(([a, v]) => (
            <span key={a} className="badge reg-alias" data-testid={`alias-${a}`}>
              @{a} → v{v}
            </span>
          ))}
          {Object.keys(aliases).length === 0 && <span className="muted small">no aliases yet</span>}
        </h2>
        {info.data?.description && <p className="small">{info.data.description}</p>}
        {versions.error && <p className="error">{errorMessage(versions.error)}</p>}
        <div className="reg-table-wrap">
          <table className="grid" data-testid="version-table">
            <thead>
              <tr>
                <th />
                <th>Version</th>
                <th>Status</th>
                {metricKeys.map((k) => (
                  <th key={k} className="num">
                    {k}
                  </th>
                ))}
                <th>Created</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {vs.map((v) => (
                <ModelVersionRow key={v.id} v={v} model={model} project={project} aliases={aliasesOf(v.version)} metricKeys={metricKeys} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {vs.length > 0 && <AliasMove model={model} versions={vs} aliases={aliases} />}
      <section className="panel">
        <h2>Alias history</h2>
        {(history.data ?? []).length === 0 ? (
          <p className="muted small">No alias has been moved yet — check the gates above, then move one.</p>
        ) : (
          <table className="grid" data-testid="alias-history">
            <thead>
              <tr>
                <th>When</th>
                <th>Alias</th>
                <th>Move</th>
                <th>Outcome</th>
                <th>Actor</th>
                <th>Reason / gates</th>
              </tr>
            </thead>
            <tbody>
              {history.data!.map((h) => {
                const gates = (Array.isArray(h.gateResults) ? h.gateResults : []) as { gate: string; passed: boolean; forced: boolean; detail: string }[];
                const failing = gates.filter((g) => !g.passed);
                return (
                  <tr key={h.id}>
                    <td>{fmtDate(h.createdAt)}</td>
                    <td>@{h.alias}</td>
                    <td>
                      {h.fromVersion === null ? '—' : `v${h.fromVersion}`} → v{h.toVersion}
                    </td>
                    <td>
                      <span className={`badge ${h.outcome === 'moved' ? 'pass' : 'fail'}`}>{h.outcome}</span>
                      {gates.some((g) => g.forced) && <span className="badge warn"> forced</span>}
                    </td>
                    <td>{h.actor}</td>
                    <td className="small">
                      {h.reason && <div>{h.reason}</div>}
                      {failing.length === 0 ? <span className="muted">all gates passed</span> : failing.map((g) => <div key={g.gate} className={g.forced ? 'warn' : 'error'}>{g.detail}</div>)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
