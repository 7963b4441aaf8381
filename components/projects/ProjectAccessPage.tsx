'use client';
import { useQuery } from '@tanstack/react-query';
import { trpc } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';
import { MembersPanel } from './MembersPanel';
import { ShareLinksPanel } from './ShareLinksPanel';

/** A project's people and links: members with their roles, and its read-only share links. */
export function ProjectAccessPage({ project }: { project: string }) {
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => trpc.projects.list.query() });
  const me = useQuery({ queryKey: ['me'], queryFn: () => trpc.account.me.query() });
  const myRole = projects.data?.find((p) => p.name === project)?.role ?? null;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Members and sharing</h1>
        <p className="muted">Who can see and change {project}, and the links that show parts of it to anyone.</p>
      </div>
      <ErrorAlert error={projects.error ?? me.error} />
      {projects.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <MembersPanel project={project} myRole={myRole} />
          <ShareLinksPanel project={project} myEmail={me.data?.email ?? null} myRole={myRole} />
        </>
      )}
    </div>
  );
}
