'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, useSyncExternalStore } from 'react';
import { fmtDate } from '../runs/format';
import { errorMessage, trpc, type RouterOutputs } from '../studio/trpc';
import { AccessPanel } from './AccessPanel';
import { ACCESS_LABEL, accessState } from './access-state';
import { CopyButton } from './CopyButton';
import { CorsPanel } from './CorsPanel';
import { servingBase } from './serving-url';
import { TryIt } from './TryIt';

type Endpoint = RouterOutputs['endpoints']['list'][number];

const noSubscribe = () => () => undefined;

/** One endpoint: URL, target, access and keys (a new key shown once), browser origins, try-it form and client snippets. */
export function EndpointDetail({ ep, project }: { ep: Endpoint; project: string }) {
  const qc = useQueryClient();
  const host = useSyncExternalStore(noSubscribe, () => window.location.hostname, () => null);
  const snippets = useQuery({ queryKey: ['endpoint-snippets', ep.name, ep.updatedAt, ep.access], queryFn: () => trpc.endpoints.snippets.query({ name: ep.name }), retry: false });
  const [newKey, setNewKey] = useState('');
  const [tab, setTab] = useState<'curl' | 'javascript' | 'python'>('curl');
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['endpoints'] });
    void qc.invalidateQueries({ queryKey: ['endpoint-snippets', ep.name] });
  };
  const s = snippets.data;
  const base = s ? servingBase(s.url, host) : null;
  const url = base ? `${base}/v1/models/${encodeURIComponent(ep.name)}:predict` : null;

  return (
    <div className="ep-detail" data-testid="endpoint-detail">
      <section className="panel">
        <div className="row ep-bind-head">
          <h2>
            {ep.name} <span className="muted small">serves {ep.model}</span>
          </h2>
          <Link href={`/projects/${encodeURIComponent(project)}/endpoints/${encodeURIComponent(ep.name)}/monitoring`} data-testid="endpoint-monitoring-link">
            Monitoring →
          </Link>
        </div>
        <dl className="ep-dl small">
          <dt>URL</dt>
          <dd>
            {url ? (
              <>
                <code data-testid="endpoint-url">POST {url}</code> <CopyButton text={url} label="Copy URL" />
              </>
            ) : snippets.error ? (
              <span className="error">{errorMessage(snippets.error)}</span>
            ) : (
              <span className="muted">…</span>
            )}
          </dd>
          <dt>Target</dt>
          <dd>
            {'alias' in ep.target ? `@${ep.target.alias}` : `v${ep.target.version}`} → {ep.defaultVersion === null ? <span className="error">no version (alias unassigned)</span> : `v${ep.defaultVersion}`}
          </dd>
          <dt>Traffic</dt>
          <dd>{ep.traffic.length === 0 ? `100 % to the target` : ep.traffic.map((t) => `v${t.version}: ${t.weight} %`).join(' · ')}</dd>
          <dt>Access</dt>
          <dd className={accessState(ep) === 'closed' ? 'error' : undefined}>{ACCESS_LABEL[accessState(ep)]}</dd>
          <dt>Updated</dt>
          <dd>
            {fmtDate(ep.updatedAt)}
            {ep.boundBy && <span className="muted"> (bound by {ep.boundBy})</span>}
          </dd>
        </dl>
      </section>

      <AccessPanel ep={ep} onChanged={refresh} onNewKey={setNewKey} />
      <CorsPanel ep={ep} onChanged={refresh} />

      {s && url && (
        <section className="panel" aria-label="Try it">
          <h2>
            Try it <span className="muted small">v{s.version}&apos;s input fields, prefilled from a typical training record</span>
          </h2>
          <TryIt key={url} url={url} record={s.record} needsKey={s.needsKey} apiKey={newKey} />
        </section>
      )}

      {s && (
        <section className="panel" aria-label="Client snippets">
          <h2>Call it from code</h2>
          <div className="row ep-tabs" role="tablist">
            {(['curl', 'javascript', 'python'] as const).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'current' : undefined} onClick={() => setTab(t)}>
                {t === 'javascript' ? 'JavaScript' : t === 'python' ? 'Python' : 'curl'}
              </button>
            ))}
            <CopyButton text={s[tab]} label={`Copy ${tab}`} testId="copy-snippet" />
          </div>
          {s.needsKey && (
            <p className="small muted">
              The snippets read the key from <code>$KILN_API_KEY</code>.
            </p>
          )}
          <pre className="ep-snippet" data-testid={`snippet-${tab}`}>
            {s[tab]}
          </pre>
        </section>
      )}
    </div>
  );
}
