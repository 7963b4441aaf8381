/**
 * Errors of the HTTP API. Every error answer is one JSON object `{ error, code }` whose `error`
 * is a single line and whose status is the code's in the error catalog (lib/errors-catalog.ts);
 * stacks never leave the process.
 */
import { errorAnswer, errorStack, ERROR_CATALOG, oneLine, type ErrorCode } from '../../lib/errors';
import { capLogLine } from '../../lib/log-line';

export { oneLine };

/** A JSON answer with no caching (every API answer reflects live state). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/** The `{ error, code }` answer, with the catalog's status for `code`. */
export function errorJson(code: ErrorCode, message: string, extra?: Record<string, unknown>, headers?: Record<string, string>): Response {
  return json({ error: oneLine(message), code, ...extra }, ERROR_CATALOG[code].status, headers);
}

/**
 * Turns anything thrown by a handler into an answer through the catalog: a `KilnError` with its
 * code's status and its one line; anything else as a generic `INTERNAL` 500. Every 5xx is
 * logged through `log` with its stack (the answer carries only the line), each line capped: a
 * failed insert's message carries its parameters, which may be a whole dataset's statistics.
 */
export function errorResponse(e: unknown, log: (msg: string) => void = (m) => console.error(m)): Response {
  const a = errorAnswer(e);
  if (a.status >= 500) log(capLogLine(`kiln api: ${a.internal ? 'internal error' : a.code}: ${errorStack(e)}`));
  return errorJson(a.code, a.message, a.extra, a.headers);
}
