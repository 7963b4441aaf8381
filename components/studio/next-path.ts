/**
 * Where the browser goes after signing in (`/login?next=…`). Only a path on this origin: a
 * `next` that names another site (`//evil.example`, `https://…`, `/\evil`) would turn the sign-in
 * page into an open redirect, so anything but a plain absolute path becomes `/`.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 2000) return '/';
  // One leading slash, then not a second one or a backslash (browsers read `/\host` as `//host`).
  if (!/^\/(?![/\\])/.test(next)) return '/';
  // No control characters (a tab or newline inside `/\t/evil` is dropped by URL parsers).
  for (let i = 0; i < next.length; i++) {
    const c = next.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return '/';
  }
  try {
    const base = 'http://kiln.invalid';
    const u = new URL(next, base);
    if (u.origin !== base) return '/';
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return '/';
  }
}

/** The sign-in page that comes back to `next` (a path on this origin). */
export function signInPath(next: string): string {
  const n = safeNext(next);
  return n === '/' ? '/login' : `/login?next=${encodeURIComponent(n)}`;
}
