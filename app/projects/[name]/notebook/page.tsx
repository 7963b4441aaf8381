import { NotebookPage } from '../../../../components/notebook/NotebookPage';

export default async function Notebook({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <NotebookPage projectName={decodeURIComponent(name)} />;
}
