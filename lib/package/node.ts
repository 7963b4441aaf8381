/**
 * Model packages on a Node file system: atomic writes and careful reads (no symlinks, no paths
 * outside the package, size caps). The format itself lives in the isomorphic modules.
 */
import { constants, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KilnError } from '../errors';
import { MANIFEST_FILE, PACKAGE_LIMITS } from './manifest';
import { dirOf, joinPath, unsafePathReason } from './paths';
import { validatePackage, type PackageFiles } from './validate';

export interface WritePackageOptions {
  /** replace a non-empty directory at `dir` (the old one is removed only after the new one is in place) */
  overwrite?: boolean;
}

export interface ReadPackageDirOptions {
  /** most bytes read in total (default: the largest package the validator accepts) */
  maxBytes?: number;
}

/** Largest package the validator accepts: all weights at 4 bytes each, plus room for the JSON files. */
const DEFAULT_MAX_BYTES = PACKAGE_LIMITS.maxTotalElements * 4 + 4 * PACKAGE_LIMITS.maxJsonBytes;
/** Files a reader follows from one manifest, so a manifest cannot make it stat millions of paths. */
const MAX_FILES = 10_000;

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function suffix(): string {
  return randomBytes(6).toString('hex');
}

async function writeFileDurable(file: string, bytes: Uint8Array): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a package directory atomically: every file goes into a temporary sibling
 * (`<dir>.tmp-<random>`) which is then renamed into place, so readers see the whole package or
 * none of it. The package is validated first; an invalid one is never written.
 *
 * @throws KilnError the validation error; `PACKAGE_EXISTS` when `dir` is a non-empty directory
 *   and `overwrite` is not set, or when `dir` exists and is not a directory.
 */
