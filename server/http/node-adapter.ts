/**
 * Bridges Node's http server to web-standard handlers: an IncomingMessage becomes a `Request`
 * whose body is the live socket stream (never buffered here), and a `Response` is written back
 * chunk by chunk (so downloads and server-sent events stream). The same `(req) => Response`
 * handlers therefore serve Kiln's own server and Next's route files.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorStack } from '../../lib/errors';
import { capLogLine } from '../../lib/log-line';
import { errorResponse } from './errors';

/** Where the adapter reports what no client will see: a handler that threw, a body that failed. */
export type AdapterLog = (line: string) => void;
const stderrLog: AdapterLog = (line) => console.error(line);

/**
 * The request body as a web stream with back-pressure (the socket is paused while the consumer
 * is behind). Not `Readable.toWeb`: on Node 20 it throws "Controller is already closed" when
 * Node drains a request whose web stream was cancelled (an upload refused halfway), which
 * crashes the process. Here data after a cancel is simply dropped.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (done) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          if (done) return;
          done = true;
          controller.close();
        });
        req.once('error', (e) => {
          if (done) return;
          done = true;
          controller.error(e);
        });
        req.once('close', () => {
          if (done) return;
          done = true;
          controller.error(new Error('the client closed the connection before the request body was complete'));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        // Drop whatever still arrives; the response side decides when the connection closes.
        done = true;
        req.resume();
      },
    },
    { highWaterMark: 256 * 1024, size: (c) => c.byteLength },
  );
}

/** Converts a Node request to a web `Request`; the body streams from the socket on demand. */
export function toWebRequest(req: IncomingMessage, signal?: AbortSignal): Request {
  // The Host header is client-controlled; it only shapes `url` for routing, never a decision.
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host ?? '') ? req.headers.host! : 'localhost';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    // HTTP/2 pseudo-headers are not valid header names for `Headers`.
    if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1]!);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (signal) init.signal = signal;
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = bodyStream(req);
    // Required by undici for a streamed request body.
    init.duplex = 'half';
  }
  return new Request(url, init);
}

/**
 * Writes a web `Response` to a Node response, streaming its body. When the client goes away
 * mid-stream the body is cancelled (so e.g. an event subscription stops polling). When the
 * handler answered without reading the whole request body (an early 413), the connection is
 * closed after the answer instead of draining what may be an endless upload. A body that fails
 * midway cuts the connection and is logged with its stack through `log`.
 */
export async function sendWebResponse(req: IncomingMessage, res: ServerResponse, response: Response, log: AdapterLog = stderrLog): Promise<void> {
  const bodyLeft = !req.complete && req.method !== 'GET' && req.method !== 'HEAD';
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  const setCookies = response.headers.getSetCookie();
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  if (setCookies.length) res.setHeader('set-cookie', setCookies);
  if (bodyLeft) res.setHeader('connection', 'close');
  if (bodyLeft) {
    // Lingering close: half-close once the answer is out and give the client a moment to read
    // it (closing at once with unread data would send a TCP reset that can destroy the answer
    // on its way), then drop the connection whatever the client still sends. The socket is
    // taken now: Node detaches it from the request when the response finishes.
    const socket = req.socket as typeof req.socket | null;
    if (socket) {
      // Node's server ends a `connection: close` answer with socket.destroySoon(), which closes
      // the socket as soon as the answer is written: the client's next chunk then meets a reset,
      // and a client still sending (fetch, `kiln submit --data`) saw "fetch failed" instead of the
      // 413 that names the row. Half-close instead, keep discarding what arrives, destroy later.
      socket.destroySoon = function lingeringClose(this: typeof socket) {
        this.end();
        setTimeout(() => this.destroy(), 2000).unref();
      };
    }
    res.once('finish', () => {
      if (!socket || socket.destroyed) return;
      socket.end();
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }
  if (!response.body || req.method === 'HEAD') {
    res.end();
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => void reader.cancel().catch(() => undefined);
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      // Respect back-pressure so a slow client does not make the server buffer a whole file.
      if (!res.write(value)) await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
    res.end();
  } catch (e) {
    // The body failed midway: the status line is already out, so all that is left is to cut
    // the connection so the client sees an incomplete response rather than a truncated success.
    // The client learns nothing of why, so the server log must.
    // The URL may carry a whole tRPC input in its query: capped like every logged line.
    log(capLogLine(`kiln api: response body of ${req.method ?? 'GET'} ${req.url ?? '/'} failed after ${res.statusCode}: ${errorStack(e)}`));
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

/**
 * A Node request listener serving a web handler. A handler that throws (instead of answering an
 * error itself) is answered through the error catalog like any route, its stack logged.
 */
export function nodeHandler(handle: (req: Request) => Promise<Response>, log: AdapterLog = stderrLog) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ac = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    let response: Response;
    try {
      response = await handle(toWebRequest(req, ac.signal));
    } catch (e) {
      response = errorResponse(e, log);
    }
    await sendWebResponse(req, res, response, log);
  };
}
