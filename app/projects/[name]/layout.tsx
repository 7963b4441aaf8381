import type { ReactNode } from 'react';
import { WorkspaceTabs } from '../../../components/studio/WorkspaceTabs';

export default async function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ name: string }> }) {
  const { name } = await params;
  const project = decodeURIComponent(name);
  return (
    <div className="workspace">
      <WorkspaceTabs project={project} />
      <div className="workspace-body">{children}</div>
    </div>
  );
}
