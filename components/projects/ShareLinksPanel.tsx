'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { fmtDate, shortId } from '../runs/format';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ConfirmButton } from '../ui/ConfirmButton';
import { ErrorAlert } from '../ui/ErrorAlert';

type ShareRow = RouterOutputs['shares']['list'][number];

function linkState(s: ShareRow): 'revoked' | 'expired' | 'live' {
  if (s.revokedAt) return 'revoked';
  return new Date(s.expiresAt).getTime() <= Date.now() ? 'expired' : 'live';
}

function WhatShared({ s, project }: { s: ShareRow; project: string }) {
  const base = `/projects/${encodeURIComponent(project)}`;
  if (s.kind === 'run') {
    return (
      <>
        run <Link href={`${base}/runs/${encodeURIComponent(s.resourceId)}`} className="mono">{shortId(s.resourceId)}</Link>
      </>
    );
  }
  if (s.kind === 'notebook') return <>notebook v{s.resourceId.split(':')[1]}</>;
  return (
    <>
      model version <span className="mono">{shortId(s.resourceId)}</span>
    </>
  );
}

/** The project's read-only share links: what each shows, who made it, until when; revoke. */
export function ShareLinksPanel({ project, myEmail, myRole }: { project: string; myEmail: string | null; myRole: string | null }) {
  const qc = useQueryClient();
  const key = ['shares', project];
  const shares = useQuery({ queryKey: key, queryFn: () => trpc.shares.list.query({ projectName: project }) });
  const revoke = useMutation({ mutationFn: (id: string) => trpc.shares.revoke.mutate({ projectName: project, id }), onSuccess: () => void qc.invalidateQueries({ queryKey: key }) });
  return (
    <section className="panel" aria-labelledby="shares-h">
      <h2 id="shares-h">Share links</h2>
      <p className="muted small">Anyone holding a link sees that one run, model version or notebook version, read-only and without signing in, until it expires or is revoked. Make one with a Share button on a run, a model version or the notebook.</p>
      <ErrorAlert error={shares.error ?? revoke.error} />
      {(shares.data ?? []).length === 0 ? (
        <p className="muted small">{shares.isPending ? 'Loading…' : 'No share links yet.'}</p>
      ) : (
        <table className="grid" data-testid="share-table">
          <thead>
            <tr>
              <th>Shows</th>
              <th>Made by</th>
              <th>Made</th>
              <th>Expires</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shares.data!.map((s) => {
              const state = linkState(s);
              const mayRevoke = myRole === 'MANAGE' || s.createdBy === myEmail;
              return (
                <tr key={s.id} data-testid={`share-${s.id}`}>
                  <td>
                    <WhatShared s={s} project={project} />
                  </td>
                  <td>{s.createdBy}</td>
                  <td className="small">{fmtDate(s.createdAt)}</td>
                  <td className="small">{fmtDate(s.expiresAt)}</td>
                  <td>
                    <span className={`badge ${state}`}>{state}</span>
                  </td>
                  <td>
                    {state === 'live' && mayRevoke ? (
                      <ConfirmButton question="Revoke this link? It stops working at once." onConfirm={() => revoke.mutate(s.id)} disabled={revoke.isPending} label={`Revoke share link ${s.id}`}>
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
