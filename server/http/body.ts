/**
 * Reading request bodies under a byte limit without ever holding more than the limit: a
 * declared Content-Length over the limit is refused before a byte is read, and a chunked body is
 * cut off (413) the moment it passes the limit.
 */
import { KilnError } from '../../lib/errors';

function tooLarge(limit: number, what: string): KilnError {
  return new KilnError('PAYLOAD_TOO_LARGE', `${what} is larger than the ${limit}-byte limit`, {}, { extra: { limit } });
}

/**
 * Throws 413 when the request declares a Content-Length over `limit`, so the caller can answer
 * before reading anything. A malformed Content-Length is a 400.
 */
export function checkDeclaredLength(req: Request, limit: number, what = 'request body'): void {
  const cl = req.headers.get('content-length');
  if (cl === null) return;
  if (!/^\d+$/.test(cl.trim())) throw new KilnError('BAD_REQUEST', `invalid Content-Length ${JSON.stringify(cl.slice(0, 40))}`);
  if (Number(cl) > limit) throw tooLarge(limit, what);
}

/**
 * The request body as chunks, throwing a 413 `KilnError` from the iteration once more than
 * `limit` bytes have arrived (the stream is cancelled, nothing more is read).
 */
export async function* limitedBody(req: Request, limit: number, what = 'request body'): AsyncGenerator<Uint8Array> {
  checkDeclaredLength(req, limit, what);
  if (!req.body) return;
  const reader = req.body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > limit) throw tooLarge(limit, what);
      yield value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** Reads the whole body (at most `limit` bytes) into memory. */
export async function readLimited(req: Request, limit: number, what = 'request body'): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of limitedBody(req, limit, what)) {
    parts.push(c);
    n += c.byteLength;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Reads and parses a JSON body of at most `limit` bytes; 400 when it is not JSON. */
export async function readJson(req: Request, limit: number): Promise<unknown> {
  const bytes = await readLimited(req, limit, 'JSON body');
  if (bytes.byteLength === 0) throw new KilnError('BAD_REQUEST', 'expected a JSON body, got an empty one');
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new KilnError('BAD_JSON', `request body is not valid JSON (${(e as Error).message})`);
  }
}
