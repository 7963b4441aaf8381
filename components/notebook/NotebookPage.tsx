'use client';
import dynamic from 'next/dynamic';

// Monaco and the kernel worker live in the browser only; the notebook's code is a separate chunk
// that the projects page and the canvas never load.
const NotebookWorkspace = dynamic(() => import('./NotebookWorkspace'), {
  ssr: false,
  loading: () => <div className="muted" style={{ padding: 24 }}>Loading the notebook…</div>,
});

export function NotebookPage({ projectName }: { projectName: string }) {
  return <NotebookWorkspace projectName={projectName} />;
}
