import { AdminPage } from '../../components/admin/AdminPage';

export default function Page() {
  return <AdminPage />;
}
