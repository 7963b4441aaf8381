/**
 * Runs a custom node's code in a separate, short-lived Node process: never in the runner's or the
 * server's own process. The child gets an empty environment (no secrets), a fresh empty temp dir
 * as cwd, Node's permission model, a vm context without Node's APIs, a heap limit and (where the
 * host allows) a network namespace and address-space / CPU rlimits; a kill timer ends it on
 * timeout, and it is always killed when the call ends.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../lib/errors';
import type { RunCustom } from '../../lib/nodes/types';
import { getConfig, loadConfig, type KilnConfig } from '../config';
import { CHILD_SOURCE } from './child-source';
import { describeIsolation, detectIsolation, type Isolation } from './isolation';

export interface SandboxLimits {
  /** JS heap limit, MiB (default 512); the address space is capped at this + 1 GiB */
  memoryMiB: number;
  /** wall and CPU time for one call, ms (default 10 000) */
  timeoutMs: number;
  /** most bytes of JSON the child may answer with (default 256 MiB) */
  maxOutputBytes: number;
}

const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Limits from the parsed settings (`KILN_CUSTOM_MEMORY_MB`, `KILN_CUSTOM_TIMEOUT_MS`). */
export function sandboxLimits(c: Pick<KilnConfig, 'sandbox'>): SandboxLimits {
  return { ...c.sandbox, maxOutputBytes: MAX_OUTPUT_BYTES };
}

/** The limits when no variable says otherwise. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = sandboxLimits(loadConfig({}));

/** No secrets reach the child: not one variable of the parent's environment. */
const EMPTY_ENV = {} as NodeJS.ProcessEnv;

/** Startup and teardown allowance beyond the code's own time before the child is killed. */
const GRACE_MS = 2000;

export interface SandboxRequest {
  code: string;
  rows: unknown[];
  config: Record<string, unknown>;
  signal?: AbortSignal;
  /** receives what the code printed with console.log (at most 200 lines) */
  onLog?: (line: string) => void;
}

