import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { createServingServer, type ServingServer } from './server';
import { TestSource, endpoint, http, regressionPackage } from './test-utils';

const KEY = 'sk-cors-1';
let server: ServingServer;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const reg = await regressionPackage('cars');
  const source = new TestSource([endpoint('secure', [{ version: 1, files: reg }], { keyHashes: [createHash('sha256').update(KEY).digest('hex')] })]);
  server = await createServingServer({ source, port: 0, maxInstances: 50, maxBodyBytes: 1_000_000, log: () => undefined });
});
afterAll(async () => {
  await server?.close();
});

describe('CORS (browsers calling from another origin)', () => {
  it('answers a preflight with 204 and the allowed methods and headers, without asking for a key', async () => {
    const r = await http(`${server.url}/v1/models/secure:predict`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(String(r.headers['access-control-allow-methods'])).toContain('POST');
    const allowed = String(r.headers['access-control-allow-headers']).split(',').map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(r.body).toBe('');
  });

  it('marks predictions and errors (401, 400, 404) as readable from any origin', async () => {
    const body = JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }] });
    const ok = await http(`${server.url}/v1/models/secure:predict`, { body, headers: { authorization: `Bearer ${KEY}`, origin: 'http://x' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    const noKey = await http(`${server.url}/v1/models/secure:predict`, { body });
    expect(noKey.status).toBe(401);
    expect(noKey.headers['access-control-allow-origin']).toBe('*');
    const bad = await http(`${server.url}/v1/models/secure:predict`, { body: JSON.stringify({ instances: [{ hp: 'fast', weight: 3500, origin: 'USA' }] }), headers: { authorization: `Bearer ${KEY}` } });
    expect(bad.status).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe('*');
    const missing = await http(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe('*');
  });
});
