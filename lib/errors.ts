/**
 * One error type for every problem a user can cause. It names the thing:
 * the file, row, column, node or param. Callers print `message` as one line.
 */
export interface ErrorLocation {
  file?: string;
  row?: number;
  column?: string;
  nodeId?: string;
  param?: string;
  port?: string;
  path?: string;
}

export class KilnError extends Error {
  readonly code: string;
  readonly where: ErrorLocation;
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    this.where = where;
  }
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
