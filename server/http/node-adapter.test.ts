import { createServer, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHandler } from './node-adapter';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(handle: (req: Request) => Promise<Response>, log: (line: string) => void): Promise<string> {
  server = createServer(nodeHandler(handle, log));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A raw GET that reports a cut connection instead of throwing. */
function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

describe('nodeHandler', () => {
  it('answers a handler that throws with the catalog 500 and logs the stack', async () => {
    const lines: string[] = [];
    const base = await serve(async () => {
      throw new RangeError('handler blew up');
    }, (l) => lines.push(l));
    const r = await get(`${base}/x`);
    expect(r).toEqual({ status: 500, body: JSON.stringify({ error: 'internal server error', code: 'INTERNAL' }) });
    expect(lines.join('\n')).toMatch(/RangeError: handler blew up\n\s+at /);
  });

  it('cuts the connection when the response body fails midway, and logs why', async () => {
    const lines: string[] = [];
    const base = await serve(async () => {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (n++ === 0) c.enqueue(new TextEncoder().encode('first chunk'));
          else c.error(new Error('storage read failed'));
        },
      });
      return new Response(body, { status: 200 });
    }, (l) => lines.push(l));
    const r = await get(`${base}/file`);
    expect('error' in r).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(lines.join('\n')).toMatch(/GET \/file failed after 200: Error: storage read failed\n\s+at /);
  });
});
