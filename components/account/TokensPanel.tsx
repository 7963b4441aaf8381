'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { fmtDate } from '../runs/format';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ConfirmButton } from '../ui/ConfirmButton';
import { ErrorAlert } from '../ui/ErrorAlert';
import { OneTimeSecret } from '../ui/OneTimeSecret';

type Scope = 'READ' | 'EDIT' | 'MANAGE';
type Created = RouterOutputs['account']['tokens']['create'];

function tokenState(t: { revokedAt: Date | string | null; expiresAt: Date | string | null }): 'revoked' | 'expired' | 'live' {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'live';
}

/** Personal access tokens: the CLI's and scripts' credentials, each limited to a scope and maybe one project. */
export function TokensPanel() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ['my-tokens'], queryFn: () => trpc.account.tokens.list.query() });
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => trpc.projects.list.query() });
  const projectName = new Map((projects.data ?? []).map((p) => [p.id, p.name]));

  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('READ');
  const [project, setProject] = useState('');
  const [days, setDays] = useState(90);
  const [never, setNever] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['my-tokens'] });

  const create = useMutation({
    mutationFn: () => trpc.account.tokens.create.mutate({ name: name.trim(), scope, projectName: project || undefined, expiresInDays: never ? null : days }),
    onSuccess: (t) => {
      setCreated(t);
      setName('');
      void refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => trpc.account.tokens.revoke.mutate({ id }), onSuccess: () => void refresh() });
  const daysOk = never || (Number.isInteger(days) && days >= 1 && days <= 3650);
  const origin = typeof window === 'undefined' ? '' : window.location.origin;

  return (
    <section className="panel" aria-labelledby="tok-h">
      <h2 id="tok-h">Personal access tokens</h2>
      <p className="muted small">
        For <code>kiln</code> on the command line and for scripts (<code>Authorization: Bearer …</code>). A token never does more than you may, and no more than its scope.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && daysOk) create.mutate();
        }}
      >
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop CLI" maxLength={100} />
        </label>
        <label className="field">
          <span>Scope</span>
          <select value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
            <option value="READ">READ</option>
            <option value="EDIT">EDIT</option>
            <option value="MANAGE">MANAGE</option>
          </select>
        </label>
        <label className="field">
          <span>Project</span>
          <select value={project} onChange={(e) => setProject(e.target.value)}>
            <option value="">every project I can reach</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Expires in (days)</span>
          <input type="number" min={1} max={3650} value={never ? '' : days} disabled={never} onChange={(e) => setDays(Number(e.target.value))} aria-invalid={!daysOk} style={{ width: 110 }} />
        </label>
        <label className="small" style={{ marginBottom: 14 }}>
          <input type="checkbox" checked={never} onChange={(e) => setNever(e.target.checked)} /> never
        </label>
        <button type="submit" className="primary" disabled={!name.trim() || !daysOk || create.isPending} style={{ marginBottom: 8 }}>
          Create token
        </button>
      </form>
      <ErrorAlert error={create.error} prefix="Token not created: " />
      {created ? (
        <OneTimeSecret
          title={`Token "${created.name}" (${created.scope})`}
          secret={created.token}
          secretLabel="New token"
          command={`kiln login --server ${origin} --token ${created.token}`}
          onDone={() => setCreated(null)}
        />
      ) : null}
      <ErrorAlert error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <p className="muted small">Loading tokens…</p>
      ) : (tokens.data ?? []).length === 0 ? (
        <p className="muted small">No tokens yet.</p>
      ) : (
        <table className="grid" data-testid="token-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Prefix</th>
              <th>Scope</th>
              <th>Project</th>
              <th>Expires</th>
              <th>Last used</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data!.map((t) => {
              const state = tokenState(t);
              return (
                <tr key={t.id} data-testid={`token-${t.name}`}>
                  <td>{t.name}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td>{t.scope}</td>
                  <td>{t.projectId ? (projectName.get(t.projectId) ?? t.projectId) : <span className="muted">any</span>}</td>
                  <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : 'never'}</td>
                  <td>{t.lastUsedAt ? fmtDate(t.lastUsedAt) : <span className="muted">never</span>}</td>
                  <td>
                    <span className={`badge ${state}`}>{state === 'revoked' ? `revoked ${new Date(t.revokedAt!).toLocaleDateString()}` : state}</span>
                  </td>
                  <td>
                    {state === 'live' ? (
                      <ConfirmButton question={`Revoke "${t.name}"?`} onConfirm={() => revoke.mutate(t.id)} disabled={revoke.isPending} label={`Revoke ${t.name}`}>
                        Revoke
                      </ConfirmButton>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
