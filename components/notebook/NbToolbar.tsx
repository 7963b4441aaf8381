'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, trpc } from '../studio/trpc';
import { ShareButton } from '../share/ShareButton';
import { FilePickButton } from '../ui/FilePickButton';
import { exportIpynb, exportScript, importFile } from './files';
import { trustOf, useNotebookStore } from './notebook-store';
import { saveableDoc, saveNow } from './useAutosave';
import type { BackendChoice, KernelControls } from './useKernel';

const CHOICES: BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

function saveLabel(state: string, version: number | null): string {
  if (state === 'saving') return 'saving…';
  if (state === 'dirty') return 'unsaved changes';
  if (state === 'error') return 'not saved';
  return version ? `saved · v${version}` : 'saved';
}

/** Backend, run controls, kernel and save status, files and versions. */
export function NbToolbar({ projectName, kernel, backend, onBackend, onNotice }: { projectName: string; kernel: KernelControls; backend: BackendChoice; onBackend(c: BackendChoice): void; onNotice(n: { kind: 'error' | 'info'; text: string } | null): void }) {
  const kstatus = useNotebookStore((s) => s.kernel);
  const active = useNotebookStore((s) => s.backend);
  const saveState = useNotebookStore((s) => s.saveState);
  const saveError = useNotebookStore((s) => s.saveError);
  const version = useNotebookStore((s) => s.version);
  const running = useNotebookStore((s) => Object.values(s.runtime).some((r) => r.status === 'running' || r.status === 'queued'));
  const trusted = useNotebookStore((s) => s.trust.trusted);
  const [picking, setPicking] = useState(false);
  const versions = useQuery({ queryKey: ['notebook-versions', projectName, version], queryFn: () => trpc.notebooks.versions.query({ projectName }), enabled: picking || version !== null });

  const onImport = async (file: File) => {
    try {
      const doc = await importFile(file);
      // Code from a file is not the user's own: it is saved as imported and runs only once trusted.
      useNotebookStore.getState().replace(doc, { trusted: false, because: 'imported', savedBy: null });
      kernel.commit();
      void saveNow();
      onNotice({ kind: 'info', text: `Imported ${doc.cells.length} cell${doc.cells.length === 1 ? '' : 's'} from ${file.name}` });
    } catch (e) {
      onNotice({ kind: 'error', text: `Import failed: ${(e as Error).message}` });
    }
  };
  const openVersion = async (v: number) => {
    try {
      const got = await trpc.notebooks.get.query({ projectName, version: v });
      if (!got) return;
      useNotebookStore.getState().replace(got.doc, trustOf(got));
      kernel.commit();
      onNotice({ kind: 'info', text: `Opened version ${v} (${new Date(got.createdAt).toLocaleString()}); it is saved as the newest version once edited or run.` });
    } catch (e) {
      onNotice({ kind: 'error', text: `Could not open version ${v}: ${errorMessage(e)}` });
    }
  };
  const doc = () => saveableDoc(useNotebookStore.getState().doc());

  return (
    <div className="nb-toolbar" role="toolbar" aria-label="Notebook">
      <button type="button" className="primary" onClick={kernel.runAll} disabled={!trusted} title={trusted ? 'Run every cell in dependency order' : 'Trust the notebook first (the banner below)'}>
        ▶ Run all
      </button>
      <button type="button" onClick={kernel.interrupt} disabled={!running && kstatus !== 'busy'} data-testid="nb-interrupt" title="Stop the running cell (and its training)">
        ■ Interrupt
      </button>
      <span className={`badge nb-kernel nb-kernel-${kstatus}`} data-testid="nb-kernel-status" title="Kernel (a Web Worker running your cells)">
        kernel {kstatus}
      </span>
      <span className="nb-sep" />
      <select aria-label="backend" value={backend} onChange={(e) => onBackend(e.target.value as BackendChoice)} data-testid="nb-backend-select">
        {CHOICES.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <span className="small mono nb-backend" data-testid="nb-backend" title={active ? `${active.name} · ${active.adapter}` : 'the kernel has not started a backend yet'}>
        {active ? `${active.name} · ${active.adapter}` : 'starting backend…'}
      </span>
      <span className="nb-grow" />
      <span className={`small nb-save nb-save-${saveState}`} data-testid="nb-save-status" title={saveError ?? undefined}>
        {saveLabel(saveState, version)}
      </span>
      <select
        aria-label="notebook version"
        value=""
        onFocus={() => setPicking(true)}
        onMouseDown={() => setPicking(true)}
        onChange={(e) => e.target.value && void openVersion(Number(e.target.value))}
        data-testid="nb-versions"
      >
        <option value="">{version ? `v${version}` : 'versions'}</option>
        {(versions.data ?? []).map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} · {new Date(v.createdAt).toLocaleString()}
          </option>
        ))}
      </select>
      <span className="nb-sep" />
      <FilePickButton
        type="button"
        data-testid="nb-import"
        title="Import a .ipynb notebook or a .ts file with // %% markers"
        accept=".ipynb,.ts,.json"
        inputTestId="nb-import-file"
        onFile={(f) => void onImport(f)}
      >
        Import
      </FilePickButton>
      <button type="button" onClick={() => exportIpynb(projectName, doc())} data-testid="nb-export-ipynb" title="Download as a Jupyter notebook (nbformat 4)">
        .ipynb
      </button>
      <button type="button" onClick={() => exportScript(projectName, doc())} data-testid="nb-export-ts" title="Download as a .ts file with // %% cell markers">
        .ts
      </button>
      <ShareButton projectName={projectName} target={{ kind: 'notebook', id: version ?? 0 }} what={version ? `notebook v${version}` : 'the notebook'} disabledReason={version ? undefined : 'The notebook is shared as a saved version: edit or run it first'} />
    </div>
  );
}
