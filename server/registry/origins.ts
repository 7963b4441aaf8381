/**
 * Browser origins an endpoint answers (CORS). An origin is exactly what a browser sends in its
 * `Origin` header: `scheme://host[:port]`, http or https, no path, query, user or wildcard. `*`
 * is refused on purpose: a keyed endpoint's key would then be usable from any page that has it,
 * and an endpoint that wants every origin is better served by a proxy that says so.
 */
import { KilnError } from '../../lib/errors';

/** Most origins one endpoint may list. */
export const MAX_CORS_ORIGINS = 50;

/**
 * `https://App.Example.com:443/` → `https://app.example.com` (the form browsers send).
 * @throws KilnError `ENDPOINT_BAD_ORIGIN` naming the entry
 */
export function normalizeOrigin(raw: string, index = 0): string {
  const s = raw.trim();
  const bad = (why: string) => new KilnError('ENDPOINT_BAD_ORIGIN', `corsOrigins[${index}]: "${s.slice(0, 100)}" ${why}`, { path: `corsOrigins[${index}]` });
  if (s === '*' || s.includes('*')) throw bad('is a wildcard; list each origin (scheme://host[:port])');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad('is not an origin: expected scheme://host[:port], e.g. https://app.example.com');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('must start with http:// or https://');
  if (u.username || u.password) throw bad('must not carry a user name or password');
  if (u.search || u.hash || s.includes('?') || s.includes('#')) throw bad('must not have a query or fragment');
  // `new URL` turns "https://x" into pathname "/": only the bare origin (or one trailing slash) is an origin.
  const rest = s.slice(s.indexOf('//') + 2);
  const slash = rest.indexOf('/');
  if (slash >= 0 && rest.slice(slash) !== '/') throw bad('must not have a path');
  return u.origin;
}

/**
 * Every origin normalised, duplicates dropped, in the given order.
 * @throws KilnError `ENDPOINT_BAD_ORIGIN` for the first bad one or too many
 */
export function normalizeOrigins(raw: readonly string[]): string[] {
  if (raw.length > MAX_CORS_ORIGINS) throw new KilnError('ENDPOINT_BAD_ORIGIN', `corsOrigins: at most ${MAX_CORS_ORIGINS} origins, got ${raw.length}`, { path: 'corsOrigins' });
  return [...new Set(raw.map((o, i) => normalizeOrigin(o, i)))];
}
