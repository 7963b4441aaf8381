import { ProjectsPage } from '../components/projects/ProjectsPage';

export default function Home() {
  return <ProjectsPage />;
}
