'use client';
/**
 * Who is signed in, in the studio's top bar: name, email and role in the organisation, links to
 * the account page (and the admin pages for owners and admins), and signing out. Not shown on
 * the pages that need no session (sign-in, share links).
 */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useRef, useState } from 'react';
import { apiFetch } from './api-fetch';
import { trpc } from './trpc';

const OPEN_PAGES = /^\/(login|share\/)/;

export function AccountMenu() {
  const pathname = usePathname();
  const open = OPEN_PAGES.test(pathname ?? '');
  const me = useQuery({ queryKey: ['account.me'], queryFn: () => trpc.account.me.query(), enabled: !open, staleTime: 60_000, retry: false });
  const [error, setError] = useState<string | null>(null);
  const details = useRef<HTMLDetailsElement>(null);
  if (open || !me.data) return null;
  const u = me.data;
  const close = () => details.current?.removeAttribute('open');

  const signOut = async () => {
    setError(null);
    const res = await apiFetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
    // A full page load, not a client navigation: nothing of this user's session stays in memory.
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination
    if (res?.ok) return window.location.assign('/login');
    const body = (await res?.json().catch(() => null)) as { error?: string; message?: string } | null;
    setError(`Sign-out failed: ${body?.error ?? body?.message ?? (res ? `HTTP ${res.status}` : 'the server did not answer')}`);
  };

  return (
    <details className="account-menu" ref={details} data-testid="account-menu">
      <summary aria-label="Account menu">{u.name || u.email}</summary>
      <div className="menu">
        <div className="who">
          <strong>{u.name}</strong>
          <span className="muted small">{u.email}</span>
          <span className="small">
            Role: <span className="badge">{u.role}</span>
          </span>
        </div>
        <Link href="/account" onClick={close}>
          Account
        </Link>
        {u.role === 'owner' || u.role === 'admin' ? (
          <Link href="/admin" onClick={close}>
            Admin
          </Link>
        ) : null}
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
        {error ? (
          <p className="error small" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    </details>
  );
}
