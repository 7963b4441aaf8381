import { RunsPage } from '../../../../components/runs/RunsPage';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <RunsPage project={decodeURIComponent(name)} />;
}
