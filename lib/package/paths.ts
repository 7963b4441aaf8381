/**
 * Path rules for files inside a model package. Paths are POSIX, relative, and never leave the
 * package: a package read from an untrusted source must not make a reader touch other files.
 */

/** Why a package-relative path is unsafe, or undefined when it is fine. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'is empty';
  if (p.includes('\0')) return 'contains a NUL character';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'is absolute';
  const parts = p.split('/');
  if (parts.includes('..')) return 'escapes the package';
  // "." and empty segments are harmless on disk but give one file two names in the file map.
  if (parts.some((s) => s === '' || s === '.')) return 'is not a normalised path (empty or "." segment)';
  if (p.length > 1024) return 'is longer than 1024 characters';
  return undefined;
}

/** The directory part of a package path (`models/0/model.json` → `models/0`), '' at the root. */
export function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Joins a directory and a relative path that passed {@link unsafePathReason}. */
export function joinPath(dir: string, rel: string): string {
  return dir === '' ? rel : `${dir}/${rel}`;
}
