/** Delegates to Kiln's framework-free API (server/http), so `next dev` serves the same endpoints as `npm start`. */
import { handleApiRequest } from '../../../../server/http/singleton';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export { handleApiRequest as GET, handleApiRequest as HEAD };
