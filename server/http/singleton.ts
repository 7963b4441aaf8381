/**
 * One API per process for Next's route files (`next dev` / `next start`), opened lazily from the
 * environment on the first request. PGlite allows one process per data directory, so run either
 * `npm start` (server/main.ts — the supported way) or `next dev`, never both on one `.data`.
 */
// Next's route files import this module; server-only makes a client component that does so fail
// the build (it is empty under the react-server condition Next uses for route handlers).
import 'server-only';
import { openApiRuntime, type ApiRuntime } from './runtime';

// Kept on globalThis so Next's dev-mode module reloads reuse the open database instead of
// opening PGlite a second time in the same process.
const holder = globalThis as typeof globalThis & { __kilnApiRuntime?: Promise<ApiRuntime> };

/** The process-wide API runtime, opened on first use. A failed open is retried on the next call. */
export function getApiRuntime(): Promise<ApiRuntime> {
  if (!holder.__kilnApiRuntime) {
    holder.__kilnApiRuntime = openApiRuntime().catch((e: unknown) => {
      holder.__kilnApiRuntime = undefined;
      throw e;
    });
  }
  return holder.__kilnApiRuntime;
}

/** What Next's route files export for every method: delegate to the shared API. */
export async function handleApiRequest(req: Request): Promise<Response> {
  let runtime: ApiRuntime;
  try {
    runtime = await getApiRuntime();
  } catch (e) {
    console.error(`kiln api: cannot open the database or store: ${(e as Error).stack ?? String(e)}`);
    return Response.json({ error: 'the server cannot open its database', code: 'UNAVAILABLE' }, { status: 503 });
  }
  return runtime.api.handleApi(req);
}
