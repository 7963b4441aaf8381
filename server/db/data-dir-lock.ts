/**
 * One writer per data directory. PGlite is single-process: two processes on one `db/` folder
 * each see their own state and overwrite each other's writes, so whoever opens it first holds an
 * exclusive `flock(2)` on `<dataDir>/kiln.lock` for as long as it runs, and a second process is
 * refused at once, told the directory and the pid (and host) that holds it.
 *
 * Why flock (through fs-ext-extra-prebuilt, which ships prebuilt binaries for Linux, macOS and
 * Windows on Node 20–25, so no compiler is needed): the kernel releases the lock when its holder
 * dies, even by SIGKILL, so a dead holder can never keep the directory locked, and taking a lock
 * is one atomic call (a pid file checked with `kill(pid, 0)` races when two processes take over
 * the same stale file at once, and misjudges a recycled pid). The file's text — pid, host, start
 * time — is only what the refusal and the takeover log show; the lock itself is the truth.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { KilnError } from '../../lib/errors';

/** The lock file inside the data directory. */
export const LOCK_FILE = 'kiln.lock';

/** Who holds (or last held) a data directory, as its lock file says. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock */
  since: string;
}

/** A held lock; `release` is idempotent and also happens, by the kernel, when the process ends. */
export interface DataDirLock {
  dataDir: string;
  /** the holder that died without releasing it, when this lock was taken over from one */
  tookOverFrom: LockHolder | null;
  release(): void;
}

/** Another live process holds the data directory. Its message is the one line a user sees. */
export class DataDirLockedError extends KilnError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null,
  ) {
    const who = holder ? `pid ${holder.pid}${holder.host === hostname() ? '' : ` on host ${holder.host}`} (since ${holder.since})` : 'another process';
    super('DATA_DIR_LOCKED', `data directory ${dataDir} is in use by ${who}; stop it or choose another --data-dir / KILN_DATA_DIR`, { path: dataDir });
    this.name = 'DataDirLockedError';
  }
}

function readHolder(text: string): LockHolder | null {
  try {
    const o = JSON.parse(text) as Partial<LockHolder>;
    if (typeof o.pid === 'number' && Number.isInteger(o.pid) && typeof o.host === 'string' && typeof o.since === 'string') return { pid: o.pid, host: o.host, since: o.since };
  } catch {
    /* empty (released) or not ours: no holder to name */
  }
  return null;
}

function holderIn(fd: number): LockHolder | null {
  return readHolder(readFileSync(fd, 'utf8'));
}

type Flock = (fd: number, flags: 'exnb') => unknown;
let flockPromise: Promise<Flock> | undefined;

/**
 * The native flock, loaded on first use: a platform without a prebuilt binary then fails only
 * when it opens PGlite (with a line saying so), not every command that imports the database.
 */
function loadFlock(): Promise<Flock> {
  flockPromise ??= import('fs-ext-extra-prebuilt').then(
    (m) => m.flockSync as Flock,
    (e: unknown) => {
      flockPromise = undefined;
      throw new Error(`cannot lock the data directory: no flock for ${process.platform}-${process.arch} on Node ${process.versions.node} (${(e as Error).message.split('\n')[0]}); use PostgreSQL (DATABASE_URL) here`);
    },
  );
  return flockPromise;
}

function isBusy(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EACCES';
}

/**
 * Takes the exclusive lock of `dataDir` (created if missing) without waiting.
 * @throws DataDirLockedError when a live process holds it
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const flockSync = await loadFlock();
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  // Someone may delete or replace the file between our open and our lock (an operator tidying
  // up); a lock on an inode no longer at that path protects nothing, so open it again.
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      flockSync(fd, 'exnb');
    } catch (e) {
      const holder = isBusy(e) ? holderIn(fd) : null;
      closeSync(fd);
      if (isBusy(e)) throw new DataDirLockedError(dir, holder);
      throw new Error(`cannot lock ${file}: ${(e as Error).message}`);
    }
    let sameFile = false;
    try {
      sameFile = fstatSync(fd).ino === statSync(file).ino;
    } catch {
      /* gone: try again */
    }
    if (!sameFile) {
      closeSync(fd);
      if (attempt >= 5) throw new Error(`cannot lock ${file}: it keeps being replaced`);
      continue;
    }
    // A clean release empties the file, so a holder still named here died holding the lock.
    const tookOverFrom = holderIn(fd);
    const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(me)}\n`, 0);
    fsyncSync(fd);
    let held = true;
    // Any orderly exit (process.exit after a failed start too) leaves the file empty, so the
    // next start does not report a takeover; SIGKILL leaves the holder named, and that is right.
    const onExit = () => lock.release();
    process.once('exit', onExit);
    const lock: DataDirLock = {
      dataDir: dir,
      tookOverFrom,
      release() {
        if (!held) return;
        held = false;
        process.off('exit', onExit);
        try {
          ftruncateSync(fd, 0);
        } finally {
          // Closing the last descriptor drops the flock; the empty file stays (deleting it would
          // let a process that opened the old inode lock it while a third locks a new file).
          closeSync(fd);
        }
      },
    };
    return lock;
  }
}
