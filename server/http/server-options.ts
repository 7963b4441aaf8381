/**
 * The control plane's http server options against slow clients (slowloris): a client has
 * `KILN_HEADERS_TIMEOUT_SECONDS` to send its headers and `requestTimeout` for the whole request,
 * derived from the largest upload at the slowest rate the server waits for
 * (`KILN_MIN_UPLOAD_RATE`), so a large upload at a modest rate still fits. Node answers 408 and
 * closes the connection past either. Only receiving the request is timed: a response, such as a
 * live-event stream, may last as long as it needs.
 */
import type { ServerOptions } from 'node:http';
import type { KilnConfig } from '../config';

export function controlPlaneServerOptions(http: KilnConfig['http']): ServerOptions {
  return {
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    // How often Node looks for connections past their deadline (default 30 s): a tenth of the
    // shorter timeout, so a cut comes within ~10 % of it.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 10))),
  };
}
