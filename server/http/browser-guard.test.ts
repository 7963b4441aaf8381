import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../runner/harness';
import { allowedHosts, hostName, refuseBrowserRequest } from './browser-guard';

describe('hostName', () => {
  it.each([
    ['localhost:3000', 'localhost'],
    ['Kiln.Example.COM', 'kiln.example.com'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:3000', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
  ])('%s → %s', (h, name) => expect(hostName(h)).toBe(name));
});

describe('allowedHosts', () => {
  it('answers loopback names for a loopback address, and only those', () => {
    const a = allowedHosts('127.0.0.1');
    expect(a).not.toBe('any');
    expect([...(a as Set<string>)].sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
  });

  it('adds this machine for a wildcard address; a configured list replaces the default; * is any', () => {
    expect((allowedHosts('0.0.0.0') as Set<string>).has('127.0.0.1')).toBe(true);
    expect([...(allowedHosts('127.0.0.1', ['kiln.example.com', '[::1]']) as Set<string>)]).toEqual(['kiln.example.com', '::1']);
    expect(allowedHosts('127.0.0.1', ['*'])).toBe('any');
  });
});

describe('refuseBrowserRequest', () => {
  const hosts = allowedHosts('127.0.0.1');
  const refuse = (method: string, headers: Record<string, string>) => refuseBrowserRequest(method, headers, hosts);

  it('refuses a Host it does not answer to (DNS rebinding), whatever the method', () => {
    expect(refuse('GET', { host: 'evil.example:3000' })).toMatchObject({ status: 403, code: 'HOST_NOT_ALLOWED' });
    expect(refuse('GET', { host: 'evil.example:3000' })!.message).toContain('evil.example:3000');
    expect(refuseBrowserRequest('GET', { host: 'evil.example' }, 'any')).toBeNull();
  });

  it('refuses a write a browser sends from another origin or site', () => {
    expect(refuse('POST', { host: 'localhost:3000', origin: 'http://evil.example' })).toMatchObject({ status: 403, code: 'CROSS_ORIGIN' });
    // Same host, other port: another origin.
    expect(refuse('POST', { host: 'localhost:3000', origin: 'http://localhost:4000' })).toMatchObject({ code: 'CROSS_ORIGIN' });
    // Sandboxed frames (notebook HTML outputs) have an opaque origin.
    expect(refuse('POST', { host: 'localhost:3000', origin: 'null' })).toMatchObject({ code: 'CROSS_ORIGIN' });
    expect(refuse('DELETE', { host: 'localhost:3000', 'sec-fetch-site': 'cross-site' })).toMatchObject({ code: 'CROSS_ORIGIN' });
    expect(refuse('PUT', { host: 'localhost:3000', 'sec-fetch-site': 'same-site' })).toMatchObject({ code: 'CROSS_ORIGIN' });
  });

  it("lets the studio's own pages, non-browser clients and reads through", () => {
    expect(refuse('POST', { host: 'localhost:3000', origin: 'http://localhost:3000', 'sec-fetch-site': 'same-origin' })).toBeNull();
    expect(refuse('POST', { host: '127.0.0.1:3000' })).toBeNull(); // the CLI, runners, serving
    expect(refuse('GET', { host: 'localhost:3000', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).toBeNull(); // CORS keeps the answer from the page
    expect(refuse('POST', {})).toBeNull(); // HTTP/1.0 without Host: not a browser
  });
});

/** One raw request (fetch cannot set `Host`). */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the server process', () => {
  let dataDir: string;
  let s: StartedServer;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-guard-'));
    s = await startServer({ dataDir });
  }, 120_000);
  afterAll(async () => {
    await s?.proc.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a foreign Host before any handler, and says which setting admits it', async () => {
    const r = await send(s.port, 'GET', '/api/health', { host: 'evil.example' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ code: 'HOST_NOT_ALLOWED', error: expect.stringContaining('KILN_ALLOWED_HOSTS') });
    expect((await send(s.port, 'GET', '/api/health', { host: `localhost:${s.port}` })).status).toBe(200);
  });

  it('refuses a cross-origin write and lets a same-origin one reach the API', async () => {
    const body = JSON.stringify({ name: 'guarded' });
    const host = `localhost:${s.port}`;
    const foreign = await send(s.port, 'POST', '/api/trpc/projects.create', { host, origin: 'http://evil.example', 'content-type': 'application/json' }, body);
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).code).toBe('CROSS_ORIGIN');
    const own = await send(s.port, 'POST', '/api/trpc/projects.create', { host, origin: `http://${host}`, 'content-type': 'application/json' }, body);
    expect(own.status).not.toBe(403);
    expect(own.body).not.toContain('CROSS_ORIGIN');
  });

  it('sends the security headers on every answer', async () => {
    const r = await send(s.port, 'GET', '/api/health', { host: `127.0.0.1:${s.port}` });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['referrer-policy']).toBe('same-origin');
  });
});
