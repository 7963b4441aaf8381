import { EndpointsPage } from '../../../../components/endpoints/EndpointsPage';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <EndpointsPage project={decodeURIComponent(name)} />;
}
