import { SharedPage } from '../../../components/share/SharedPage';

export default async function Page({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <SharedPage token={decodeURIComponent(token)} />;
}
