'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from '../studio/trpc';
import { ConfirmButton } from '../ui/ConfirmButton';
import { ErrorAlert } from '../ui/ErrorAlert';

type Role = 'READ' | 'EDIT' | 'MANAGE';
const ROLES: Role[] = ['READ', 'EDIT', 'MANAGE'];

/** Who has which role in the project; MANAGE holders add, change and remove people. */
export function MembersPanel({ project, myRole }: { project: string; myRole: Role | null }) {
  const qc = useQueryClient();
  const key = ['members', project];
  const members = useQuery({ queryKey: key, queryFn: () => trpc.users.members.list.query({ projectName: project }) });
  const set = useMutation({
    mutationFn: (v: { email: string; role: Role | null }) => trpc.users.members.set.mutate({ projectName: project, ...v }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('READ');
  const manage = myRole === 'MANAGE';

  return (
    <section className="panel" aria-labelledby="members-h">
      <h2 id="members-h">Members</h2>
      <p className="muted small">
        READ sees everything in the project; EDIT also changes graphs, data and runs and moves ordinary aliases; MANAGE also moves production aliases and changes members. The organisation&apos;s owner and admins have MANAGE on every project.
      </p>
      {manage ? (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (email.trim()) set.mutate({ email: email.trim(), role }, { onSuccess: () => setEmail('') });
          }}
        >
          <label className="field">
            <span>Email of a user</span>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="ada@example.com" aria-label="Member email" />
          </label>
          <label className="field">
            <span>Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Member role">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={!email.trim() || set.isPending} style={{ marginBottom: 8 }}>
            Add member
          </button>
        </form>
      ) : (
        <p className="small">You have {myRole ?? 'no role'} here: only MANAGE holders change members.</p>
      )}
      <ErrorAlert error={members.error ?? set.error} />
      {(members.data ?? []).length === 0 ? (
        <p className="muted small">{members.isPending ? 'Loading…' : 'No members yet.'}</p>
      ) : (
        <table className="grid" data-testid="member-table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data!.map((m) => (
              <tr key={m.userId} data-testid={`member-${m.email}`}>
                <td>{m.email}</td>
                <td>{m.name}</td>
                <td>
                  {manage ? (
                    <select value={m.role} aria-label={`Role of ${m.email}`} disabled={set.isPending} onChange={(e) => set.mutate({ email: m.email, role: e.target.value as Role })}>
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>
                  {manage ? (
                    <ConfirmButton question={`Remove ${m.email} from ${project}?`} onConfirm={() => set.mutate({ email: m.email, role: null })} label={`Remove ${m.email}`}>
                      Remove
                    </ConfirmButton>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
