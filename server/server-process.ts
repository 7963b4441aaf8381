/**
 * The server process itself, loaded by server/main.ts once settings, flags and the data
 * directory's lock are settled (this module's imports take seconds to load).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunnerToken, listRunners, revokeRunner } from './jobs/runners';
import { nodeHandler } from './http/node-adapter';
import { allowedHosts, hostName, refuseBrowserRequest, SECURITY_HEADERS } from './http/browser-guard';
import { studioOrigins } from './http/config';
import { withCsp } from './http/csp';
import { controlPlaneServerOptions } from './http/server-options';
import { openApiRuntime, type ApiRuntime } from './http/runtime';
import { bootstrapOwner } from './auth/bootstrap';
import { signInUrl } from './auth/links';
import type { KilnAuth } from './auth/auth';
import { seedSampleProject } from './db/samples';
import { DataDirLockedError, type DataDirLock } from './db/data-dir-lock';
import { fail, type ServerFlags } from './server-flags';
import { SERVING_NODE_FLAGS } from './serving/node-flags';
import { cappedLog } from '../lib/log-line';
import { childEnv, DEFAULT_SERVING_URL, type KilnConfig } from './config';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOCAL_RUNNER_NAME = 'kiln-local-runner';
const LOCAL_SERVING_NAME = 'kiln-local-serving';
/**
 * Starts (and keeps alive) one `kiln` child with a freshly minted token: the local runner
 * (`kiln runner`) or the local serving process (`kiln serving`).
 */
