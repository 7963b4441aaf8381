import { DataPage } from '../../../../components/data/DataPage';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <DataPage project={decodeURIComponent(name)} />;
}
