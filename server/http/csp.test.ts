import type { IncomingMessage, ServerResponse } from 'node:http';
import { getScriptNonceFromHeaders } from 'next/dist/server/app-render/get-script-nonce-from-header';
import { describe, expect, it } from 'vitest';
import { applyCsp, newNonce, pagePolicy, withCsp, WORKER_POLICY } from './csp';

/** `script-src 'self' x` → { 'script-src': ["'self'", 'x'] } */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(';').map((d) => {
      const [name, ...sources] = d.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

function answer(url: string, headers: Record<string, string> = {}) {
  const req = { url, headers: { host: 'localhost:3000', ...headers } } as unknown as IncomingMessage;
  const sent: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (sent[name.toLowerCase()] = value) } as unknown as ServerResponse;
  return { req, res, sent };
}

describe('pagePolicy', () => {
  const p = directives(pagePolicy('abc123==', ['http://localhost:8501']));

  it('runs only scripts that carry the nonce or that they load, and never eval', () => {
    expect(p['script-src']).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(Object.values(p).flat()).not.toContain("'unsafe-eval'");
    expect(p['script-src']).not.toContain("'unsafe-inline'");
    expect(p['worker-src']).toEqual(["'self'"]);
  });

  it('cannot be framed, embed plugins or be re-based, and connects only to itself and the given origins', () => {
    expect(p['frame-ancestors']).toEqual(["'none'"]);
    expect(p['object-src']).toEqual(["'none'"]);
    expect(p['base-uri']).toEqual(["'self'"]);
    expect(p['default-src']).toEqual(["'self'"]);
    expect(p['connect-src']).toEqual(["'self'", 'http://localhost:8501']);
  });

  it('refuses a nonce that could break out of the policy', () => {
    expect(() => pagePolicy("x' 'unsafe-inline")).toThrow(/base64/);
    expect(() => pagePolicy('x; script-src *')).toThrow(/base64/);
  });
});

describe('WORKER_POLICY', () => {
  const w = directives(WORKER_POLICY);

  it("lets a worker run the user's code (eval) and tfjs's wasm, from and to this origin only", () => {
    expect(w['script-src']).toEqual(["'self'", "'unsafe-eval'", "'wasm-unsafe-eval'"]);
    expect(w['connect-src']).toEqual(["'self'"]);
    expect(w['frame-ancestors']).toEqual(["'none'"]);
    expect(WORKER_POLICY).not.toContain('nonce-');
  });
});

describe('applyCsp', () => {
  it('gives a page a fresh nonce, on the response and where Next reads it from the request', () => {
    const a = answer('/projects/x/canvas', { 'content-security-policy': "script-src 'nonce-chosenbyclient'" });
    applyCsp(a.req, a.res);
    const policy = a.sent['content-security-policy']!;
    expect(a.req.headers['content-security-policy']).toBe(policy);
    const nonce = getScriptNonceFromHeaders(a.req.headers);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(policy).toContain(`'nonce-${nonce}'`);

    const b = answer('/projects/x/canvas');
    applyCsp(b.req, b.res);
    expect(getScriptNonceFromHeaders(b.req.headers)).not.toBe(nonce);
  });

  it("gives Next's static files (worker scripts among them) the worker policy, with no nonce", () => {
    const a = answer('/_next/static/chunks/turbopack-worker-1.js?params=x');
    applyCsp(a.req, a.res, { servingUrl: 'http://localhost:8501' });
    expect(a.sent['content-security-policy']).toBe(WORKER_POLICY);
    expect(a.req.headers['content-security-policy']).toBeUndefined();
  });

  it('lets a page call the serving process on the host the studio was opened on', () => {
    const connect = (host: string, servingUrl: string) => {
      const a = answer('/', { host });
      applyCsp(a.req, a.res, { servingUrl });
      return directives(a.sent['content-security-policy']!)['connect-src'];
    };
    expect(connect('localhost:3000', 'http://localhost:8501')).toEqual(["'self'", 'http://localhost:8501']);
    expect(connect('kiln.lan:3000', 'http://127.0.0.1:8501')).toEqual(["'self'", 'http://kiln.lan:8501']);
    expect(connect('[::1]:3000', 'http://localhost:8501')).toEqual(["'self'", 'http://[::1]:8501']);
    expect(connect('kiln.lan:3000', 'https://serving.example.com/')).toEqual(["'self'", 'https://serving.example.com']);
  });

  it('withCsp sets the policy before the handler runs', async () => {
    const a = answer('/');
    const seen = await withCsp(async (req) => req.headers['content-security-policy'])(a.req, a.res);
    expect(seen).toBe(a.sent['content-security-policy']);
  });
});

describe('newNonce', () => {
  it('is 128 random bits, different each time', () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(Buffer.from(n, 'base64')).toHaveLength(16);
  });
});
