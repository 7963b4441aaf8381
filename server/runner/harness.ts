/**
 * Process harness for the control plane's end-to-end tests and the queue benchmark: starts the
 * real server (`server/main.ts --no-ui`) and real `kiln runner` / `kiln submit` processes, waits
 * for their ready lines, and talks to the server over tRPC like the studio does.
 */
import { createServer as createNetServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { TRPC_MAX_BATCH } from '../http/trpc-limits';
import { dataChain, trainEdges } from '../../lib/graph/wiring';
import type { AppRouter } from '../trpc/root';

export const REPO = join(import.meta.dirname, '../..');
export const KILN = join(REPO, 'server/cli/kiln.mjs');

/** A spawned process with its output kept, so a failing test can show what happened. */
export class Proc {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    args: string[],
    env: Record<string, string | undefined>,
  ) {
    this.child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b: Buffer) => {
      this.output += b.toString();
      // Bounded: a long test must not hold megabytes of runner logs.
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /** Resolves with the first match of `re` in the output; rejects on exit or timeout. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.output.slice(-3000)}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.label}: no ${re} within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const r = await this.exited;
      clearTimeout(t);
      return r;
    }
    return this.exited;
  }

  kill9(): void {
    this.child.kill('SIGKILL');
  }
}

export interface ServerOptions {
  dataDir: string;
  databaseUrl?: string;
  /** 0 = any free port */
  port?: number;
  env?: Record<string, string>;
}

export interface StartedServer {
  proc: Proc;
  url: string;
  port: number;
  /** the owner's personal access token (KILN_BOOTSTRAP_TOKEN) */
  token: string;
}

/**
 * The owner's token every test server starts with (`KILN_BOOTSTRAP_TOKEN` on first start), so
 * tests and the CLI acceptance tests run authenticated, as CI pipelines do.
 */
export const TEST_OWNER_TOKEN = 'kiln_pat_test-owner-token-not-secret-0123456789';

/** A TCP port free on 127.0.0.1 right now (for a child that must be told its port up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `server/main.ts --no-ui` and waits for its `listening on` line. */
export async function startServer(o: ServerOptions): Promise<StartedServer> {
  const proc = new Proc('server', ['--import', 'tsx', 'server/main.ts', '--no-ui', '--port', String(o.port ?? 0)], {
    KILN_DATA_DIR: o.dataDir,
    DATABASE_URL: o.databaseUrl ?? '',
    KILN_BOOTSTRAP_TOKEN: TEST_OWNER_TOKEN,
    ...o.env,
  });
  const m = await proc.waitFor(/listening on (http:\/\/[^\s]+?):(\d+)/, 90_000);
  const port = Number(m[2]);
  return { proc, url: `http://127.0.0.1:${port}`, port, token: o.env?.KILN_BOOTSTRAP_TOKEN ?? TEST_OWNER_TOKEN };
}

/** A tRPC client for the server, typed by the app router, sending `token` (default: the test owner's). */
export function trpcClient(url: string, token: string | null = TEST_OWNER_TOKEN) {
  // One HTTP request per TRPC_MAX_BATCH calls: the server refuses larger batches.
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${url}/api/trpc`, maxItems: TRPC_MAX_BATCH, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

/** Mints a runner token through the API (as an operator would from the studio). */
export async function mintRunnerToken(url: string, name: string): Promise<string> {
  const r = await trpcClient(url).runners.createToken.mutate({ name });
  return r.token;
}

export interface RunnerProcOptions {
  url: string;
  token: string;
  name: string;
  backend?: string;
  concurrency?: number;
  cacheDir: string;
  /** KILN_RUNNER_CLAIM_LOG file */
  claimLog?: string;
}

/** Starts `kiln runner` and waits until it has registered. */
export async function startRunnerProc(o: RunnerProcOptions): Promise<Proc> {
  const proc = new Proc(
    `runner ${o.name}`,
    [KILN, 'runner', '--server', o.url, '--token', o.token, '--backend', o.backend ?? 'cpu', '--concurrency', String(o.concurrency ?? 1), '--name', o.name],
    { KILN_RUNNER_CACHE: o.cacheDir, ...(o.claimLog ? { KILN_RUNNER_CLAIM_LOG: o.claimLog } : {}) },
  );
  await proc.waitFor(/registered as /, 90_000);
  return proc;
}

/** Runs `kiln <args>` to the end. */
export async function kiln(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [KILN, ...args], { cwd: REPO, env: { ...process.env, KILN_TOKEN: TEST_OWNER_TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * A regression graph on cars (an input dataset named `cars`): impute, one-hot, scale, then a
 * linear model or an MLP trained for `epochs` epochs without early stopping.
 */
export function carsGraph(epochs: number, model: 'linear' | 'mlp' = 'linear', name = `cars ${model} ${epochs} epochs`) {
  const modelNode =
    model === 'linear'
      ? { id: 'model', kind: 'linear_regression', params: {} }
      : { id: 'model', kind: 'mlp', params: { layers: [{ units: 64, activation: 'relu', dropout: 0 }, { units: 64, activation: 'relu', dropout: 0 }] } };
  return {
    version: 1,
    name,
    seed: 7,
    nodes: [
      { id: 'data', kind: 'dataset', params: { source: 'input', name: 'cars', target: 'Miles_per_Gallon' } },
      { id: 'drop', kind: 'drop_columns', params: { columns: ['Name', 'Year'] } },
      { id: 'split', kind: 'split', params: { testFraction: 0.2, seed: 3 } },
      { id: 'impute', kind: 'impute', params: { strategy: 'mean' } },
      { id: 'onehot', kind: 'one_hot', params: { columns: ['Origin'] } },
      { id: 'scale', kind: 'standard_scale', params: {} },
      modelNode,
      { id: 'train', kind: 'train', params: { epochs, batchSize: 32, learningRate: 0.03, validationFraction: 0.1, patience: 0 } },
      { id: 'evaluate', kind: 'evaluate', params: { gates: ['r2 >= 0.3'] } },
    ],
    edges: [...dataChain(['data', 'drop', 'split', 'impute', 'onehot', 'scale']), ...trainEdges({ data: 'scale', model: 'model', train: 'train', evaluate: 'evaluate' })],
  };
}

/** Polls until every run is finished (or the timeout passes); returns the runs as last seen. */
export async function waitForRuns(url: string, ids: string[], timeoutMs: number) {
  const trpc = trpcClient(url);
  const t0 = Date.now();
  for (;;) {
    const runs = await Promise.all(ids.map((id) => trpc.runs.get.query({ id })));
    if (runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status))) return runs;
    if (Date.now() - t0 > timeoutMs) throw new Error(`runs not finished after ${timeoutMs} ms: ${runs.map((r) => `${r.id.slice(0, 8)} ${r.status}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
