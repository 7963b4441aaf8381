import { KilnError } from '../../lib/errors';
import type { NodeBackendRequest } from '../../lib/backend/node';
import { appendFileSync } from 'node:fs';
import { getConfig, type KilnConfig } from '../config';
import { RunnerAuthError, type ClaimedRun } from '../runner/client';
import { startRunner } from '../runner/runner';

export interface RunnerCommandOptions {
  server: string;
  token?: string;
  backend: string;
  concurrency: string;
  name?: string;
}

interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * `kiln runner`: trains queued runs until SIGTERM/SIGINT. The first signal stops claiming and
 * hands runs in flight back after their current epoch (exit 0); a second one exits at once.
 */
export async function runnerCommand(o: RunnerCommandOptions, io: IO, config: KilnConfig = getConfig()): Promise<number> {
  const token = o.token ?? config.runner.token;
  if (!token) throw new KilnError('BAD_OPTION', 'a runner token is required: pass --token T or set KILN_RUNNER_TOKEN');
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(o.backend)) throw new KilnError('BAD_OPTION', `--backend must be webgpu, wasm, cpu or auto, got "${o.backend}"`);
  const concurrency = Number(o.concurrency);
  if (!/^\d+$/.test(o.concurrency) || !Number.isInteger(concurrency) || concurrency < 1) throw new KilnError('BAD_OPTION', `--concurrency must be a positive integer, got "${o.concurrency}"`);

  const claimLog = config.runner.claimLog;
  const prefix = o.name ? `kiln runner ${o.name}: ` : 'kiln runner: ';
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) ac.abort();
    else {
      io.err(`kiln runner: ${sig} again, exiting now\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const runner = await startRunner({
      server: o.server,
      token,
      backend: o.backend as NodeBackendRequest,
      concurrency,
      cacheDir: config.runner.cacheDir,
      ...(config.vulkanIcdFiles ? { vulkanIcdFiles: config.vulkanIcdFiles } : {}),
      ...(o.name ? { name: o.name } : {}),
      signal: ac.signal,
      // KILN_RUNNER_CLAIM_LOG=FILE: one JSON line per claim (run id, attempt, attempt token), for
      // tracing and for fault tests that replay a dead runner's late calls.
      ...(claimLog ? { onClaim: (r: ClaimedRun) => appendFileSync(claimLog, `${JSON.stringify({ runId: r.id, attempt: r.attempt, attemptToken: r.attemptToken, at: new Date().toISOString() })}\n`) } : {}),
      log: (line) => io.err(`${prefix}${line}\n`),
    });
    await runner.done;
    return 0;
  } catch (e) {
    // A refused token or an unreachable server is the user's to fix: one line, no stack.
    if (e instanceof RunnerAuthError || (e instanceof Error && /cannot reach/.test(e.message))) throw new KilnError('RUNNER_FAILED', e.message);
    throw e;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
