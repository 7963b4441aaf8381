/**
 * The control plane's first line against browsers used as a weapon: a page on another site
 * that points a DNS name at 127.0.0.1 (DNS rebinding) or posts a form or `fetch` across
 * origins. Every request to the server passes here before the API or the studio sees it:
 *
 * - its `Host` must be one the server answers to (the names and addresses it listens on, or
 *   `KILN_ALLOWED_HOSTS`): otherwise 403, so a rebinding page never reaches a handler;
 * - a state-changing request (anything but GET, HEAD, OPTIONS) that a browser marks as coming
 *   from another origin (`Sec-Fetch-Site`, or an `Origin` that is not this server's) gets 403.
 *   Clients that are not browsers (the CLI, runners, serving) send neither and pass.
 */
import { hostname, networkInterfaces } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import { ERROR_CATALOG, type ErrorCode } from '../../lib/errors';

export type AllowedHosts = ReadonlySet<string> | 'any';

/** Headers every answer of the control plane carries (the studio's pages included). */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'same-origin'],
];

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** `[::1]:3000` → `::1`, `Kiln.Example:80` → `kiln.example`. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, no port.
  return colon < 0 || h.indexOf(':', colon + 1) >= 0 ? h : h.slice(0, colon);
}

/**
 * The hosts a server listening on `listenHost` answers to: `configured` when set (`*` = any),
 * else loopback names for a loopback address, and for a wildcard address (0.0.0.0, ::) this
 * machine's name and every interface address too.
 */
export function allowedHosts(listenHost: string, configured?: readonly string[]): AllowedHosts {
  if (configured) return configured.includes('*') ? 'any' : new Set(configured.map(hostName));
  const listen = hostName(listenHost);
  const names = new Set([...LOOPBACK, listen]);
  if (listen === '0.0.0.0' || listen === '::') {
    names.add(hostname().toLowerCase());
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) names.add(a.address.toLowerCase());
  }
  return names;
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function refusal(code: ErrorCode, message: string): Refusal {
  return { status: ERROR_CATALOG[code].status, code, message };
}

/** Why this request must not reach a handler, or null when it may. */
export function refuseBrowserRequest(method: string | undefined, headers: IncomingHttpHeaders, allowed: AllowedHosts): Refusal | null {
  const host = headers.host;
  if (host !== undefined && allowed !== 'any' && !allowed.has(hostName(host))) {
    return refusal('HOST_NOT_ALLOWED', `Host "${host}" is not one this server answers to; add it to KILN_ALLOWED_HOSTS if it is yours`);
  }
  if (SAFE_METHODS.has((method ?? 'GET').toUpperCase())) return null;
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    return refusal('CROSS_ORIGIN', `${method} from another site (Sec-Fetch-Site: ${site}) is refused`);
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let originHost: string | null = null;
    try {
      originHost = origin === 'null' ? null : new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (originHost === null || host === undefined || originHost.toLowerCase() !== host.toLowerCase()) {
      return refusal('CROSS_ORIGIN', `${method} from origin ${origin} is refused: only this server's own pages may change things`);
    }
  }
  return null;
}
