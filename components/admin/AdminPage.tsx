'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { trpc } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';
import { MachineTokensPanel } from './MachineTokensPanel';
import { UsersPanel } from './UsersPanel';

/** Organisation administration (owner and admins): people and machine tokens. */
export function AdminPage() {
  const me = useQuery({ queryKey: ['me'], queryFn: () => trpc.account.me.query() });
  const m = me.data;
  const isAdmin = m && (m.role === 'owner' || m.role === 'admin');
  return (
    <main className="page">
      <header className="page-head">
        <h1>Administration</h1>
        <p className="muted">Who may sign in, with which organisation role, and the machines that train and serve.</p>
      </header>
      <ErrorAlert error={me.error} />
      {me.isPending ? (
        <p className="muted">Loading…</p>
      ) : m && !isAdmin ? (
        <div className="panel" data-testid="needs-admin">
          <p>
            <strong>This page needs org admin.</strong> You ({m.email}) are a {m.role}; ask the owner or an admin to change your role, or to do what you need here.
          </p>
          <Link href="/account">Your account</Link>
        </div>
      ) : m ? (
        <>
          <UsersPanel myId={m.id} />
          <MachineTokensPanel />
        </>
      ) : null}
    </main>
  );
}
