'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../ui/ErrorAlert';
import { postAccount } from './auth-fetch';

/**
 * Change password (better-auth asks for the current one). An account that signed in only by a
 * link has none yet: it sets a first one instead.
 */
export function PasswordPanel() {
  const [first, setFirst] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const problem = next.length > 0 && next.length < 8 ? 'at least 8 characters' : again && again !== next ? 'the two new passwords differ' : null;
  const change = useMutation({
    mutationFn: () =>
      first ? postAccount('/api/account/password', { newPassword: next }) : postAccount('/api/auth/change-password', { currentPassword: current, newPassword: next, revokeOtherSessions: false }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setAgain('');
      setFirst(false);
    },
  });
  const ready = !problem && next.length >= 8 && again === next && (first || current.length > 0);
  return (
    <section className="panel" aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) change.mutate();
        }}
      >
        <label className="small" style={{ display: 'block', marginBottom: 8 }}>
          <input type="checkbox" checked={first} onChange={(e) => setFirst(e.target.checked)} /> I have no password yet (I signed in with a link)
        </label>
        {!first && (
          <label className="field">
            <span>Current password</span>
            <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
          </label>
        )}
        <div className="row">
          <label className="field">
            <span>New password</span>
            <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} aria-invalid={!!problem && next.length > 0} />
          </label>
          <label className="field">
            <span>New password again</span>
            <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} aria-invalid={!!again && again !== next} />
          </label>
          <button type="submit" className="primary" disabled={!ready || change.isPending} style={{ marginBottom: 8 }}>
            {first ? 'Set password' : 'Change password'}
          </button>
        </div>
        {problem ? <p className="error small">{problem}</p> : null}
        <ErrorAlert error={change.error} prefix="Password not changed: " />
        {change.isSuccess ? (
          <p className="ok small" role="status">
            Password saved.
          </p>
        ) : null}
      </form>
    </section>
  );
}
