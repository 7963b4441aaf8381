/**
 * The runner process: registers with the control plane, then N claim loops each take a queued
 * run, train it (run-job.ts) and ask for the next. Stopping (SIGTERM, or the caller's signal)
 * stops claiming, lets each run in flight finish its epoch, hands it back to the queue and
 * resolves `done`.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { initNodeBackend, type NodeBackendRequest } from '../../lib/backend/node';
import type { BackendInfo } from '../../lib/backend/index';
import { KilnError } from '../../lib/errors';
import '../../lib/nodes/catalog';
import { KILN_VERSION } from '../cli/version';
import { RunnerAuthError, RunnerClient, type ClaimedRun, type Registration } from './client';
import { getConfig } from '../config';
import { DatasetCache } from './dataset-cache';
import { executeRun, type RunOutcome } from './run-job';

export interface StartRunnerOptions {
  /** control-plane base URL, e.g. http://127.0.0.1:3000 */
  server: string;
  /** runner token (`kiln_rt_…`) */
  token: string;
  backend: NodeBackendRequest;
  /** runs trained at the same time (claim loops) */
  concurrency: number;
  /** shown in the runners list (default: hostname-pid) */
  name?: string;
  /** aborting it stops the runner gracefully, as SIGTERM does */
  signal?: AbortSignal;
  /** one line per event (default: stderr) */
  log?: (line: string) => void;
  /** wait between claims on an empty queue (default 500 ms, ±25 % jitter) */
  pollMs?: number;
  /** how long the server may hold a claim open waiting for work (default 2 s) */
  claimWaitSeconds?: number;
  /** dataset cache folder (default: `KILN_RUNNER_CACHE` or <tmp>/kiln-runner-cache) */
  cacheDir?: string;
  /** the Vulkan drivers Dawn loads (default: `VK_ICD_FILENAMES`), for the webgpu backend's diagnostics */
  vulkanIcdFiles?: string;
  /** how long one request keeps retrying while the server is unreachable (default 120 s) */
  retryForMs?: number;
  /** told about every claim before training starts (tests and tracing) */
  onClaim?: (run: ClaimedRun) => void;
}

export interface RunnerSummary {
  /** outcome → number of runs that ended that way */
  outcomes: Record<RunOutcome, number>;
}

export interface RunnerHandle {
  runnerId: string;
  name: string;
  backend: BackendInfo;
  registration: Registration;
  /** graceful stop: no new claims; runs in flight are handed back after their current epoch */
  stop(): void;
  /** resolves when every loop has stopped; rejects on a fatal error (token refused) */
  done: Promise<RunnerSummary>;
}

/**
 * Starts a runner: initialises the tfjs backend once, registers, and starts `concurrency` claim
 * loops. Resolves once registered; `done` settles when the runner has stopped.
 * @throws RunnerAuthError when the server refuses the token; KilnError on bad options.
 */
export async function startRunner(o: StartRunnerOptions): Promise<RunnerHandle> {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 64) {
    throw new KilnError('BAD_OPTION', `--concurrency must be an integer from 1 to 64, got ${o.concurrency}`);
  }
  let url: URL;
  try {
    url = new URL(o.server);
  } catch {
    throw new KilnError('BAD_OPTION', `--server must be a URL such as http://127.0.0.1:3000, got "${o.server}"`);
  }
  if (!o.token) throw new KilnError('BAD_OPTION', 'a runner token is required (--token or KILN_RUNNER_TOKEN)');
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const log = o.log ?? ((line: string) => process.stderr.write(`kiln runner ${name}: ${line}\n`));
  const pollMs = o.pollMs ?? 500;
  /** long-poll window; short enough that a stopping runner's last claim returns soon */
  const CLAIM_WAIT_SECONDS = o.claimWaitSeconds ?? 2;

  const backend = await initNodeBackend(o.backend, { vulkanIcdFiles: o.vulkanIcdFiles ?? getConfig().vulkanIcdFiles });
  let warnedUnreachable = false;
  const client = new RunnerClient({
    server: url.origin + url.pathname.replace(/\/+$/, ''),
    token: o.token,
    ...(o.retryForMs !== undefined ? { retryForMs: o.retryForMs } : {}),
    onRetry: (what, n, reason) => {
      // One line per outage, not one per try.
      if (n === 1 && !warnedUnreachable) log(`${what} failed (${reason}); retrying with backoff`);
      if (n === 1) warnedUnreachable = true;
    },
  });
  const registration = await client.register({ name, backend: backend.name, device: backend.adapter, hostname: hostname(), concurrency: o.concurrency, version: KILN_VERSION });
  log(`registered as ${registration.runnerId} on ${backend.name} (${backend.adapter}), concurrency ${o.concurrency}, polling ${client.server}`);

  const cache = new DatasetCache(client, o.cacheDir ?? getConfig().runner.cacheDir);
  const stopping = new AbortController();
  const stop = () => {
    if (!stopping.signal.aborted) {
      log('stopping: no new claims; runs in flight are handed back after their current epoch');
      stopping.abort();
    }
  };
  if (o.signal?.aborted) stop();
  o.signal?.addEventListener('abort', stop, { once: true });

  const outcomes: Record<RunOutcome, number> = { succeeded: 0, failed: 0, cancelled: 0, released: 0, abandoned: 0 };
  const ctx = { client, cache, backend, heartbeatSeconds: registration.heartbeatSeconds, log };
  let fatal: unknown = null;

  const loop = async (): Promise<void> => {
    let claimStarted = 0;
    while (!stopping.signal.aborted) {
      let run: ClaimedRun | null;
      try {
        claimStarted = Date.now();
        run = await client.claim([backend.name], CLAIM_WAIT_SECONDS);
        warnedUnreachable = false;
      } catch (e) {
        if (e instanceof RunnerAuthError) throw e;
        log(`claim failed: ${(e as Error).message}`);
        await sleep(pollMs * 4, undefined, { signal: stopping.signal }).catch(() => {});
        continue;
      }
      // The server long-polls; only a server that answered at once (older, or shutting down) needs a pause.
      if (!run && Date.now() - claimStarted < pollMs) {
        const jitter = pollMs * (0.75 + Math.random() * 0.5);
        await sleep(jitter, undefined, { signal: stopping.signal }).catch(() => {});
        continue;
      }
      if (!run) continue;
      o.onClaim?.(run);
      // A claim answered after the stop began is handed straight back (executeRun releases it).
      const outcome = await executeRun(run, ctx, stopping.signal);
      outcomes[outcome]++;
    }
  };

  const loops = Array.from({ length: o.concurrency }, () =>
    loop().catch((e) => {
      // A refused token ends every loop: stop the others gracefully and report it.
      fatal ??= e;
      stop();
    }),
  );
  const done = Promise.all(loops).then(() => {
    o.signal?.removeEventListener('abort', stop);
    if (fatal) throw fatal;
    log(`stopped (${Object.entries(outcomes).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'no runs'})`);
    return { outcomes };
  });
  return { runnerId: registration.runnerId, name, backend, registration, stop, done };
}
