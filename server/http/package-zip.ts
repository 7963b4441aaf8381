/**
 * Reading an uploaded model package zip in memory, with caps checked against each entry's
 * declared size before it is inflated, so a zip bomb is refused instead of exhausting memory.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { validatePackage, type PackageFiles } from '../../lib/package/validate';
import type { Manifest } from '../../lib/package/manifest';
import { HttpError } from './errors';

export interface ZipLimits {
  maxUnzippedBytes: number;
  maxZipEntries: number;
}

/**
 * Unzips `zip` into a package file map and validates it with `validatePackage`.
 * @throws HttpError 400 `BAD_PACKAGE` (not a zip, unsupported compression, or an invalid
 *   package: the message is the validator's one line), 413 `PACKAGE_TOO_LARGE` (caps).
 */
export function readPackageZip(zip: Uint8Array, limits: ZipLimits): { files: PackageFiles; manifest: Manifest } {
  let entries = 0;
  let total = 0;
  let over: HttpError | undefined;
  const filter = (f: UnzipFileInfo): boolean => {
    if (f.name.endsWith('/')) return false; // directory entries carry no data
    entries++;
    total += f.originalSize;
    if (!over && entries > limits.maxZipEntries) over = new HttpError(413, 'PACKAGE_TOO_LARGE', `model package has more than ${limits.maxZipEntries} files`);
    if (!over && total > limits.maxUnzippedBytes) over = new HttpError(413, 'PACKAGE_TOO_LARGE', `model package unzips to more than ${limits.maxUnzippedBytes} bytes`);
    // Once over a cap nothing more is inflated.
    return !over;
  };
  let unzipped: Record<string, Uint8Array>;
  try {
    unzipped = unzipSync(zip, { filter });
  } catch (e) {
    if (over) throw over;
    throw new HttpError(400, 'BAD_PACKAGE', `model package is not a readable zip (${(e as Error).message})`);
  }
  if (over) throw over;
  const files: PackageFiles = new Map();
  for (const [name, bytes] of Object.entries(unzipped)) {
    // Inflated sizes are re-checked: a lying header must not slip past the cap.
    if (bytes.byteLength > limits.maxUnzippedBytes) throw new HttpError(413, 'PACKAGE_TOO_LARGE', `model package unzips to more than ${limits.maxUnzippedBytes} bytes`);
    files.set(name, bytes);
  }
  const v = validatePackage(files);
  if (!v.ok) throw new HttpError(400, 'BAD_PACKAGE', v.error.message, { packageCode: v.error.code });
  return { files, manifest: v.manifest };
}
