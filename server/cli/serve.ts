/**
 * `kiln serve DIR` (one package, no control plane) and `kiln serving --server URL` (endpoints
 * from the registry): the serving data plane in the foreground until SIGTERM/SIGINT, which
 * drains it (`/readyz` → 503 at once, keep accepting for `KILN_SERVING_DRAIN_GRACE_MS` with
 * `Connection: close`, then stop accepting and finish requests in flight) before exiting 0.
 */
import { spawn } from 'node:child_process';
import { initNodeBackend, type NodeBackendRequest } from '../../lib/backend/node';
import { KilnError } from '../../lib/errors';
import { childEnv, getConfig, type KilnConfig } from '../config';
import { createServingServer, type ServingServer, type ServingServerOptions } from '../serving/server';
import { ControlPlaneSource, DirSource, type PackageSource } from '../serving/sources';
import type { BatchMode } from '../serving/loaded-version';
import { SERVING_NODE_FLAGS } from '../serving/node-flags';

interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Options both commands share (commander passes strings). */
export interface ServingFlags {
  port: string;
  host: string;
  maxConcurrency: string;
  maxInstances: string;
  maxBodyBytes: string;
  timeoutMs: string;
  batch: string;
  backend: string;
  compiled: boolean;
}

export interface ServeOptions extends ServingFlags {
  name?: string;
}

export interface ServingCommandOptions extends ServingFlags {
  server: string;
  token?: string;
  pollMs: string;
}

/**
 * Runs this very command again in a child Node with {@link SERVING_NODE_FLAGS}, unless this
 * process has them, forwarding signals and the exit code; resolves to that code, or to
 * `undefined` when this process should serve itself.
 *
 * Why: see server/serving/node-flags.ts. V8 sizes new space at start-up, so
 * `v8.setFlagsFromString` is too late (measured: no effect); `KILN_SERVE_NO_REEXEC=1` serves in
 * this process regardless.
 */
async function reexecWithServingFlags(io: IO, config: KilnConfig): Promise<number | undefined> {
  const has = (f: string) => process.execArgv.includes(f) || config.system.nodeOptions.split(/\s+/).includes(f);
  if (config.serving.noReexec || SERVING_NODE_FLAGS.every(has)) return undefined;
  // The IPC channel only tells the child when this process is gone (even by SIGKILL): it drains then.
  const child = spawn(process.execPath, [...SERVING_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: childEnv({ KILN_SERVE_NO_REEXEC: '1' }),
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise<number>((resolve) => {
    child.on('error', (e) => {
      io.err(`kiln: cannot start the serving process (${e.message})\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}

function int(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new KilnError('BAD_OPTION', `--${flag} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function serverOptions(o: ServingFlags, source: PackageSource, io: IO, config: KilnConfig): ServingServerOptions {
  if (!['auto', 'on', 'off'].includes(o.batch)) throw new KilnError('BAD_OPTION', `--batch must be auto, on or off, got "${o.batch}"`);
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(o.backend)) throw new KilnError('BAD_OPTION', `--backend must be webgpu, wasm, cpu or auto, got "${o.backend}"`);
  return {
    source,
    port: int('port', o.port, 0, 65535),
    host: o.host,
    maxConcurrency: int('max-concurrency', o.maxConcurrency, 1),
    maxInstances: int('max-instances', o.maxInstances, 1),
    maxBodyBytes: int('max-body-bytes', o.maxBodyBytes, 1),
    requestTimeoutMs: int('timeout-ms', o.timeoutMs, 1),
    batch: o.batch as BatchMode,
    compiled: o.compiled,
    logSample: config.serving.logSample,
    ...(config.serving.maxInstancesInFlight !== undefined ? { maxInstancesInFlight: config.serving.maxInstancesInFlight } : {}),
    maxQueueWaitMs: config.serving.maxQueueWaitMs,
    sliceMs: config.serving.sliceMs,
    ...(config.serving.drainGraceMs !== undefined ? { drainGraceMs: config.serving.drainGraceMs } : {}),
    ...(config.serving.metricsToken ? { metricsToken: config.serving.metricsToken } : {}),
    ...(config.serving.adminPort !== undefined ? { adminPort: config.serving.adminPort, adminHost: config.serving.adminHost } : {}),
    log: (line) => io.err(`${line}\n`),
  };
}

/** Runs until the first SIGTERM/SIGINT, then drains; a second signal exits at once. */
async function runUntilSignal(server: ServingServer, label: string, io: IO): Promise<number> {
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) {
        io.err(`${label}: ${sig} again, exiting now\n`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      io.err(`${label}: ${sig}, draining ${server.inFlight} request(s) in flight\n`);
      void server.drain().then(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Started by reexecWithServingFlags: a parent that is gone is a SIGTERM.
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', () => onSignal('SIGTERM'));
    }
  });
  io.err(`${label}: drained, exiting\n`);
  // Nothing of ours is left running; a stray handle (a tfjs backend's) must not keep the process up.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

/** `kiln serve DIR [--name NAME] [--port N]`: prints one line when ready. */
export async function serveCommand(dir: string, o: ServeOptions, io: IO, config: KilnConfig = getConfig()): Promise<number> {
  const code = await reexecWithServingFlags(io, config);
  if (code !== undefined) return code;
  const source = new DirSource(dir, o.name);
  const opts = serverOptions(o, source, io, config);
  await initNodeBackend(o.backend as NodeBackendRequest, { vulkanIcdFiles: config.vulkanIcdFiles });
  const server = await createServingServer(opts);
  io.out(`kiln serve: ${source.name} v1 listening on ${server.url}\n`);
  if (server.adminUrl) io.err(`kiln serve: /metrics and /v1/requests/recent on ${server.adminUrl}\n`);
  return runUntilSignal(server, 'kiln serve', io);
}

/** `kiln serving --server URL --token T [--port 8501]`: endpoints from the control plane. */
export async function servingCommand(o: ServingCommandOptions, io: IO, config: KilnConfig = getConfig()): Promise<number> {
  const code = await reexecWithServingFlags(io, config);
  if (code !== undefined) return code;
  const token = o.token ?? config.serving.token;
  if (!token) throw new KilnError('BAD_OPTION', 'a machine token is required: pass --token T or set KILN_SERVING_TOKEN');
  const source = new ControlPlaneSource({ server: o.server, token, pollMs: int('poll-ms', o.pollMs, 50) });
  const opts = serverOptions(o, source, io, config);
  await initNodeBackend(o.backend as NodeBackendRequest, { vulkanIcdFiles: config.vulkanIcdFiles });
  const server = await createServingServer(opts);
  io.out(`kiln serving: listening on ${server.url} (endpoints from ${o.server})\n`);
  if (server.adminUrl) io.err(`kiln serving: /metrics and /v1/requests/recent on ${server.adminUrl}\n`);
  return runUntilSignal(server, 'kiln serving', io);
}
