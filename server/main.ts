/**
 * Kiln's server process (`npm start` → `tsx server/main.ts --local-runner`): one Node http server
 * that answers `/api/*` with the framework-free API (server/http) and everything else with Next
 * (unless `--no-ui`), runs the lease reaper, and optionally starts one local `kiln runner` child
 * pointed at itself.
 *
 *   tsx server/main.ts [--port N] [--host H] [--data-dir DIR] [--no-ui] [--local-runner | --no-local-runner] [--serving-port 8501]
 *
 * With --local-runner it also starts one `kiln serving` child (the data plane, port 8501 or
 * --serving-port) that serves the registry's endpoints.
 *
 * When ready it prints exactly one line to stdout:
 *   kiln server listening on http://127.0.0.1:PORT (db: pglite <dir> | postgres)
 * SIGTERM / SIGINT: the local runner is stopped first (it hands its run back while the server
 * still answers), then the server stops accepting, finishes requests in flight and closes the
 * database. A second signal exits at once.
 */
import { resolve } from 'node:path';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './db/data-dir-lock';
import { fail, parseFlags, settings } from './server-flags';

/**
 * Only settings, flags and the data-directory lock are loaded before the checks: a second server
 * on one PGlite directory, or a bad flag, is refused at once instead of after the seconds it takes
 * to load the HTTP, auth and database modules.
 */
async function main(): Promise<void> {
  const config = settings();
  const flags = parseFlags(process.argv.slice(2), config);
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    try {
      lock = await lockDataDir(resolve(flags.dataDir));
    } catch (e) {
      fail(e instanceof DataDirLockedError ? e.message : `cannot open the database: ${(e as Error).message}`);
    }
  }
  const { runServer } = await import('./server-process');
  await runServer(config, flags, lock);
}

void main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
