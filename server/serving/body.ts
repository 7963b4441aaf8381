/**
 * Request bodies for the serving process: size-capped while streaming (a declared
 * Content-Length over the cap is refused before a byte is read), and JSON whose nesting is
 * checked by a linear byte scan before `JSON.parse`, so a 10^6-deep array is a 400, not a stack
 * overflow or a second of parsing.
 */
import type { IncomingMessage } from 'node:http';
import { KilnError } from '../../lib/errors';

/**
 * Reads a request body up to `maxBytes`. Calls back once: with the bytes, or with a 413 (the
 * caller answers it and closes the connection, so the rest of the body is never read).
 */
export function readBody(req: IncomingMessage, maxBytes: number, done: (err: KilnError | null, body: Buffer | null) => void): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    done(new KilnError('PAYLOAD_TOO_LARGE', `body: Content-Length ${declared} is over the ${maxBytes}-byte limit`), null);
    return;
  }
  // State in one object and listeners as inline arrows: tsx's keepNames wraps every named
  // function created per request in a defineProperty call, which shows up at 40k requests/s.
  const st: { first: Buffer | null; chunks: Buffer[] | null; size: number; finished: boolean } = { first: null, chunks: null, size: 0, finished: false };
  req.on('data', (c: Buffer) => {
    if (st.finished) return;
    st.size += c.length;
    if (st.size > maxBytes) {
      st.finished = true;
      req.removeAllListeners('data');
      req.pause();
      done(new KilnError('PAYLOAD_TOO_LARGE', `body: over the ${maxBytes}-byte limit`), null);
      return;
    }
    if (st.first === null) st.first = c;
    else (st.chunks ??= [st.first]).push(c);
  });
  req.once('end', () => {
    if (st.finished) return;
    st.finished = true;
    done(null, st.chunks ? Buffer.concat(st.chunks, st.size) : (st.first ?? Buffer.alloc(0)));
  });
  // An aborted upload: the caller's deadline sweep reclaims the request; this keeps the error handled.
  req.once('error', () => {
    if (st.finished) return;
    st.finished = true;
    done(new KilnError('BAD_REQUEST', 'body: the request was aborted'), null);
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Deepest `[`/`{` nesting in a JSON text (strings skipped), stopping as soon as it passes `limit`. */
export function nestingDepth(buf: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return max;
}

/**
 * Parses a JSON body; 400 for invalid JSON or nesting deeper than `maxDepth`.
 * @throws KilnError `BAD_REQUEST` (empty), `BAD_JSON` (invalid or too deep)
 */
export function parseJsonBody(buf: Buffer, maxDepth: number): unknown {
  if (buf.length === 0) throw new KilnError('BAD_REQUEST', 'body: empty; expected a JSON object');
  if (nestingDepth(buf, maxDepth) > maxDepth) throw new KilnError('BAD_JSON', `body: JSON nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    // RangeError too: a parser that overflows the stack on some input is still a bad request.
    throw new KilnError('BAD_JSON', `body: invalid JSON (${(e as Error).message.split('\n')[0]!.slice(0, 200)})`);
  }
}
