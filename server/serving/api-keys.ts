/**
 * API keys of an endpoint: `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared by
 * SHA-256 against the route's key hashes. Keys already accepted are remembered per route, since
 * hashing is the cost on every request otherwise; a route is replaced whole when keys change,
 * so the memory goes with it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { KilnError } from '../../lib/errors';
import { sha256Hex, type Route } from './model-host';

export class ApiKeyGate {
  private readonly goodKeys = new WeakMap<Route, Set<string>>();

  /** 401 (no key) or 403 (key not accepted) per docs/serving.md; undefined when the key is fine. */
  check(headers: IncomingHttpHeaders, route: Route): KilnError | undefined {
    if (route.keyHashes.size === 0) return undefined;
    const auth = headers.authorization;
    const key = auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : (headers['x-api-key'] as string | undefined);
    if (!key) return new KilnError('UNAUTHORIZED', `endpoint "${route.name}" needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"`, {}, { headers: { 'www-authenticate': 'Bearer' } });
    let ok = this.goodKeys.get(route);
    if (ok?.has(key)) return undefined;
    if (!route.keyHashes.has(sha256Hex(key))) return new KilnError('FORBIDDEN', `endpoint "${route.name}": API key not accepted`);
    if (!ok) this.goodKeys.set(route, (ok = new Set()));
    ok.add(key);
    return undefined;
  }
}
