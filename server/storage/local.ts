/**
 * Artifact store on the local file system. Every write goes to a temp file in the store's temp
 * folder (./temp-dir: `<dataDir>/tmp`, swept of what killed processes left), is fsynced, then
 * renamed over the key: rename is atomic on POSIX file systems, so a crash or a failed upload
 * never leaves a half-written artifact visible under its key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { sweepTempDir, tempPath } from './temp-dir';
import { assertValidKey, chunksOf, type ArtifactStore, type PutResult } from './types';

export interface LocalStoreOptions {
  /** where writes in progress live (default `<root>/.tmp`; keys never start with a dot) */
  tmpDir?: string;
}

/**
 * Moves the finished temp file onto `target`. Across file systems (the temp folder and the
 * store on different mounts) rename fails with EXDEV: copy next to the target, then rename there.
 */
async function moveInto(tmp: string, target: string): Promise<void> {
  try {
    await rename(tmp, target);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  const near = join(dirname(target), `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    await copyFile(tmp, near);
    await rename(near, target);
  } finally {
    await unlink(near).catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
  }
}

/** Creates a store whose objects are files under `root` (created on first write). */
export function createLocalStore(root: string, o: LocalStoreOptions = {}): ArtifactStore {
  const base = resolve(root);
  const tmpDir = resolve(o.tmpDir ?? join(base, '.tmp'));

  const pathOf = (key: string): string => {
    assertValidKey(key);
    const p = resolve(base, ...key.split('/'));
    // assertValidKey already rules out escapes; this guards against a future change to it.
    if (!p.startsWith(base + sep)) throw new Error(`storage key escapes the store root: ${key}`);
    return p;
  };

  const notFound = (e: unknown): boolean => {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
  };

  return {
    description: `local ${base}`,

    async put(key, body): Promise<PutResult> {
      const target = pathOf(key);
      const dir = dirname(target);
      await mkdir(dir, { recursive: true });
      const tmp = await tempPath(tmpDir, 'put');
      const fh = await open(tmp, 'wx', 0o644);
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        for await (const chunk of chunksOf(body)) {
          if (chunk.byteLength === 0) continue;
          hash.update(chunk);
          bytes += chunk.byteLength;
          let off = 0;
          while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
        }
        await fh.sync();
        await fh.close();
        await moveInto(tmp, target);
      } catch (e) {
        await fh.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
      // Persist the directory entry too, so the rename survives a power loss; not all file
      // systems allow fsync on a directory, and the data itself is already safe.
      try {
        const dh = await open(dir, 'r');
        await dh.sync().finally(() => dh.close());
      } catch {
        /* best effort */
      }
      return { bytes, sha256: hash.digest('hex') };
    },

    async get(key) {
      const p = pathOf(key);
      let fh;
      try {
        fh = await open(p, 'r');
      } catch (e) {
        if (notFound(e)) return null;
        throw e;
      }
      // Opening first makes a missing object a null instead of a stream that errors later; the
      // read stream owns the handle and closes it when done or cancelled.
      return Readable.toWeb(fh.createReadStream()) as ReadableStream<Uint8Array>;
    },

    async getBytes(key) {
      try {
        // A view, not a copy: copying a 200 MB dataset stalled the event loop for a second.
        const b = await readFile(pathOf(key));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if (notFound(e)) return null;
        throw e;
      }
    },

    async exists(key) {
      try {
        return (await stat(pathOf(key))).isFile();
      } catch (e) {
        if (notFound(e)) return false;
        throw e;
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    sweep(o) {
      return sweepTempDir(tmpDir, o);
    },
  };
}
