'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, useSyncExternalStore } from 'react';
import { copyText, fmtDate } from '../runs/format';
import { errorMessage, trpc, type RouterOutputs } from '../studio/trpc';
import { servingBase } from './serving-url';
import { TryIt } from './TryIt';
import { ErrorAlert } from '../ui/ErrorAlert';

type Endpoint = RouterOutputs['endpoints']['list'][number];

const noSubscribe = () => () => undefined;

function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [done, setDone] = useState<boolean | null>(null);
  return (
    <button
      type="button"
      data-testid={testId}
      onClick={async () => {
        setDone(await copyText(text));
        setTimeout(() => setDone(null), 1500);
      }}
    >
      {done === null ? label : done ? 'Copied ✓' : 'Copy failed'}
    </button>
  );
}

/** One endpoint: URL, target, keys (a new key shown once), try-it form and client snippets. */
export function EndpointDetail({ ep }: { ep: Endpoint }) {
  const qc = useQueryClient();
  const host = useSyncExternalStore(noSubscribe, () => window.location.hostname, () => null);
  const snippets = useQuery({ queryKey: ['endpoint-snippets', ep.name, ep.updatedAt, ep.keys.length], queryFn: () => trpc.endpoints.snippets.query({ name: ep.name }), retry: false });
  const [keyName, setKeyName] = useState('');
  const [newKey, setNewKey] = useState<{ key: string; prefix: string } | null>(null);
  const [tab, setTab] = useState<'curl' | 'javascript' | 'python'>('curl');
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['endpoints'] });
    void qc.invalidateQueries({ queryKey: ['endpoint-snippets', ep.name] });
  };
  const create = useMutation({
    mutationFn: () => trpc.endpoints.createKey.mutate({ name: ep.name, keyName }),
    onSuccess: (k) => {
      setNewKey(k);
      setKeyName('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (key: string) => trpc.endpoints.revokeKey.mutate({ name: ep.name, key }), onSuccess: refresh });
  const s = snippets.data;
  const base = s ? servingBase(s.url, host) : null;
  const url = base ? `${base}/v1/models/${encodeURIComponent(ep.name)}:predict` : null;
  const active = ep.keys.filter((k) => !k.revokedAt);

  return (
    <div className="ep-detail" data-testid="endpoint-detail">
      <section className="panel">
        <h2>
          {ep.name} <span className="muted small">serves {ep.model}</span>
        </h2>
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
          <dt>Updated</dt>
          <dd>{fmtDate(ep.updatedAt)}</dd>
        </dl>
      </section>

      <section className="panel" aria-label="API keys">
        <h2>API keys</h2>
        {active.length === 0 && <p className="small warn">No active keys: anyone who can reach the serving port can call this endpoint. Create a key to require one.</p>}
        {ep.keys.length > 0 && (
          <table className="grid" data-testid="key-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Name</th>
                <th>Created</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {ep.keys.map((k) => (
                <tr key={k.id}>
                  <td className="mono">{k.prefix}…</td>
                  <td>{k.name || <span className="muted">—</span>}</td>
                  <td>{fmtDate(k.createdAt)}</td>
                  <td>{k.revokedAt ? <span className="badge failed">revoked {fmtDate(k.revokedAt)}</span> : <span className="badge succeeded">active</span>}</td>
                  <td>
                    {!k.revokedAt && (
                      <button type="button" className="danger" disabled={revoke.isPending} onClick={() => window.confirm(`Revoke key ${k.prefix}…? Apps using it get 403.`) && revoke.mutate(k.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          className="row"
          style={{ marginTop: 8 }}
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <label className="field">
            <span>Key name (optional)</span>
            <input value={keyName} onChange={(e) => setKeyName(e.target.value)} maxLength={200} placeholder="mobile app" />
          </label>
          <button type="submit" disabled={create.isPending} data-testid="create-key" style={{ marginBottom: 8 }}>
            Create key
          </button>
        </form>
        {newKey && (
          <div className="ep-newkey" role="status" data-testid="new-key">
            <p className="small">
              <strong>Copy this key now — it is shown only once.</strong>
            </p>
            <div className="row">
              <code className="ep-key">{newKey.key}</code>
              <CopyButton text={newKey.key} label="Copy key" testId="copy-key" />
              <button type="button" onClick={() => setNewKey(null)}>
                Done
              </button>
            </div>
          </div>
        )}
        <ErrorAlert error={create.error ?? revoke.error} />
      </section>

      {s && url && (
        <section className="panel" aria-label="Try it">
          <h2>
            Try it <span className="muted small">v{s.version}&apos;s input fields, prefilled from a typical training record</span>
          </h2>
          <TryIt key={url} url={url} record={s.record} needsKey={s.needsKey} apiKey={newKey?.key ?? ''} />
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
