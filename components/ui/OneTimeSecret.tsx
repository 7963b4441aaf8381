'use client';
import type { ReactNode } from 'react';
import { CopyField } from './CopyButton';

/** A secret (token, sign-in link) shown this once, with the command that uses it; "Done" forgets it. */
export function OneTimeSecret({ title, secret, secretLabel, command, note, onDone }: { title: string; secret: string; secretLabel: string; command?: string; note?: ReactNode; onDone: () => void }) {
  return (
    <div className="secret-once" role="status" data-testid="one-time-secret">
      <strong>{title}</strong>
      <p className="small warn">Copy it now: it is shown only this once.</p>
      <CopyField value={secret} label={secretLabel} testId="secret-value" />
      {command ? (
        <>
          <span className="small muted">Command</span>
          <CopyField value={command} label="Command" testId="secret-command" />
        </>
      ) : null}
      {note ? <p className="small muted">{note}</p> : null}
      <div>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
