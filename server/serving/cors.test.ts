import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import type { PackageFiles } from '../../lib/package/package';
import { createServingServer, type ServingServer } from './server';
import { TestSource, endpoint, http, regressionPackage } from './test-utils';

const KEY = 'sk-cors-1';
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const METRICS_TOKEN = 'cors-metrics-token';
let server: ServingServer;
let source: TestSource;
let reg: PackageFiles;

const specs = (appOrigins: string[]) => [
  endpoint('secure', [{ version: 1, files: reg }], { access: 'keys', keyHashes: [createHash('sha256').update(KEY).digest('hex')], corsOrigins: appOrigins }),
  endpoint('open', [{ version: 1, files: reg }]),
];

beforeAll(async () => {
  await tf.setBackend('cpu');
  reg = await regressionPackage('cars');
  source = new TestSource(specs([APP]));
  server = await createServingServer({ source, port: 0, maxInstances: 50, maxBodyBytes: 1_000_000, metricsToken: METRICS_TOKEN, log: () => undefined });
});
afterAll(async () => {
  await server?.close();
});

const body = JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }] });
const preflight = (path: string, origin?: string) =>
  http(`${server.url}${path}`, {
    method: 'OPTIONS',
    headers: { ...(origin ? { origin } : {}), 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });

describe('CORS: only the origins an endpoint allows', () => {
  it('answers a preflight from an allowed origin with 204, that origin and the allowed methods and headers, without asking for a key', async () => {
    const r = await preflight('/v1/models/secure:predict', APP);
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(r.headers.vary).toBe('origin');
    expect(String(r.headers['access-control-allow-methods'])).toContain('POST');
    const allowed = String(r.headers['access-control-allow-headers']).split(',').map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(r.body).toBe('');
    expect((await preflight('/v2/models/secure/infer', APP)).status).toBe(204);
  });

  it('refuses a preflight from any other origin, with none, to an endpoint that allows none, and on non-model paths, with no CORS header', async () => {
    for (const [path, origin, status] of [
      ['/v1/models/secure:predict', EVIL, 403],
      ['/v1/models/secure:predict', undefined, 403],
      ['/v1/models/secure:predict', 'https://app.example.com:8443', 403],
      ['/v1/models/open:predict', APP, 403],
      ['/v1/models/nope:predict', APP, 404],
      ['/metrics', APP, 404],
      ['/v1/requests/recent', APP, 404],
    ] as const) {
      const r = await preflight(path, origin);
      expect([path, origin, r.status]).toEqual([path, origin, status]);
      expect(r.headers['access-control-allow-origin'], `${path} ${origin}`).toBeUndefined();
      if (status === 403) expect(r.json.code).toBe('CORS_NOT_ALLOWED');
    }
  });

  it('marks answers of an allowed origin readable, errors included (401, 400), and no other origin', async () => {
    const ok = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { authorization: `Bearer ${KEY}`, origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
    expect(ok.headers.vary).toBe('origin');
    const noKey = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { origin: APP } });
    expect(noKey.status).toBe(401);
    expect(noKey.headers['access-control-allow-origin']).toBe(APP);
    const bad = await http(`${server.url}/v1/models/secure:predict`, { body: JSON.stringify({ instances: [{ hp: 'fast', weight: 3500, origin: 'USA' }] }), headers: { authorization: `Bearer ${KEY}`, origin: APP } });
    expect(bad.status).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe(APP);

    // Another origin is answered (a server cannot stop a request) but the browser may not read it.
    const evil = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { authorization: `Bearer ${KEY}`, origin: EVIL } });
    expect(evil.status).toBe(200);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers.vary).toBe('origin');
    const open = await http(`${server.url}/v1/models/open:predict`, { body, headers: { origin: APP } });
    expect(open.status).toBe(200);
    expect(open.headers['access-control-allow-origin']).toBeUndefined();
    const plain = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { authorization: `Bearer ${KEY}` } });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    const missing = await http(`${server.url}/nope`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never sends CORS headers on /metrics or the request log', async () => {
    for (const path of ['/metrics', '/v1/requests/recent']) {
      const r = await http(`${server.url}${path}`, { headers: { origin: APP, authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(r.status, path).toBe(200);
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-')), path).toEqual([]);
    }
  });

  it('applies a new origin list to the very next request', async () => {
    void source.set(specs(['https://other.example']));
    const r = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { authorization: `Bearer ${KEY}`, origin: APP } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight('/v1/models/secure:predict', 'https://other.example')).status).toBe(204);
    await source.set(specs([APP]));
  });
});
