import { redirect } from 'next/navigation';

export default async function ProjectIndex({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  redirect(`/projects/${name}/canvas`);
}
