'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { trpc } from '../studio/trpc';
import { ACCESS_LABEL, accessState } from './access-state';
import { BindForm } from './BindForm';
import { EndpointDetail } from './EndpointDetail';
import './endpoints.css';
import { ErrorAlert } from '../ui/ErrorAlert';
import { ProjectHealth } from '../monitoring/ProjectHealth';

/** Endpoints: the served names apps call, bound to a model alias or version. */
export function EndpointsPage({ project }: { project: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  const eps = useQuery({ queryKey: ['endpoints'], queryFn: () => trpc.endpoints.list.query() });
  const [picked, setPicked] = useState<string | null>(null);
  // Open at first when there is no endpoint yet; from then on only the user opens or closes it,
  // so an endpoint appearing meanwhile (another tab, a script) never hides a form being filled.
  const [binding, setBinding] = useState<boolean | null>(null);
  const list = eps.data ?? [];
  if (binding === null && eps.isSuccess) setBinding(list.length === 0);
  const ep = list.find((e) => e.name === picked) ?? list[0] ?? null;

  return (
    <div className="page ep-page">
      <div className="page-head">
        <h1>Endpoints</h1>
        <p className="muted">HTTP endpoints (TensorFlow Serving&apos;s REST API) that apps call, public or with an API key. Rebinding swaps versions without a failed request.</p>
      </div>
      <ErrorAlert error={eps.error} />
      {list.length > 0 && <ProjectHealth project={project} />}
      <div className="ep-layout">
        <aside className="panel ep-list">
          <h2>Endpoints</h2>
          {eps.isLoading ? (
            <p className="muted small">Loading…</p>
          ) : list.length === 0 ? (
            <p className="muted small" data-testid="endpoints-empty">
              No endpoints yet — create one on the right from a registered model (see <Link href={`${base}/models`}>Models</Link>).
            </p>
          ) : (
            <ul data-testid="endpoint-list">
              {list.map((e) => (
                <li key={e.name}>
                  <button type="button" className={ep?.name === e.name ? 'ep-item current' : 'ep-item'} aria-pressed={ep?.name === e.name} onClick={() => setPicked(e.name)}>
                    <strong>{e.name}</strong>
                    <span className="small muted">
                      {e.model} {'alias' in e.target ? `@${e.target.alias}` : `v${e.target.version}`}
                      {e.defaultVersion !== null ? ` → v${e.defaultVersion}` : ' → none'}
                    </span>
                    <span className={accessState(e) === 'closed' ? 'small error' : 'small muted'}>{ACCESS_LABEL[accessState(e)]}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </aside>
        <div className="ep-main">
          <section className="panel">
            <div className="row ep-bind-head">
              <div>
                <h2>Create or rebind an endpoint</h2>
                {!binding && <p className="small muted ep-hint">Serve a model under a new name, or point an existing name at another alias, version or traffic split.</p>}
              </div>
              {binding !== null && (
                <button type="button" onClick={() => setBinding(!binding)} aria-expanded={binding}>
                  {binding ? 'Hide' : 'New / rebind…'}
                </button>
              )}
            </div>
            {binding && (
              <BindForm
                {...(ep && binding ? { initialName: ep.name } : {})}
                onBound={(name) => {
                  setPicked(name);
                  setBinding(false);
                }}
              />
            )}
          </section>
          {ep && <EndpointDetail key={ep.name} ep={ep} project={project} />}
        </div>
      </div>
    </div>
  );
}
