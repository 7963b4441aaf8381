'use client';
import { useState, type ReactNode } from 'react';

/**
 * A button that asks before it acts: the first click shows "<question> Yes / No" in place,
 * so nothing irreversible happens on a stray click (and no browser dialog blocks the page).
 */
export function ConfirmButton({ children, question, onConfirm, disabled, danger = true, label }: { children: ReactNode; question: string; onConfirm: () => void; disabled?: boolean; danger?: boolean; label?: string }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={danger ? 'danger' : undefined} disabled={disabled} onClick={() => setAsking(true)} aria-label={label}>
        {children}
      </button>
    );
  }
  return (
    <span className="inline-confirm" role="group" aria-label={question}>
      <span className="small">{question}</span>
      <button
        type="button"
        className={danger ? 'danger' : 'primary'}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}
