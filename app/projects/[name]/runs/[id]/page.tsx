import { RunDetail } from '../../../../../components/runs/RunDetail';

export default async function Page({ params }: { params: Promise<{ name: string; id: string }> }) {
  const { name, id } = await params;
  return <RunDetail key={id} project={decodeURIComponent(name)} runId={decodeURIComponent(id)} />;
}
