'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { fmtDate } from '../runs/format';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';
import { ACCESS_TEXT, accessState, unconfirmedText } from './access-state';
import { CopyButton } from './CopyButton';

type Endpoint = RouterOutputs['endpoints']['list'][number];

/**
 * Who may call an endpoint: its access mode (with a warning when it is keyed and has no active
 * key, i.e. closed), the explicit "make public" / "require a key" controls, and its API keys (a
 * new key shown once). A change answers once the serving replicas applied it; any that did not
 * are named.
 */
export function AccessPanel({ ep, onChanged, onNewKey }: { ep: Endpoint; onChanged: () => void; onNewKey: (key: string) => void }) {
  const [keyName, setKeyName] = useState('');
  const [newKey, setNewKey] = useState<{ key: string; prefix: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const state = accessState(ep);
  const create = useMutation({
    mutationFn: () => trpc.endpoints.createKey.mutate({ name: ep.name, keyName }),
    onSuccess: (k) => {
      setNewKey(k);
      onNewKey(k.key);
      setKeyName('');
      setNotice(unconfirmedText(k.replicas));
      onChanged();
    },
  });
  const revoke = useMutation({
    mutationFn: (key: string) => trpc.endpoints.revokeKey.mutate({ name: ep.name, key }),
    onSuccess: (r) => {
      setNotice(unconfirmedText(r.replicas));
      onChanged();
    },
  });
  const setAccess = useMutation({
    mutationFn: (access: 'public' | 'keys') => trpc.endpoints.setAccess.mutate({ name: ep.name, access }),
    onSuccess: (r) => {
      setNotice(unconfirmedText(r.replicas));
      onChanged();
    },
  });
  const active = ep.keys.filter((k) => !k.revokedAt);
  const busy = create.isPending || revoke.isPending || setAccess.isPending;

  return (
    <section className="panel" aria-label="Access and API keys">
      <h2>Access and API keys</h2>
      <p className={state === 'closed' ? 'ep-access closed' : state === 'keyed' ? 'ep-access keyed' : 'ep-access public'} role={state === 'closed' ? 'alert' : undefined} data-testid="endpoint-access" data-state={state}>
        {/* Each text starts with its state's name ("Public:", "Closed:"), shown bold once. */}
        <strong>{ACCESS_TEXT[state].slice(0, ACCESS_TEXT[state].indexOf(':') + 1)}</strong>
        {ACCESS_TEXT[state].slice(ACCESS_TEXT[state].indexOf(':') + 1)}
      </p>
      <div className="row">
        {ep.access === 'keys' ? (
          <button
            type="button"
            className="danger"
            disabled={busy}
            data-testid="make-public"
            onClick={() => window.confirm(`Make "${ep.name}" public? Anyone who can reach the serving port will be able to call it without a key${active.length ? `; its ${active.length} active key(s) will no longer be checked` : ''}.`) && setAccess.mutate('public')}
          >
            Make public…
          </button>
        ) : (
          <button
            type="button"
            disabled={busy}
            data-testid="require-key"
            onClick={() => (active.length > 0 || window.confirm(`Require an API key for "${ep.name}"? It has no active key, so every request will be refused until you create one.`)) && setAccess.mutate('keys')}
          >
            Require an API key
          </button>
        )}
      </div>
      {notice && (
        <p className="small warn" role="status" data-testid="replica-notice">
          {notice}
        </p>
      )}
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
                <td>
                  {fmtDate(k.createdAt)}
                  {k.createdBy && <span className="muted small"> by {k.createdBy}</span>}
                </td>
                <td>{k.revokedAt ? <span className="badge failed">revoked {fmtDate(k.revokedAt)}</span> : <span className="badge succeeded">active</span>}</td>
                <td>
                  {!k.revokedAt && (
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      onClick={() =>
                        window.confirm(
                          `Revoke key ${k.prefix}…? Apps using it are refused from the next request on.${ep.access === 'keys' && active.length === 1 ? ' It is the last active key: the endpoint will be closed (every request refused) until you create a key or make it public.' : ''}`,
                        ) && revoke.mutate(k.id)
                      }
                    >
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
        <button type="submit" disabled={busy} data-testid="create-key" style={{ marginBottom: 8 }}>
          Create key
        </button>
      </form>
      {ep.access === 'public' && <p className="small muted">Creating a key makes the endpoint require one.</p>}
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
      <ErrorAlert error={create.error ?? revoke.error ?? setAccess.error} />
    </section>
  );
}
