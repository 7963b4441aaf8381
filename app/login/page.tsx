'use client';
/**
 * Signing in: email + password, a one-time link (`?token=`, first start and invitations) after
 * which an account without a password may set one, and single sign-on when the server offers it.
 * Afterwards the browser goes to `?next=` — only ever a path on this origin (safeNext).
 */
import { Suspense, useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'next/navigation';
import { apiFetch } from '../../components/studio/api-fetch';
import { safeNext } from '../../components/studio/next-path';
import './login.css';

type Stage = 'checking' | 'sign-in' | 'set-password';
interface LoginOptions {
  password: boolean;
  oidc: { providerId: string; label: string } | null;
}

/** One line for a refused sign-in (better-auth's `{ code, message }` or Kiln's `{ code, error }`). */
function signInError(status: number, body: { code?: string; message?: string; error?: string } | null): string {
  if (status === 429) return 'Too many sign-in attempts: wait a minute and try again.';
  if (body?.code === 'ACCOUNT_DEACTIVATED') return 'This account is deactivated: ask an admin of this Kiln to reactivate it.';
  if (body?.code === 'INVALID_EMAIL_OR_PASSWORD' || status === 401) return 'Wrong email or password.';
  return body?.message ?? body?.error ?? `Sign-in failed (HTTP ${status}).`;
}

async function post(path: string, body: unknown): Promise<{ ok: boolean; status: number; body: Record<string, unknown> | null }> {
  const res = await apiFetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { ok: res.ok, status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

function SignIn() {
  const params = useSearchParams();
  const next = safeNext(params.get('next'));
  const [stage, setStage] = useState<Stage>('checking');
  const [options, setOptions] = useState<LoginOptions | null>(null);
  const [error, setError] = useState<string | null>(params.get('error') ? `Single sign-on failed (${params.get('error')}).` : null);
  const [busy, setBusy] = useState(false);
  const started = useRef(false);
  const go = () => window.location.replace(next);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const token = params.get('token');
    void (async () => {
      void apiFetch('/api/login-options')
        .then((r) => (r.ok ? (r.json() as Promise<LoginOptions>) : null))
        .then(setOptions, () => setOptions(null));
      if (token) {
        // The link works once: keep it out of the address bar and the history.
        window.history.replaceState(null, '', next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
        const r = await post('/api/auth/sign-in/link', { token });
        if (!r.ok) {
          setError(r.status === 400 ? 'This sign-in link is unknown, used or expired: ask for a new one.' : signInError(r.status, r.body));
          return setStage('sign-in');
        }
        return r.body?.hasPassword ? go() : setStage('set-password');
      }
      const me = await apiFetch('/api/whoami').catch(() => null);
      if (me?.ok) return go();
      setStage('sign-in');
    })();
    // Runs once, for the URL the page was opened with.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const signIn = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const r = await post('/api/auth/sign-in/email', { email: form.get('email'), password: form.get('password') }).catch(() => null);
    setBusy(false);
    if (r?.ok) return go();
    setError(r ? signInError(r.status, r.body) : 'Could not reach the server.');
  };

  const setPassword = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget).get('password') ?? '');
    if (password.length < 8) return setError('The password needs at least 8 characters.');
    setBusy(true);
    setError(null);
    const r = await post('/api/account/password', { newPassword: password }).catch(() => null);
    setBusy(false);
    if (r?.ok) return go();
    setError(r ? String(r.body?.error ?? `Could not set the password (HTTP ${r.status}).`) : 'Could not reach the server.');
  };

  const singleSignOn = async () => {
    setBusy(true);
    setError(null);
    const back = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
    const r = await post('/api/auth/sign-in/social', { provider: options?.oidc?.providerId ?? 'oidc', callbackURL: next, errorCallbackURL: back, disableRedirect: true }).catch(() => null);
    const url = r?.ok ? r.body?.url : null;
    if (typeof url === 'string') return window.location.assign(url);
    setBusy(false);
    setError(r ? signInError(r.status, r.body) : 'Could not reach the server.');
  };

  const alert = error ? (
    <p className="error" role="alert" data-testid="login-error">
      {error}
    </p>
  ) : null;

  if (stage === 'checking') return <p className="muted">Signing in…</p>;
  if (stage === 'set-password') {
    return (
      <form className="login-form" onSubmit={setPassword}>
        <h1>Set a password</h1>
        <p className="muted small">You are signed in. Choose a password to sign in with next time, or do it later from your account page.</p>
        <label className="field">
          <span>New password (at least 8 characters)</span>
          <input name="password" type="password" autoComplete="new-password" required autoFocus />
        </label>
        {alert}
        <div className="row">
          <button className="primary" type="submit" disabled={busy}>
            Set password
          </button>
          <button type="button" onClick={go} disabled={busy}>
            Later
          </button>
        </div>
      </form>
    );
  }
  return (
    <form className="login-form" onSubmit={signIn}>
      <h1>Sign in to Kiln</h1>
      <label className="field">
        <span>Email</span>
        <input name="email" type="email" autoComplete="username" required autoFocus />
      </label>
      <label className="field">
        <span>Password</span>
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {alert}
      <button className="primary" type="submit" disabled={busy}>
        Sign in
      </button>
      {options?.oidc ? (
        <button type="button" onClick={singleSignOn} disabled={busy}>
          Sign in with single sign-on
        </button>
      ) : null}
    </form>
  );
}

export default function LoginPage() {
  return (
    <main className="login">
      <Suspense fallback={null}>
        <SignIn />
      </Suspense>
    </main>
  );
}
