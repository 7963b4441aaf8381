'use client';
import { useState } from 'react';
import { copyText } from '../runs/format';

/** A button that copies `text` and says whether it worked for a moment. */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [done, setDone] = useState<boolean | null>(null);
  return (
    <button
      type="button"
      data-testid={testId}
      onClick={async () => {
        setDone(await copyText(text));
        setTimeout(() => setDone(null), 1500);
      }}
    >
      {done === null ? label : done ? 'Copied ✓' : 'Copy failed'}
    </button>
  );
}
