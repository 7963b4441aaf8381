'use client';
import dynamic from 'next/dynamic';

// React Flow measures the DOM: render the designer in the browser only.
const CanvasWorkspace = dynamic(() => import('./CanvasWorkspace'), {
  ssr: false,
  loading: () => <div className="muted" style={{ padding: 24 }}>Loading the canvas…</div>,
});

export function CanvasPage({ projectName, graphHash }: { projectName: string; graphHash: string | null }) {
  return <CanvasWorkspace projectName={projectName} graphHash={graphHash} />;
}
