/**
 * Who may call an endpoint, per its policy (model-host.ts): a 'public' endpoint anyone; a
 * 'keys' endpoint a request with `Authorization: Bearer <key>` or `X-API-Key: <key>` whose
 * SHA-256 is one of its keys; a 'keys' endpoint with no key left nobody (it is closed, never
 * quietly public). Keys already accepted are remembered per policy, since hashing is the cost on
 * every request otherwise; a policy is replaced whole when keys change, so the memory goes with
 * it and a revoked key is forgotten with the policy that held it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { KilnError } from '../../lib/errors';
import { sha256Hex, type EndpointPolicy } from './model-host';

const CHALLENGE = { headers: { 'www-authenticate': 'Bearer' } };

export class ApiKeyGate {
  private readonly goodKeys = new WeakMap<EndpointPolicy, Set<string>>();

  /** 401 (no key, or a closed endpoint) or 403 (key not accepted) per docs/serving.md; undefined when the call may go on. */
  check(headers: IncomingHttpHeaders, policy: EndpointPolicy): KilnError | undefined {
    if (policy.access === 'public') return undefined;
    if (policy.keyHashes.size === 0) return new KilnError('ENDPOINT_CLOSED', `endpoint "${policy.name}" accepts API keys only and has no live key; make a key or set it public`, {}, CHALLENGE);
    const auth = headers.authorization;
    const key = auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : (headers['x-api-key'] as string | undefined);
    if (!key) return new KilnError('UNAUTHORIZED', `endpoint "${policy.name}" needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"`, {}, CHALLENGE);
    let ok = this.goodKeys.get(policy);
    if (ok?.has(key)) return undefined;
    if (!policy.keyHashes.has(sha256Hex(key))) return new KilnError('FORBIDDEN', `endpoint "${policy.name}": API key not accepted`);
    if (!ok) this.goodKeys.set(policy, (ok = new Set()));
    ok.add(key);
    return undefined;
  }
}