/** The failure of one sandboxed call; `reason` says which limit or error, as the user sees it. */
export class SandboxError extends Error {
  constructor(
    readonly reason: 'time' | 'memory' | 'syntax' | 'error' | 'output' | 'crash',
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** argv for the child: [unshare -rn] [prlimit …] node <flags> -e <source>. */
export function childCommand(limits: SandboxLimits, iso: Isolation = detectIsolation()): string[] {
  const node = [process.execPath, `--max-old-space-size=${limits.memoryMiB}`, '--no-warnings', '--disallow-code-generation-from-strings'];
  if (iso.permissionFlag) node.push(iso.permissionFlag);
  node.push('-e', CHILD_SOURCE);
  const wrap: string[] = [];
  if (iso.unshare) wrap.push(iso.unshare, '-rn', '--');
  if (iso.prlimit) {
    const as = (limits.memoryMiB + 1024) * 1024 * 1024;
    wrap.push(iso.prlimit, `--as=${as}`, `--cpu=${Math.ceil(limits.timeoutMs / 1000) + 2}`, '--');
  }
  return [...wrap, ...node];
}

const MEMORY_MESSAGE = /heap out of memory|Array buffer allocation failed|Invalid array length|Invalid typed array length|Invalid string length|Allocation failed/;

interface ChildAnswer {
  ok: boolean;
  kind?: 'error' | 'syntax' | 'timeout';
  error?: string;
  line?: number;
  logs?: string[];
  result?: unknown;
}

/**
 * Runs `code` (a function `(rows, config) => rows`) on the rows in a fresh sandbox process and
 * resolves with what it returned. Rejects with a {@link SandboxError} whose message is one line:
 * "exceeded the time limit (10 s)", "exceeded the memory limit (512 MiB)", "TypeError: … (line 3)".
 * An abort kills the child and rejects with the signal's reason.
 */
export async function runInSandbox(req: SandboxRequest, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): Promise<unknown> {
  if (req.signal?.aborted) throw req.signal.reason ?? new KilnError('CANCELLED', 'run cancelled');
  const cwd = await mkdtemp(join(tmpdir(), 'kiln-sandbox-'));
  const [cmd, ...args] = childCommand(limits);
  const timeLimit = () => new SandboxError('time', `exceeded the time limit (${seconds(limits.timeoutMs)})`);
  const memoryLimit = (detail?: string) => new SandboxError('memory', `exceeded the memory limit (${limits.memoryMiB} MiB)${detail ? `: ${detail}` : ''}`);
  try {
    return await new Promise<unknown>((resolve, reject) => {
      const child = spawn(cmd!, args, { cwd, env: EMPTY_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let settled: SandboxError | 'killed-by-us' | null = null;
      const kill = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      };
      const stopWith = (e: SandboxError) => {
        if (!settled) settled = e;
        kill();
      };
      const timer = setTimeout(() => stopWith(timeLimit()), limits.timeoutMs + GRACE_MS);
      const onAbort = () => {
        settled = 'killed-by-us';
        kill();
        reject(req.signal?.reason ?? new KilnError('CANCELLED', 'run cancelled'));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });

      child.stdout.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > limits.maxOutputBytes) stopWith(new SandboxError('output', `the result is larger than ${Math.round(limits.maxOutputBytes / 1024 / 1024)} MiB of JSON`));
        else out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        if (err.length < 20_000) err += b.toString();
      });
      // The child may die before reading all its input (a limit, a crash): that is reported by exit.
      child.stdin.on('error', () => {});
      child.on('error', (e) => stopWith(new SandboxError('crash', `the sandbox process could not start (${e.message})`)));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (settled === 'killed-by-us') return;
        if (settled) return reject(settled);
        if (MEMORY_MESSAGE.test(err)) return reject(memoryLimit());
        if (signal === 'SIGXCPU' || signal === 'SIGKILL') return reject(signal === 'SIGXCPU' ? timeLimit() : new SandboxError('crash', 'the sandbox process was killed'));
        let answer: ChildAnswer;
        try {
          answer = JSON.parse(Buffer.concat(out).toString('utf8')) as ChildAnswer;
        } catch {
          const why = err.split('\n').find((l) => l.trim()) ?? `exit ${code ?? signal}`;
          return reject(new SandboxError('crash', `the sandbox process ended without an answer (${why.slice(0, 300)})`));
        }
        for (const l of answer.logs ?? []) req.onLog?.(String(l));
        if (answer.ok) return resolve(answer.result);
        const msg = String(answer.error ?? 'failed');
        if (answer.kind === 'timeout') return reject(timeLimit());
        if (MEMORY_MESSAGE.test(msg)) return reject(memoryLimit(msg.replace(/^RangeError: /, '')));
        const where = typeof answer.line === 'number' ? ` (line ${answer.line})` : '';
        reject(new SandboxError(answer.kind === 'syntax' ? 'syntax' : 'error', `${msg}${where}`));
      });

      child.stdin.end(`${JSON.stringify({ code: req.code, timeoutMs: limits.timeoutMs })}\n${JSON.stringify({ rows: req.rows, config: req.config })}`);
    });
  } finally {
    await rm(cwd, { recursive: true, force: true }).catch(() => {});
  }
}

let announced = false;

/**
 * The `runCustom` the runner and `kiln run` hand the executor: each custom node runs in its own
 * sandbox process. Logs, once, which isolation layers this host supports.
 */
export function sandboxRunCustom(opts: { limits?: SandboxLimits; log?: (line: string) => void } = {}): RunCustom {
  const limits = opts.limits ?? sandboxLimits(getConfig());
  return (req) => {
    if (!announced) {
      announced = true;
      opts.log?.(`${describeIsolation()}; limits ${limits.memoryMiB} MiB, ${seconds(limits.timeoutMs)}`);
    }
    return runInSandbox({ code: req.code, rows: req.rows, config: req.config, signal: req.signal, ...(req.log ? { onLog: req.log } : {}) }, limits);
  };
}
