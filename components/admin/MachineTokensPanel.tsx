'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { fmtDate } from '../runs/format';
import { trpc } from '../studio/trpc';
import { ConfirmButton } from '../ui/ConfirmButton';
import { ErrorAlert } from '../ui/ErrorAlert';
import { OneTimeSecret } from '../ui/OneTimeSecret';

type Purpose = 'runner' | 'serving';

/** The command a machine runs with its token. */
function commandFor(purpose: Purpose, origin: string, token: string): string {
  return purpose === 'runner' ? `kiln runner --server ${origin} --token ${token}` : `kiln serving --server ${origin} --token ${token}`;
}

/** Machine tokens: runners train queued runs, serving processes read endpoint configs and packages. */
export function MachineTokensPanel() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['machine-tokens'], queryFn: () => trpc.runners.list.query() });
  const refresh = () => qc.invalidateQueries({ queryKey: ['machine-tokens'] });
  const [name, setName] = useState('');
  const [purpose, setPurpose] = useState<Purpose>('runner');
  const [minted, setMinted] = useState<{ name: string; purpose: Purpose; token: string } | null>(null);
  const mint = useMutation({
    mutationFn: (v: { name: string; purpose: Purpose }) => trpc.runners.createToken.mutate(v).then((r) => ({ ...v, token: r.token })),
    onSuccess: (r) => {
      setMinted(r);
      setName('');
      void refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => trpc.runners.revoke.mutate({ id }), onSuccess: () => void refresh() });

  return (
    <section className="panel" aria-labelledby="mt-h">
      <h2 id="mt-h">Machine tokens</h2>
      <p className="muted small">A runner token claims and trains queued runs; a serving token reads endpoint configurations and model packages. Neither can do anything else.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) mint.mutate({ name: name.trim(), purpose });
        }}
      >
        <label className="field">
          <span>Machine name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="gpu-box-1" maxLength={100} />
        </label>
        <label className="field">
          <span>Purpose</span>
          <select value={purpose} onChange={(e) => setPurpose(e.target.value as Purpose)}>
            <option value="runner">runner</option>
            <option value="serving">serving</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={!name.trim() || mint.isPending} style={{ marginBottom: 8 }}>
          Mint token
        </button>
      </form>
      <ErrorAlert error={mint.error} prefix="Not minted: " />
      {minted ? (
        <OneTimeSecret
          title={`${minted.purpose} token for ${minted.name}`}
          secret={minted.token}
          secretLabel="Machine token"
          command={commandFor(minted.purpose, window.location.origin, minted.token)}
          onDone={() => setMinted(null)}
        />
      ) : null}
      <ErrorAlert error={list.error ?? revoke.error} />
      {(list.data ?? []).length === 0 ? (
        <p className="muted small">{list.isPending ? 'Loading…' : 'No machine tokens yet.'}</p>
      ) : (
        <table className="grid" data-testid="machine-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Purpose</th>
              <th>Created by</th>
              <th>Created</th>
              <th>Last heartbeat</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data!.map((r) => (
              <tr key={r.id} data-testid={`machine-${r.name}`}>
                <td>{r.name}</td>
                <td>{r.purpose}</td>
                <td>{r.createdBy ?? <span className="muted">the server itself</span>}</td>
                <td className="small">{fmtDate(r.createdAt)}</td>
                <td className="small">{r.lastHeartbeatAt ? fmtDate(r.lastHeartbeatAt) : <span className="muted">never</span>}</td>
                <td>
                  <span className={`badge ${r.revokedAt ? 'revoked' : 'live'}`}>{r.revokedAt ? `revoked ${fmtDate(r.revokedAt)}` : 'live'}</span>
                </td>
                <td>
                  {r.revokedAt ? null : (
                    <ConfirmButton question={`Revoke ${r.name}? It stops working at once.`} onConfirm={() => revoke.mutate(r.id)} disabled={revoke.isPending} label={`Revoke ${r.name}`}>
                      Revoke
                    </ConfirmButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