export async function writePackageDir(dir: string, files: PackageFiles, opts: WritePackageOptions = {}): Promise<void> {
  const v = validatePackage(files);
  if (!v.ok) throw v.error;
  const target = path.resolve(dir);

  let existing: 'none' | 'empty' | 'full' = 'none';
  try {
    const st = await fsp.lstat(target);
    if (!st.isDirectory()) throw new KilnError('PACKAGE_EXISTS', `${dir}: exists and is not a directory`, { file: dir });
    existing = (await fsp.readdir(target)).length === 0 ? 'empty' : 'full';
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  if (existing === 'full' && !opts.overwrite) {
    throw new KilnError('PACKAGE_EXISTS', `${dir}: directory exists and is not empty; pass overwrite to replace it`, { file: dir });
  }

  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${suffix()}`;
  let old: string | undefined;
  try {
    await fsp.mkdir(tmp);
    for (const [rel, bytes] of files) {
      // validatePackage has checked every key; this is the last line before touching the disk.
      const why = unsafePathReason(rel);
      if (why) throw new KilnError('PACKAGE_UNSAFE_PATH', `package: file ${JSON.stringify(rel)} ${why}`, { file: rel });
      const file = path.join(tmp, ...rel.split('/'));
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await writeFileDurable(file, bytes);
    }
    if (existing === 'empty') await fsp.rmdir(target);
    else if (existing === 'full') {
      old = `${target}.old-${suffix()}`;
      await fsp.rename(target, old);
    }
    try {
      // Fails (ENOTEMPTY/EEXIST) rather than clobbering if someone else created dir meanwhile.
      await fsp.rename(tmp, target);
    } catch (e) {
      if (old) await fsp.rename(old, target).catch(() => undefined);
      old = undefined;
      throw e;
    }
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (old) await fsp.rm(old, { recursive: true, force: true });
}

/**
 * Reads one package file without following symlinks at any level. Returns undefined when the
 * file does not exist (validation then reports it with the package's own wording).
 */
async function readInside(root: string, dir: string, rel: string, budget: { left: number; max: number }): Promise<Uint8Array | undefined> {
  const parts = rel.split('/');
  let p = root;
  for (let i = 0; i < parts.length; i++) {
    p = path.join(p, parts[i]!);
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw e;
    }
    const shown = parts.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) throw new KilnError('PACKAGE_SYMLINK', `${dir}: ${shown} is a symbolic link; packages may not contain links`, { file: dir, path: shown });
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory()) return undefined;
    if (last && !st.isFile()) throw new KilnError('PACKAGE_NOT_FILE', `${dir}: ${shown} is not a regular file`, { file: dir, path: shown });
  }
  // O_NOFOLLOW closes the gap between the lstat above and the open (where the platform has it).
  const fh = await fsp.open(p, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const { size } = await fh.stat();
    if (size > budget.left) {
      throw new KilnError('PACKAGE_TOO_LARGE', `${dir}: ${rel} (${size} bytes) takes the package over its ${budget.max}-byte limit`, { file: dir, path: rel });
    }
    budget.left -= size;
    const buf = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    if (off !== size) throw new KilnError('PACKAGE_READ', `${dir}: ${rel} changed while it was read`, { file: dir, path: rel });
    return buf;
  } finally {
    await fh.close();
  }
}

function jsonOf(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

function stringsAt(obj: unknown, key: string): unknown[] {
  if (obj === null || typeof obj !== 'object') return [];
  const v = (obj as Record<string, unknown>)[key];
  return Array.isArray(v) ? v : [];
}

/**
 * Reads a package directory into a file map: the manifest, each member's model.json and the
 * weight files those list, and nothing else. Paths that are unsafe or absent are skipped, so
 * that `validatePackage` reports them; symlinks anywhere inside the package are refused.
 * The result is not validated: pass it to `validatePackage`, `readPackage` or
 * `PackagePredictor.load`.
 *
 * @throws KilnError `PACKAGE_NOT_FOUND` (no directory, or no kiln-model.json in it),
 *   `PACKAGE_SYMLINK`, `PACKAGE_NOT_FILE`, `PACKAGE_TOO_LARGE` (over `maxBytes`), each naming `dir`.
 */
export async function readPackageDir(dir: string, opts: ReadPackageDirOptions = {}): Promise<PackageFiles> {
  const root = path.resolve(dir);
  try {
    const st = await fsp.stat(root);
    if (!st.isDirectory()) throw new KilnError('PACKAGE_NOT_FOUND', `${dir}: not a directory`, { file: dir });
  } catch (e) {
    if (errno(e) === 'ENOENT') throw new KilnError('PACKAGE_NOT_FOUND', `${dir}: no such directory`, { file: dir });
    throw e;
  }
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const budget = { left: max, max };
  const files: PackageFiles = new Map();
  const add = async (rel: unknown): Promise<Uint8Array | undefined> => {
    if (typeof rel !== 'string' || unsafePathReason(rel) !== undefined) return undefined;
    if (files.has(rel)) return files.get(rel);
    if (files.size >= MAX_FILES) throw new KilnError('PACKAGE_TOO_LARGE', `${dir}: the manifest lists more than ${MAX_FILES} files`, { file: dir });
    const bytes = await readInside(root, dir, rel, budget);
    if (bytes) files.set(rel, bytes);
    return bytes;
  };

  const manifest = await add(MANIFEST_FILE);
  if (!manifest) throw new KilnError('PACKAGE_NOT_FOUND', `${dir}: ${MANIFEST_FILE} is missing (not a Kiln model package)`, { file: dir });
  for (const m of stringsAt(jsonOf(manifest), 'members')) {
    const modelPath = m !== null && typeof m === 'object' ? (m as Record<string, unknown>).path : undefined;
    if (typeof modelPath !== 'string') continue;
    const modelJson = jsonOf(await add(modelPath));
    for (const group of stringsAt(modelJson, 'weightsManifest')) {
      for (const p of stringsAt(group, 'paths')) {
        if (typeof p === 'string' && unsafePathReason(p) === undefined) await add(joinPath(dirOf(modelPath), p));
      }
    }
  }
  return files;
}
