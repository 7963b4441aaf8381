'use client';
import { useState } from 'react';
import { errorMessage, trpc } from '../studio/trpc';
import { useNotebookStore, type NotebookTrust } from './notebook-store';
import { saveSettled } from './useAutosave';
import type { KernelControls } from './useKernel';

function why(t: Extract<NotebookTrust, { trusted: false }>): string {
  return t.because === 'imported' ? 'This notebook was imported from a file' : `This notebook was last saved by ${t.savedBy ?? 'someone else'}`;
}

/**
 * Trusts what the page shows and runs it. The content is saved first (still as not the user's
 * own), so the server can remember exactly that content as trusted; from then on the user's
 * saves are their own. Where the server cannot have it (no permission to save), the trust holds
 * for this page only.
 */
async function trustAndRun(kernel: KernelControls): Promise<string | null> {
  const saved = await saveSettled();
  const { projectName, hash } = useNotebookStore.getState();
  useNotebookStore.getState().setTrusted();
  kernel.commit();
  if (!saved || !projectName || !hash) return null;
  try {
    await trpc.notebooks.trust.mutate({ projectName, hash });
    return null;
  } catch (e) {
    return `Running it now, but the server could not remember that you trust it (${errorMessage(e)}): it will ask again next time.`;
  }
}

/** While the notebook is untrusted: why nothing runs, and the one way to run it. */
export function TrustBanner({ kernel, onNotice }: { kernel: KernelControls; onNotice(n: { kind: 'error' | 'info'; text: string }): void }) {
  const trust = useNotebookStore((s) => s.trust);
  const [busy, setBusy] = useState(false);
  if (trust.trusted) return null;
  return (
    <div className="nb-notice nb-trust" role="status" data-testid="nb-trust-banner">
      <span>
        <strong>{why(trust)}: none of its cells run</strong>, not on open and not when you edit, until you trust it. Read the code first: a cell can submit runs and define node kinds in this project.
      </span>
      <button
        type="button"
        className="primary"
        disabled={busy}
        data-testid="nb-trust"
        onClick={() => {
          setBusy(true);
          void trustAndRun(kernel)
            .then((warning) => warning && onNotice({ kind: 'error', text: warning }))
            .finally(() => setBusy(false));
        }}
      >
        Trust and run
      </button>
    </div>
  );
}
