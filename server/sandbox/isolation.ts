/**
 * What this host can add around the sandbox child, detected once per process: Node's permission
 * model (no file system, child processes or workers), a network namespace (`unshare -rn`) and
 * resource limits (`prlimit`: address space and CPU seconds, so even memory outside the JS heap
 * such as ArrayBuffers is capped).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { getConfig } from '../config';

export interface Isolation {
  /** `--permission` (Node ≥ 22) or `--experimental-permission` (Node 20), or null */
  permissionFlag: string | null;
  /** absolute path of `unshare` when it can create a user + network namespace here */
  unshare: string | null;
  /** absolute path of `prlimit` */
  prlimit: string | null;
}

let detected: Isolation | null = null;

function which(cmd: string): string | null {
  for (const dir of getConfig().system.path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

function works(cmd: string, args: string[]): boolean {
  try {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000, env: {} as NodeJS.ProcessEnv });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** Probes the host once; later calls return the same answer. */
export function detectIsolation(): Isolation {
  if (detected) return detected;
  const flags = process.allowedNodeEnvironmentFlags;
  const permissionFlag = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : null;
  const u = process.platform === 'linux' ? which('unshare') : null;
  const unshare = u && works(u, ['-rn', 'true']) ? u : null;
  const p = process.platform === 'linux' ? which('prlimit') : null;
  const prlimit = p && works(p, ['--cpu=5', 'true']) ? p : null;
  detected = { permissionFlag, unshare, prlimit };
  return detected;
}

/** One line for the runner's log: which layers apply on this host. */
export function describeIsolation(i: Isolation = detectIsolation()): string {
  const layers = ['separate process with an empty environment', 'vm context without require/process/fetch/import()'];
  layers.push(i.permissionFlag ? `Node permission model (${i.permissionFlag}: no fs, child processes or workers)` : 'NO Node permission model (this Node lacks it)');
  layers.push(i.unshare ? 'network namespace (unshare -rn)' : 'no network namespace (unshare -rn is not allowed here; the vm context still has no network API)');
  layers.push(i.prlimit ? 'prlimit address-space and CPU limits' : 'no prlimit (memory capped by the JS heap limit only)');
  return `custom node sandbox: ${layers.join(', ')}`;
}

/** For tests: forget the probe (e.g. after changing PATH). */
export function resetIsolationForTests(): void {
  detected = null;
}
