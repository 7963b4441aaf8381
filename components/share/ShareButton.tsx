'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { trpc, type RouterInputs } from '../studio/trpc';
import { CopyField } from '../ui/CopyButton';
import { ErrorAlert } from '../ui/ErrorAlert';

type Target = Pick<RouterInputs['shares']['create'], 'kind' | 'id' | 'model'>;
const DAYS = [1, 7, 30, 90, 365];

/**
 * "Share": makes a read-only link to one run, model version or notebook version, then shows its
 * URL to copy and when it expires. The project's links are listed (and revoked) on its Members tab.
 */
export function ShareButton({ projectName, target, what, disabledReason }: { projectName: string; target: Target; what: string; disabledReason?: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [days, setDays] = useState(7);
  const box = useRef<HTMLDivElement>(null);
  const create = useMutation({
    mutationFn: () => trpc.shares.create.mutate({ projectName, ...target, expiresInDays: days }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['shares', projectName] }),
  });
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const link = create.data;

  return (
    <div className="share-anchor" ref={box}>
      <button type="button" onClick={() => setOpen(!open)} disabled={!!disabledReason} title={disabledReason ?? `Make a read-only link to ${what}`} aria-expanded={open} data-testid="share-button">
        Share
      </button>
      {open ? (
        <div className="share-pop" role="dialog" aria-label={`Share ${what}`}>
          <p className="small" style={{ marginTop: 0 }}>
            A link that shows {what} read-only to anyone who has it, signed in or not.
          </p>
          <div className="row" style={{ alignItems: 'center' }}>
            <label className="small">
              Expires in{' '}
              <select value={days} onChange={(e) => setDays(Number(e.target.value))} aria-label="Link expires in (days)">
                {DAYS.map((d) => (
                  <option key={d} value={d}>
                    {d} day{d === 1 ? '' : 's'}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="primary" onClick={() => create.mutate()} disabled={create.isPending}>
              {link ? 'Create another link' : 'Create link'}
            </button>
          </div>
          <ErrorAlert error={create.error} prefix="No link: " />
          {link ? (
            <div data-testid="share-result">
              <CopyField value={`${window.location.origin}${link.path}`} label="Share link" testId="share-url" />
              <span className="small muted">expires {new Date(link.expiresAt).toLocaleString()}</span>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
