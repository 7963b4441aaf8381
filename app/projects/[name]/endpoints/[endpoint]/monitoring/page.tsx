import { MonitoringPage } from '../../../../../../components/monitoring/MonitoringPage';

export default async function Page({ params }: { params: Promise<{ name: string; endpoint: string }> }) {
  const { name, endpoint } = await params;
  return <MonitoringPage project={decodeURIComponent(name)} endpoint={decodeURIComponent(endpoint)} />;
}