function superviseLocalChild(what: 'runner' | 'serving', args: string[], tokenEnv: string, token: string, log: (m: string) => void, nodeArgs: readonly string[] = [], env: Record<string, string> = {}) {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let startedAt = 0;
  const start = () => {
    startedAt = Date.now();
    // The token goes through the environment, not argv, so `ps` does not show it.
    child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'server/cli/kiln.mjs'), ...args], {
      cwd: ROOT,
      env: childEnv({ ...env, [tokenEnv]: token }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', (e) => log(`kiln server: local ${what} could not start: ${e.message}`));
    child.on('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      // A runner that keeps dying right away is not restarted forever.
      if (Date.now() - startedAt > 60_000) restarts = 0;
      if (++restarts > 5) {
        log(`kiln server: local ${what} exited (${signal ?? code}) ${restarts - 1} times in a row; not restarting it`);
        return;
      }
      log(`kiln server: local ${what} exited (${signal ?? code}); restarting in ${restarts * 2} s`);
      setTimeout(() => !stopping && start(), restarts * 2000).unref();
    });
  };
  start();
  return {
    /** Sends SIGTERM and waits (at most `ms`) for the runner to hand its run back and exit. */
    async stop(ms: number): Promise<void> {
      stopping = true;
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Paths any visitor may load: the sign-in page, share links, Next's assets and public files. */
const OPEN_PAGES = /^\/(login|share\/[^/]+|_next\/.*|favicon\.ico|tfjs\/.*|notebook\/.*|monaco\/.*|robots\.txt)$/;

/** Where a request for a studio page goes instead (the sign-in page), or null to serve it. */
async function pageGate(auth: KilnAuth, req: IncomingMessage): Promise<string | null> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (OPEN_PAGES.test(path) || /\.[a-z0-9]{2,5}$/i.test(path)) return null;
  if (req.method !== 'GET' && req.method !== 'HEAD') return null;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const session = /(^|;\s*)(__Secure-)?kiln\.session_token=/.test(req.headers.cookie ?? '') ? await auth.api.getSession({ headers }).catch(() => null) : null;
  return session ? null : `/login?next=${encodeURIComponent(req.url ?? '/')}`;
}

/** First start: the owner account, and how they get in (a one-time link, or KILN_BOOTSTRAP_TOKEN). */
async function firstStart(runtime: ApiRuntime, settings: KilnConfig['auth'], base: string, log: (m: string) => void): Promise<void> {
  const r = await bootstrapOwner(runtime.db.db, { bootstrapToken: settings.bootstrapToken });
  if (r.kind === 'token') log('kiln server: created the owner account (owner@kiln.local); KILN_BOOTSTRAP_TOKEN is its personal access token');
  if (r.kind === 'link') {
    log(`kiln server: ${r.created ? 'created the owner account' : 'the owner has not signed in yet'}; open this link once to sign in and set a password:`);
    process.stdout.write(`    ${signInUrl(base, r.token)}\n`);
  }
}

/** Runs the server with settings and flags already read, and the data directory already locked (PGlite). */
export async function runServer(config: KilnConfig, flags: ServerFlags, lock: DataDirLock | undefined): Promise<void> {
  // Every line the server logs is capped (lib/log-line.ts): messages may carry what users sent.
  const log = cappedLog((m: string) => process.stderr.write(`${m}\n`));
  const shownHost = flags.host === '0.0.0.0' || flags.host === '::' ? '127.0.0.1' : flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  // Endpoint URLs and snippets the studio shows point at the local serving process, if any.
  const servingUrl = config.serving.url ?? (flags.localRunner ? `http://${shownHost === '127.0.0.1' ? 'localhost' : shownHost}:${flags.servingPort}` : DEFAULT_SERVING_URL);
  const runtime = await openApiRuntime({ config, dataDir: flags.dataDir, servingUrl, log, ...(lock ? { lock } : {}) }).catch((e: unknown) =>
    // A second server on one PGlite directory: one line naming the directory and its holder.
    fail(e instanceof DataDirLockedError ? e.message : `cannot open the database: ${(e as Error).message}`),
  );
  const took = runtime.db.lock?.tookOverFrom;
  if (took) log(`kiln server: took over data directory ${runtime.dataDir} from pid ${took.pid} on ${took.host}, which ended without releasing it`);
  const seeded = await seedSampleProject(runtime.db.db).catch((e: unknown) => log(`kiln server: sample project not created: ${(e as Error).message}`));
  if (seeded) log(`kiln server: created the sample project "${seeded}"`);
  const apiListener = nodeHandler((req) => runtime.api.handleApi(req));

  let uiListener: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  if (flags.ui) {
    const { default: next } = await import('next');
    const app = next({ dev: false, dir: ROOT });
    try {
      await app.prepare();
    } catch (e) {
      fail(`cannot start the studio (${(e as Error).message.split('\n')[0]}); run \`npm run build\` first, or pass --no-ui`);
    }
    const handle = app.getRequestHandler();
    uiListener = withCsp(handle, { servingUrl });
  }

  const hosts = allowedHosts(flags.host, config.allowedHosts);
  // Slow clients are cut off (KILN_HEADERS_TIMEOUT_SECONDS, KILN_REQUEST_TIMEOUT_SECONDS): with no
  // request timeout, a client trickling an upload held its connection and memory forever.
  const server = createServer(controlPlaneServerOptions(config.http), (req, res) => {
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    // Before anything reads the request: a foreign Host (DNS rebinding) or a cross-origin write is refused here.
    const refused = refuseBrowserRequest(req.method, req.headers, hosts);
    if (refused) {
      req.resume();
      res.writeHead(refused.status, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' });
      res.end(JSON.stringify({ error: refused.message, code: refused.code }));
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api' || path.startsWith('/api/') || !uiListener) {
      void apiListener(req, res);
      return;
    }
    const ui = uiListener;
    // Studio pages need a signed-in user; the sign-in page, share links and static assets do not.
    pageGate(runtime.auth.auth, req)
      .then((redirect) => {
        if (redirect) {
          res.writeHead(302, { location: redirect, 'cache-control': 'no-store' });
          res.end();
          return;
        }
        return ui(req, res);
      })
      .catch((e: unknown) => {
      log(`kiln server: ui: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal server error');
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(flags.port, flags.host, () => resolveListen());
  }).catch((e: unknown) => fail(`cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : flags.port;
  const url = `http://${shownHost}:${port}`;
  // Serving answers browser calls from the studio's own pages (its "try it" form), on this port.
  runtime.config.studioOrigins = studioOrigins(hosts === 'any' ? ['localhost', '127.0.0.1', '::1', hostName(shownHost)] : hosts, port);

  let runner: ReturnType<typeof superviseLocalChild> | undefined;
  let serving: ReturnType<typeof superviseLocalChild> | undefined;
  if (flags.localRunner) {
    const db = runtime.db.db;
    // Tokens of local runners from earlier starts are useless now; revoke them so they do not pile up.
    for (const r of await listRunners(db)) if ((r.name === LOCAL_RUNNER_NAME || r.name === LOCAL_SERVING_NAME) && !r.revokedAt) await revokeRunner(db, r.id);
    const { token } = await createRunnerToken(db, LOCAL_RUNNER_NAME);
    runner = superviseLocalChild('runner', ['runner', '--server', url], 'KILN_RUNNER_TOKEN', token, log);
    // The serving data plane beside it (docs/serving.md), with its own machine token of the same kind.
    const servingToken = (await createRunnerToken(db, LOCAL_SERVING_NAME, 'serving')).token;
    // Started with the serving V8 flags directly, so `kiln serving` need not re-exec itself. No
    // load balancer routes to it, so its drain needs no grace period (unless one is set).
    const grace: Record<string, string> = config.serving.drainGraceMs === undefined ? { KILN_SERVING_DRAIN_GRACE_MS: '0' } : {};
    serving = superviseLocalChild('serving', ['serving', '--server', url, '--port', String(flags.servingPort)], 'KILN_SERVING_TOKEN', servingToken, log, SERVING_NODE_FLAGS, grace);
  }

  const dbDir = join(runtime.dataDir, 'db');
  const relDir = relative(process.cwd(), dbDir);
  const dbDesc = runtime.db.kind === 'pglite' ? `pglite ${relDir && !relDir.startsWith('..') ? relDir : dbDir}` : 'postgres';
  process.stdout.write(`kiln server listening on ${url} (db: ${dbDesc})\n`);
  await firstStart(runtime, config.auth, config.auth.publicUrl ?? url, log);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      log(`kiln server: ${signal} again, exiting now`);
      process.exit(1);
    }
    shuttingDown = true;
    log(`kiln server: ${signal}, shutting down`);
    // The runner first: it finishes its epoch and hands the run back through this server.
    await Promise.all([runner?.stop(60_000), serving?.stop(30_000)]);
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    // Live-event streams never end on their own; give requests in flight a moment, then cut them.
    const cut = setTimeout(() => server.closeAllConnections(), 5_000);
    await closed;
    clearTimeout(cut);
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

