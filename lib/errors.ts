/**
 * One error type for every problem a user can cause. It names the thing:
 * the file, row, column, node or param. Callers print `message` as one line.
 * Its code is a key of the error catalog (lib/errors-catalog.ts), which gives
 * every server the HTTP status to answer it with.
 */
import { ERROR_CATALOG, formatErrorMessage, type ErrorCode, type ErrorLocation } from './errors-catalog';

export { ERROR_CATALOG, errorStatus, formatErrorMessage, isErrorCode, type ErrorCode, type ErrorLocation, type ErrorSpec } from './errors-catalog';


/** What an answer carries besides `{ error, code }`. */
export interface ErrorExtras {
  /** more fields of the JSON answer (e.g. `limit`, `packageCode`) */
  extra?: Record<string, unknown>;
  /** answer headers (e.g. `allow` on a 405, `www-authenticate` on a 401) */
  headers?: Record<string, string>;
}

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly where: ErrorLocation;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}, extras?: ErrorExtras) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    this.where = where;
    this.extra = extras?.extra;
    this.headers = extras?.headers;
  }

  /** The HTTP status the catalog gives this error's code. */
  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }
}

/** A `KilnError` whose message is the catalog template of `code` filled with `params`. */
export function kilnError(code: ErrorCode, params: Record<string, string | number> = {}, where: ErrorLocation = {}, extras?: ErrorExtras): KilnError {
  return new KilnError(code, formatErrorMessage(code, params), where, extras);
}

/** Formats a location prefix such as `node "scale" param "columns"`. */
export function describeLocation(w: ErrorLocation): string {
  const parts: string[] = [];
  if (w.file) parts.push(w.file);
  if (w.row !== undefined) parts.push(`row ${w.row}`);
  if (w.column !== undefined) parts.push(`column "${w.column}"`);
  if (w.nodeId) parts.push(`node "${w.nodeId}"`);
  if (w.param) parts.push(`param "${w.param}"`);
  if (w.port) parts.push(`port "${w.port}"`);
  if (w.path) parts.push(w.path);
  return parts.join(' ');
}

export function isKilnError(e: unknown): e is KilnError {
  return e instanceof KilnError;
}

/** What a server answers for a thrown value (see {@link errorAnswer}). */
export interface ErrorAnswer {
  status: number;
  code: ErrorCode;
  message: string;
  extra: Record<string, unknown> | undefined;
  headers: Record<string, string> | undefined;
  /** not a KilnError: an unexpected failure, to be logged with its stack */
  internal: boolean;
}

/**
 * How any thrown value is answered, the same for REST, tRPC and serving: a `KilnError` with its
 * catalog status, code and one-line message; anything else as `INTERNAL` 500 with a generic
 * message (`internal`: the caller must log the stack, which never leaves the process).
 */
export function errorAnswer(e: unknown): ErrorAnswer {
  if (e instanceof KilnError) return { status: e.status, code: e.code, message: oneLine(e.message), extra: e.extra, headers: e.headers, internal: false };
  return { status: 500, code: 'INTERNAL', message: ERROR_CATALOG.INTERNAL.message, extra: undefined, headers: undefined, internal: true };
}

/** Collapses a message to one line of bounded length. */
export function oneLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}

/** The stack of a thrown value for a server log (never for an answer). */
export function errorStack(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
