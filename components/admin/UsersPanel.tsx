'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { fmtDate } from '../runs/format';
import { trpc } from '../studio/trpc';
import { ConfirmButton } from '../ui/ConfirmButton';
import { ErrorAlert } from '../ui/ErrorAlert';
import { OneTimeSecret } from '../ui/OneTimeSecret';

type OrgRole = 'admin' | 'member';
/** A one-time sign-in link just made, for the person it is for. */
type Link = { email: string; url: string; expiresAt: Date | string; invited: boolean };

/** People in the organisation: invite, org role, (de)activate, a fresh sign-in link. */
export function UsersPanel({ myId }: { myId: string }) {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => trpc.users.list.query() });
  const refresh = () => qc.invalidateQueries({ queryKey: ['users'] });
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<OrgRole>('member');
  const [link, setLink] = useState<Link | null>(null);
  const baseUrl = () => window.location.origin;

  const invite = useMutation({
    mutationFn: () => trpc.users.invite.mutate({ email: email.trim(), name: name.trim() || undefined, role, baseUrl: baseUrl() }),
    onSuccess: (r) => {
      setLink({ email: email.trim().toLowerCase(), url: r.url, expiresAt: r.expiresAt, invited: true });
      setEmail('');
      setName('');
      void refresh();
    },
  });
  const signInLink = useMutation({
    mutationFn: (u: { id: string; email: string }) => trpc.users.signInLink.mutate({ id: u.id, baseUrl: baseUrl() }).then((r) => ({ ...r, email: u.email })),
    onSuccess: (r) => setLink({ email: r.email, url: r.url, expiresAt: r.expiresAt, invited: false }),
  });
  const setUserRole = useMutation({ mutationFn: (v: { id: string; role: OrgRole }) => trpc.users.setRole.mutate(v), onSuccess: () => void refresh() });
  const setActive = useMutation({ mutationFn: (v: { id: string; active: boolean }) => trpc.users.setActive.mutate(v), onSuccess: () => void refresh() });
  const actionError = signInLink.error ?? setUserRole.error ?? setActive.error;

  return (
    <section className="panel" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (email.trim()) invite.mutate();
        }}
      >
        <label className="field">
          <span>Email</span>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="ada@example.com" />
        </label>
        <label className="field">
          <span>Name (optional)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>Org role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as OrgRole)} aria-label="Role of the invitee">
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={!email.trim() || invite.isPending} style={{ marginBottom: 8 }}>
          Invite
        </button>
      </form>
      <ErrorAlert error={invite.error} prefix="Not invited: " />
      {link ? (
        <OneTimeSecret
          title={`${link.invited ? 'Invitation' : 'Sign-in link'} for ${link.email}`}
          secret={link.url}
          secretLabel="Sign-in link"
          note={`Pass this link on; it works once, until ${new Date(link.expiresAt).toLocaleString()}. Opening it signs ${link.email} in, then they set a password.`}
          onDone={() => setLink(null)}
        />
      ) : null}
      <ErrorAlert error={users.error ?? actionError} />
      <table className="grid" data-testid="user-table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
            <th>Groups</th>
            <th>Joined</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((u) => {
            const active = !u.deactivatedAt;
            return (
              <tr key={u.id} data-testid={`user-${u.email}`}>
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td>
                  {u.role === 'owner' || u.id === myId ? (
                    u.role
                  ) : (
                    <select value={u.role} aria-label={`Role of ${u.email}`} disabled={setUserRole.isPending} onChange={(e) => setUserRole.mutate({ id: u.id, role: e.target.value as OrgRole })}>
                      <option value="member">member</option>
                      <option value="admin">admin</option>
                    </select>
                  )}
                </td>
                <td>
                  <span className={`badge ${active ? 'active' : 'inactive'}`}>{active ? 'active' : 'deactivated'}</span>
                </td>
                <td className="small">{u.groups.length ? u.groups.join(', ') : <span className="muted">—</span>}</td>
                <td className="small">{fmtDate(u.createdAt)}</td>
                <td>
                  <div className="actions">
                    <button type="button" disabled={!active || signInLink.isPending} onClick={() => signInLink.mutate({ id: u.id, email: u.email })} aria-label={`New sign-in link for ${u.email}`}>
                      New sign-in link
                    </button>
                    {u.id === myId ? null : active ? (
                      <ConfirmButton question={`Deactivate ${u.email}? Their sessions and tokens stop at once.`} onConfirm={() => setActive.mutate({ id: u.id, active: false })} label={`Deactivate ${u.email}`}>
                        Deactivate
                      </ConfirmButton>
                    ) : (
                      <ConfirmButton question={`Reactivate ${u.email}?`} danger={false} onConfirm={() => setActive.mutate({ id: u.id, active: true })} label={`Reactivate ${u.email}`}>
                        Reactivate
                      </ConfirmButton>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
