/**
 * Errors of the HTTP API. Every error answer is one JSON object `{ error, code }` whose `error`
 * is a single line; stacks never leave the process.
 */
import { isKilnError } from '../../lib/errors';

/** An error with the HTTP status and machine-readable code it should be answered with. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** Collapses a message to one line of bounded length. */
export function oneLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}

/** A JSON answer with no caching (every API answer reflects live state). */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/** The `{ error, code }` answer. */
export function errorJson(status: number, code: string, message: string, extra?: Record<string, unknown>): Response {
  return json({ error: oneLine(message), code, ...extra }, status);
}

/**
 * Turns anything thrown by a handler into an answer: `HttpError` as itself, a `KilnError` (a
 * problem with what the client sent) as 400 with its code, anything else as a generic 500
 * (logged through `log` with its stack, never sent).
 */
export function errorResponse(e: unknown, log: (msg: string) => void = (m) => console.error(m)): Response {
  if (e instanceof HttpError) return errorJson(e.status, e.code, e.message, e.extra);
  if (isKilnError(e)) return errorJson(400, e.code, e.message);
  log(`kiln api: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return errorJson(500, 'INTERNAL', 'internal server error');
}
