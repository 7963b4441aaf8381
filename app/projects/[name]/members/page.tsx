import { ProjectAccessPage } from '../../../../components/projects/ProjectAccessPage';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <ProjectAccessPage project={decodeURIComponent(name)} />;
}
