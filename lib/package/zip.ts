/**
 * Reading a model package zip in memory, with caps checked against each entry's declared size
 * before it is inflated, so a zip bomb is refused instead of exhausting memory. Isomorphic
 * (fflate): the control plane checks uploads with it, the serving process reads downloads.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { KilnError } from '../errors';
import { MANIFEST_FILE, type Manifest } from './manifest';
import { parseManifest, validatePackage, type PackageFiles } from './validate';

export interface ZipLimits {
  maxUnzippedBytes: number;
  maxZipEntries: number;
}

/**
 * Unzips `zip` into a package file map and validates it with `validatePackage`.
 * @throws KilnError `BAD_PACKAGE` (not a zip, unsupported compression, or an invalid package:
 *   the message is the validator's one line, its code in `extra.packageCode`),
 *   `PACKAGE_TOO_LARGE` (caps).
 */
export function readPackageZip(zip: Uint8Array, limits: ZipLimits): { files: PackageFiles; manifest: Manifest } {
  let entries = 0;
  let total = 0;
  let over: KilnError | undefined;
  const filter = (f: UnzipFileInfo): boolean => {
    if (f.name.endsWith('/')) return false; // directory entries carry no data
    entries++;
    total += f.originalSize;
    if (!over && entries > limits.maxZipEntries) over = new KilnError('PACKAGE_TOO_LARGE', `model package has more than ${limits.maxZipEntries} files`);
    if (!over && total > limits.maxUnzippedBytes) over = new KilnError('PACKAGE_TOO_LARGE', `model package unzips to more than ${limits.maxUnzippedBytes} bytes`);
    // Once over a cap nothing more is inflated.
    return !over;
  };
  let unzipped: Record<string, Uint8Array>;
  try {
    unzipped = unzipSync(zip, { filter });
  } catch (e) {
    if (over) throw over;
    throw new KilnError('BAD_PACKAGE', `model package is not a readable zip (${(e as Error).message})`);
  }
  if (over) throw over;
  const files: PackageFiles = new Map();
  for (const [name, bytes] of Object.entries(unzipped)) {
    // Inflated sizes are re-checked: a lying header must not slip past the cap.
    if (bytes.byteLength > limits.maxUnzippedBytes) throw new KilnError('PACKAGE_TOO_LARGE', `model package unzips to more than ${limits.maxUnzippedBytes} bytes`);
    files.set(name, bytes);
  }
  const v = validatePackage(files);
  if (!v.ok) throw new KilnError('BAD_PACKAGE', v.error.message, {}, { extra: { packageCode: v.error.code } });
  return { files, manifest: v.manifest };
}

/**
 * Only the manifest of a package zip, parsed and checked against its schema (not the rest of
 * the package): enough to describe a version without inflating its weights.
 * @throws KilnError `BAD_PACKAGE` (not a readable zip), or the manifest's own code
 *   (`PACKAGE_MISSING_FILE`, `PACKAGE_BAD_JSON`, `PACKAGE_SCHEMA`, …): never a bare exception
 */
export function readZipManifest(zip: Uint8Array): Manifest {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, { filter: (f) => f.name === MANIFEST_FILE });
  } catch (e) {
    throw new KilnError('BAD_PACKAGE', `model package is not a readable zip (${(e as Error).message})`);
  }
  return parseManifest(new Map(Object.entries(files)));
}
