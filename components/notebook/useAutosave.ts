'use client';
import { useEffect } from 'react';
import { cellOutputSchema, type NotebookDoc } from '../../lib/notebook/schema';
import { errorMessage, trpc } from '../studio/trpc';
import { useNotebookStore } from './notebook-store';

const AUTOSAVE_MS = 1200;
/** While cells run and stream outputs, save at most this often (edits are not held back for long). */
const STREAMING_SAVE_MS = 10_000;
let lastSaveAt = 0;

/**
 * Outputs the server would refuse (a NaN loss in a progress point, an oversized list) must not
 * block saving the sources: non-finite numbers are dropped and invalid outputs left out.
 */
export function saveableDoc(doc: NotebookDoc): NotebookDoc {
  return {
    version: 1,
    cells: doc.cells.map((c) => ({
      ...c,
      outputs: c.outputs
        .map((o) => (o.type === 'progress' ? { ...o, points: o.points.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => Number.isFinite(v)))) } : o))
        .filter((o) => cellOutputSchema.safeParse(o).success)
        .slice(0, 100),
    })),
  };
}

/**
 * Saves the notebook now (autosave calls it after a pause in editing). Until the user trusts it,
 * what they save is not their own code (`imported`): it opens untrusted again, for them too.
 */
export async function saveNow(): Promise<void> {
  const s = useNotebookStore.getState();
  if (!s.projectName || s.saveState === 'saving') return;
  const rev = s.rev;
  lastSaveAt = Date.now();
  s.setSaveState('saving');
  try {
    const r = await trpc.notebooks.save.mutate({ projectName: s.projectName, doc: saveableDoc(s.doc()), imported: !s.trust.trusted });
    useNotebookStore.getState().setSaved(rev, r.version, r.hash);
  } catch (e) {
    useNotebookStore.getState().setSaveState('error', `Could not save the notebook: ${errorMessage(e)}`);
  }
}

/** Waits for a save in flight, then saves what is still unsaved; true when the server has it all. */
export async function saveSettled(): Promise<boolean> {
  const store = useNotebookStore;
  if (store.getState().saveState === 'saving') {
    await new Promise<void>((resolve) => {
      const stop = store.subscribe((s) => {
        if (s.saveState === 'saving') return;
        stop();
        resolve();
      });
    });
  }
  if (store.getState().rev !== store.getState().savedRev) await saveNow();
  return store.getState().rev === store.getState().savedRev;
}

export function useAutosave(enabled: boolean): void {
  const rev = useNotebookStore((s) => s.rev);
  const savedRev = useNotebookStore((s) => s.savedRev);
  const saving = useNotebookStore((s) => s.saveState === 'saving');
  const streaming = useNotebookStore((s) => Object.values(s.runtime).some((r) => r.status === 'running' || r.status === 'queued'));
  useEffect(() => {
    if (!enabled || rev === savedRev || saving) return;
    // A running cell changes the document at every epoch: save on a slower clock meanwhile, so
    // source edits made during a long training are still saved, without a version per epoch.
    const delay = streaming ? Math.max(AUTOSAVE_MS, STREAMING_SAVE_MS - (Date.now() - lastSaveAt)) : AUTOSAVE_MS;
    const t = setTimeout(() => void saveNow(), delay);
    return () => clearTimeout(t);
  }, [enabled, rev, savedRev, saving, streaming]);
  // Leaving the notebook (another tab, a reload) with unsaved edits: save what there is now.
  useEffect(() => {
    if (!enabled) return;
    const flush = () => {
      const s = useNotebookStore.getState();
      if (s.rev !== s.savedRev) void saveNow();
    };
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, [enabled]);
}
