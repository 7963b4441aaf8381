'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const TABS = [
  { slug: 'canvas', label: 'Canvas' },
  { slug: 'notebook', label: 'Notebook' },
  { slug: 'data', label: 'Data' },
  { slug: 'runs', label: 'Runs' },
  { slug: 'models', label: 'Models' },
  { slug: 'endpoints', label: 'Endpoints' },
  { slug: 'members', label: 'Members' },
] as const;

/** The project's tabs; the current one is marked for screen readers too. */
export function WorkspaceTabs({ project }: { project: string }) {
  const path = usePathname();
  const base = `/projects/${encodeURIComponent(project)}`;
  return (
    <nav className="tabs" aria-label="Project">
      <span className="project-name" title={project}>
        {project}
      </span>
      {TABS.map((t) => {
        const href = `${base}/${t.slug}`;
        const current = path === href || path.startsWith(`${href}/`);
        return (
          <Link key={t.slug} href={href} className={current ? 'tab current' : 'tab'} aria-current={current ? 'page' : undefined}>
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
