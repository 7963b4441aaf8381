'use client';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { trpc } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';
import { PasswordPanel } from './PasswordPanel';
import { TokensPanel } from './TokensPanel';

const ROLE_TEXT: Record<string, string> = {
  owner: 'owner (MANAGE on every project, org admin)',
  admin: 'admin (MANAGE on every project, org admin)',
  member: 'member (what each project grants you)',
};

/** The signed-in person's account: who they are, their tokens, their password. */
export function AccountPage() {
  const me = useQuery({ queryKey: ['me'], queryFn: () => trpc.account.me.query() });
  const m = me.data;
  return (
    <main className="page">
      <header className="page-head">
        <h1>Account</h1>
        <p className="muted">Who you are here, the tokens you made for the CLI and scripts, and your password.</p>
      </header>
      <section className="panel" aria-labelledby="me-h">
        <h2 id="me-h">You</h2>
        <ErrorAlert error={me.error} />
        {m ? (
          <dl className="facts" data-testid="whoami">
            <dt>Email</dt>
            <dd>{m.email}</dd>
            <dt>Name</dt>
            <dd>{m.name}</dd>
            <dt>Organisation role</dt>
            <dd>
              {ROLE_TEXT[m.role] ?? m.role}
              {m.role === 'owner' || m.role === 'admin' ? (
                <>
                  {' '}
                  · <Link href="/admin">Administration</Link>
                </>
              ) : null}
            </dd>
            <dt>Signed in with</dt>
            <dd>{m.via === 'session' ? 'a browser session' : `a token${m.scope ? ` (scope ${m.scope})` : ''}`}</dd>
          </dl>
        ) : me.isPending ? (
          <p className="muted small">Loading…</p>
        ) : null}
      </section>
      <TokensPanel />
      <PasswordPanel />
    </main>
  );
}
