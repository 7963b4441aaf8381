import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError, RunnerAuthError, RunnerClient, RunnerHttpError, backoffDelay } from './client';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | null = null;
async function serve(handler: Handler, port = 0): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const reply = (res: ServerResponse, status: number, body?: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

describe('RunnerClient', () => {
  it('sends the bearer token and JSON body, and maps 204 on claim to null', async () => {
    const seen: { auth?: string; body?: string; path?: string }[] = [];
    const url = await serve((req, body, res) => {
      seen.push({ auth: req.headers.authorization, body, path: req.url });
      if (req.url === '/api/runner/claim') return reply(res, 204);
      reply(res, 200, { runnerId: 'r1', leaseSeconds: 30, heartbeatSeconds: 10 });
    });
    const c = new RunnerClient({ server: `${url}/`, token: 'kiln_rt_x' });
    const reg = await c.register({ name: 'n', backend: 'cpu', device: 'd', hostname: 'h', concurrency: 1, version: '0' });
    expect(reg.runnerId).toBe('r1');
    expect(await c.claim(['cpu'])).toBeNull();
    expect(seen[0]!.auth).toBe('Bearer kiln_rt_x');
    expect(JSON.parse(seen[0]!.body!).concurrency).toBe(1);
    expect(JSON.parse(seen[1]!.body!)).toEqual({ backends: ['cpu'] });
  });

  it('retries 5xx with backoff until the server answers', async () => {
    let n = 0;
    const url = await serve((_req, _b, res) => (++n < 3 ? reply(res, 503, { error: 'starting', code: 'UNAVAILABLE' }) : reply(res, 200, { accepted: 2 })));
    const retries: string[] = [];
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 5, onRetry: (_w, _n, why) => retries.push(why) });
    expect(await c.postEvents('run', 'tok', [])).toEqual({ accepted: 2 });
    expect(n).toBe(3);
    expect(retries).toEqual(['503 starting', '503 starting']);
  });

  it('keeps retrying through a refused connection (server restart) within its budget', async () => {
    // Find a free port, close it, and bring the server up there a little later.
    const url = await serve(() => {});
    const port = Number(new URL(url).port);
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 20, maxDelayMs: 50, retryForMs: 10_000 });
    const pending = c.heartbeat('run', 'tok');
    await new Promise((r) => setTimeout(r, 150));
    await serve((_req, _b, res) => reply(res, 200, { leaseExpiresAt: 'x', cancelRequested: true }), port);
    expect(await pending).toEqual({ leaseExpiresAt: 'x', cancelRequested: true });
  });

  it('gives up after the retry budget with a line naming the server', async () => {
    const url = await serve(() => {});
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 10, maxDelayMs: 20, retryForMs: 100 });
    await expect(c.claim()).rejects.toThrow(/POST \/api\/runner\/claim: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('401 is fatal at once (no retry), with the server message', async () => {
    let n = 0;
    const url = await serve((_req, _b, res) => {
      n++;
      reply(res, 401, { error: 'unknown or revoked runner token', code: 'UNAUTHORIZED' });
    });
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 1 });
    const e = await c.claim().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunnerAuthError);
    expect((e as Error).message).toContain('unknown or revoked runner token');
    expect(n).toBe(1);
  });

  it('409 is a lost lease; other 4xx are not retried', async () => {
    const url = await serve((req, _b, res) => (req.url!.includes('complete') ? reply(res, 409, { error: 'stale attempt token', code: 'LEASE_LOST' }) : reply(res, 413, { error: 'too large', code: 'TOO_LARGE' })));
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 1 });
    await expect(c.complete('r', 'tok', { status: 'succeeded', backend: 'cpu', device: 'd' })).rejects.toBeInstanceOf(LeaseLostError);
    const e = await c.uploadModel('r', 'a&b', new Uint8Array([1, 2, 3])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunnerHttpError);
    expect((e as RunnerHttpError).status).toBe(413);
    expect((e as Error).message).toContain('too large');
  });

  it('a 409 with another catalog code is that error, not a lost lease', async () => {
    const url = await serve((_req, _b, res) => reply(res, 409, { error: 'model "m" already exists', code: 'REGISTRY_MODEL_EXISTS' }));
    const c = new RunnerClient({ server: url, token: 't', baseDelayMs: 1 });
    const e = await c.complete('r', 'tok', { status: 'succeeded', backend: 'cpu', device: 'd' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunnerHttpError);
    expect((e as RunnerHttpError).code).toBe('REGISTRY_MODEL_EXISTS');
    expect((e as RunnerHttpError).status).toBe(409);
  });

  it('puts the attempt token in the artifact URL, escaped, with the zip as the raw body', async () => {
    let got: { url?: string; type?: string; len?: number } = {};
    const url = await serve((req, body, res) => {
      got = { url: req.url, type: req.headers['content-type'], len: body.length };
      reply(res, 200, { artifactId: 'a', bytes: 3, sha256: 's' });
    });
    const c = new RunnerClient({ server: url, token: 't' });
    await c.uploadModel('run/1', 'a&b', new Uint8Array([65, 66, 67]));
    expect(got).toEqual({ url: '/api/runner/runs/run%2F1/artifacts/model?attemptToken=a%26b', type: 'application/zip', len: 3 });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within [cap/2, cap]', () => {
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800);
    expect(backoffDelay(30, 100, 5000, () => 1)).toBe(5000);
    expect(backoffDelay(30, 100, 5000, () => 0)).toBe(2500);
  });
});
