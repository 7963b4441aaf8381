/**
 * Slow clients against the control plane's server options (issue 12): with no request timeout, a
 * client trickling an upload held the connection forever. Now headers and whole requests have
 * deadlines from the settings, while a long response (a live-event stream) is not cut.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { nodeHandler } from './node-adapter';
import { controlPlaneServerOptions } from './server-options';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server like server/main.ts's: uploads read their body; `/events` streams for 1.5 s. */
async function start(env: Record<string, string>): Promise<number> {
  const handler = nodeHandler(async (req) => {
    if (new URL(req.url).pathname === '/events') {
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 250));
          c.enqueue(new TextEncoder().encode(`data: ${n}\n\n`));
          if (++n === 6) c.close();
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    }
    const bytes = await req.arrayBuffer();
    return new Response(`got ${bytes.byteLength}`);
  }, () => undefined);
  server = createServer(controlPlaneServerOptions(loadConfig(env).http), (req, res) => void handler(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

/**
 * Sends `head`, then `trickle` one byte every 100 ms; resolves with what the server answered and
 * when the connection closed (ms), or 'open' when it is still open after `giveUpMs`.
 */
function slowClient(port: number, head: string, trickle: string, giveUpMs: number): Promise<{ closedAfterMs: number | 'open'; answer: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < trickle.length && s.writable) s.write(trickle[i++]!);
    }, 100);
    const done = (closedAfterMs: number | 'open') => {
      clearInterval(timer);
      clearTimeout(giveUp);
      s.destroy();
      resolve({ closedAfterMs, answer });
    };
    const giveUp = setTimeout(() => done('open'), giveUpMs);
    s.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => done(Math.round(performance.now() - t0)));
    s.write(head);
  });
}

describe('control-plane server timeouts', () => {
  it('cuts off a client that trickles its headers or its body (slowloris), with a 408', async () => {
    const port = await start({ KILN_HEADERS_TIMEOUT_SECONDS: '1', KILN_REQUEST_TIMEOUT_SECONDS: '2' });
    const [headers, body] = await Promise.all([
      slowClient(port, 'PUT /api/datasets HTTP/1.1\r\n', `Host: x\r\nX-Pad: ${'a'.repeat(100)}\r\n`, 5000),
      slowClient(port, 'PUT /api/datasets HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', 'b'.repeat(1000), 5000),
    ]);
    expect(headers.closedAfterMs).not.toBe('open');
    expect(headers.closedAfterMs).toBeLessThan(2500);
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.closedAfterMs).not.toBe('open');
    expect(body.closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(body.closedAfterMs).toBeLessThan(3500);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('without those deadlines (the old requestTimeout = 0) the same slow body stays open', async () => {
    const handler = nodeHandler(async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`), () => undefined);
    server = createServer({ requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => void handler(req, res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const body = await slowClient(port, 'PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', 'b'.repeat(1000), 2500);
    expect(body.closedAfterMs).toBe('open');
  });

  it('lets a request that arrives in time be answered, and a long event stream run past the request timeout', async () => {
    const port = await start({ KILN_HEADERS_TIMEOUT_SECONDS: '1', KILN_REQUEST_TIMEOUT_SECONDS: '1' });
    const put = await fetch(`http://127.0.0.1:${port}/api/datasets`, { method: 'PUT', body: 'x'.repeat(100_000) });
    expect(await put.text()).toBe('got 100000');
    const t0 = performance.now();
    const events = await (await fetch(`http://127.0.0.1:${port}/events`)).text();
    expect(performance.now() - t0).toBeGreaterThan(1400);
    expect(events.match(/data: /g)).toHaveLength(6);
  });
});
