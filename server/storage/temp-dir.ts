/**
 * The one folder where uploads in progress live (`<dataDir>/tmp`): the local store writes each
 * object there, then renames it into place; the S3 store spools bodies of unknown length there.
 * A process killed mid-upload leaves its partial file behind, so the folder is swept at start
 * and periodically (server/jobs/maintenance.ts): whatever has not been written for longer than
 * the longest upload (`KILN_TEMP_MAX_AGE_SECONDS`) is abandoned. Writers keep writing, so a live
 * upload's file is always younger than that.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SweepResult } from './types';

/** A fresh, unique path in `dir` (created if missing) for one upload. */
export async function tempPath(dir: string, label: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return join(dir, `${label}-${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** Removes entries of `dir` last modified more than `maxAgeMs` ago (every entry with `all`). */
export async function sweepTempDir(dir: string, o: { maxAgeMs: number; all?: boolean }): Promise<SweepResult> {
  const out: SweepResult = { files: 0, bytes: 0, uploads: 0 };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  const cutoff = Date.now() - o.maxAgeMs;
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = await lstat(p);
      if (!o.all && st.mtimeMs > cutoff) continue;
      await rm(p, { recursive: true, force: true });
      out.files++;
      out.bytes += st.isFile() ? st.size : 0;
    } catch (e) {
      // Gone meanwhile (its upload finished or failed and cleaned up): nothing to do.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}
