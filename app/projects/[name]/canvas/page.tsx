import { CanvasPage } from '../../../../components/canvas/CanvasPage';

export default async function Canvas({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ graph?: string | string[] }> }) {
  const { name } = await params;
  const { graph } = await searchParams;
  // A malformed hash reaches the server, whose error names it.
  const hash = typeof graph === 'string' && graph ? graph : null;
  return <CanvasPage projectName={decodeURIComponent(name)} graphHash={hash} />;
}
