import { Suspense } from 'react';
import { ModelsPage } from '../../../../components/registry/ModelsPage';

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return (
    <Suspense fallback={<div className="page muted">Loading models…</div>}>
      <ModelsPage project={decodeURIComponent(name)} />
    </Suspense>
  );
}
