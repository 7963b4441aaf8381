/**
 * The page's anti-forgery header: the value of the `kiln_csrf` cookie, which only the studio's
 * own pages can read (a notebook cell's worker cannot), echoed on every /api call.
 */
export function csrfHeaders(): Record<string, string> {
  const m = typeof document === 'undefined' ? null : /(?:^|;\s*)kiln_csrf=([^;]*)/.exec(document.cookie);
  return m ? { 'x-kiln-csrf': decodeURIComponent(m[1]!) } : {};
}
