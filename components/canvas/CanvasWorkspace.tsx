'use client';
import { ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import Link from 'next/link';
import { useState } from 'react';
import { RunPanel } from '../run/RunPanel';
import './canvas.css';
import { FlowCanvas } from './FlowCanvas';
import { Inspector } from './Inspector';
import { Palette } from './Palette';
import { Notice, Toolbar } from './Toolbar';
import { useLoadGraph } from './useLoadGraph';

/** The pipeline designer: palette, canvas, inspector and the run dock. */
export default function CanvasWorkspace({ projectName, graphHash }: { projectName: string; graphHash: string | null }) {
  const load = useLoadGraph(projectName, graphHash);
  const [dockOpen, setDockOpen] = useState(true);
  if (load.status === 'loading') return <div className="kc-loading muted">Opening the pipeline…</div>;
  if (load.status === 'error') {
    return (
      <div className="page">
        <p className="error" role="alert" data-testid="canvas-load-error">
          {load.message}
        </p>
        <Link href="/">Back to projects</Link>
      </div>
    );
  }
  const base = `/projects/${encodeURIComponent(projectName)}/canvas`;
  return (
    <ReactFlowProvider>
      <div className={`kc-root${dockOpen ? '' : ' kc-dock-closed'}`}>
        <Palette />
        <section className="kc-center" aria-label="Pipeline canvas">
          <Toolbar />
          {load.version ? (
            <div className="kc-banner small" data-testid="version-banner">
              Opened version <code>{load.version.slice(0, 8)}</code>. Edits are saved as the project’s working copy. <Link href={base}>Back to the working copy</Link>
            </div>
          ) : null}
          <div className="kc-stage">
            <FlowCanvas />
            <Notice />
          </div>
        </section>
        <Inspector />
        <section className="kc-dock" aria-label="Run">
          <button type="button" className="kc-dock-toggle" aria-expanded={dockOpen} aria-controls="kc-dock-body" onClick={() => setDockOpen((o) => !o)}>
            {dockOpen ? '▾' : '▸'} Run
          </button>
          <div id="kc-dock-body" className="kc-dock-body" hidden={!dockOpen}>
            <RunPanel projectName={projectName} />
          </div>
        </section>
      </div>
    </ReactFlowProvider>
  );
}
