/**
 * Who may call what on a serving process: an endpoint's access and keys take effect the moment
 * a config is applied (before its versions load), a keyed endpoint without keys is closed, and
 * `/metrics` and the request log are served only behind the metrics token or on the admin port.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import type { PackageFiles } from '../../lib/package/package';
import { createServingServer, type ServingServer } from './server';
import { TestSource, endpoint, http, regressionPackage } from './test-utils';

const KEY = 'sk-policy-1';
const hash = (k: string) => createHash('sha256').update(k).digest('hex');
let reg: PackageFiles;
let reg2: PackageFiles;
const body = JSON.stringify({ instances: [{ hp: 150, weight: 3500, origin: 'USA' }] });

beforeAll(async () => {
  await tf.setBackend('cpu');
  reg = await regressionPackage('cars');
  reg2 = await regressionPackage('cars', 2);
});

describe('endpoint access', () => {
  let server: ServingServer;
  let source: TestSource;
  beforeAll(async () => {
    source = new TestSource([endpoint('cars', [{ version: 1, files: reg }], { access: 'keys', keyHashes: [hash(KEY)] })]);
    server = await createServingServer({ source, port: 0, log: () => undefined });
  });
  afterAll(async () => {
    await server?.close();
  });
  const call = (headers: Record<string, string> = {}) => http(`${server.url}/v1/models/cars:predict`, { body, headers });

  it('refuses a revoked key on the next request, even while a new version is still loading', async () => {
    expect((await call({ authorization: `Bearer ${KEY}` })).status).toBe(200);
    let release!: () => void;
    const slow = new Promise<PackageFiles>((r) => (release = () => r(reg2)));
    // v2 takes as long as the test wants to load; the key is gone from this config.
    const applied = source.set([endpoint('cars', [{ version: 1, files: reg }, { version: 2, files: () => slow }], { access: 'keys', keyHashes: [] })]);
    const closed = await call({ authorization: `Bearer ${KEY}` });
    expect(closed.status).toBe(401);
    expect(closed.json.code).toBe('ENDPOINT_CLOSED');
    expect((await call()).status).toBe(401);
    release();
    expect((await applied).failed).toEqual([]);
    expect((await call({ authorization: `Bearer ${KEY}` })).status).toBe(401);
  });

  it('serves a public endpoint to anyone, and a keyed one only with one of its live keys', async () => {
    await source.set([endpoint('cars', [{ version: 2, files: reg2 }], { access: 'public', keyHashes: [hash(KEY)] })]);
    expect((await call()).status).toBe(200);
    await source.set([endpoint('cars', [{ version: 2, files: reg2 }], { access: 'keys', keyHashes: [hash('sk-new')] })]);
    expect((await call()).status).toBe(401);
    expect((await call({ authorization: `Bearer ${KEY}` })).status).toBe(403);
    expect((await call({ 'x-api-key': 'sk-new' })).status).toBe(200);
    const doc = await http(`${server.url}/v1/models/cars/openapi.json`, { headers: { 'x-api-key': 'sk-new' } });
    expect(doc.json.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
  });

  it('answers 404 for an endpoint the newest config dropped, before its versions are unloaded', async () => {
    void source.set([]);
    expect((await call({ 'x-api-key': 'sk-new' })).status).toBe(404);
  });
});

describe('/metrics and the request log', () => {
  const paths = ['/metrics', '/v1/requests/recent'];

  it('are not served on the serving port without a token, and say how to get them', async () => {
    const s = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, log: () => undefined });
    try {
      for (const p of paths) {
        const r = await http(`${s.url}${p}`);
        expect(r.status, p).toBe(404);
        expect(r.json.error).toMatch(/KILN_SERVING_METRICS_TOKEN.*KILN_SERVING_ADMIN_PORT/);
      }
      expect(s.adminUrl).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('need the token on the serving port when one is set', async () => {
    const s = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, metricsToken: 'tok-1', log: () => undefined });
    try {
      for (const p of paths) {
        const none = await http(`${s.url}${p}`);
        expect([p, none.status, none.headers['www-authenticate']]).toEqual([p, 401, 'Bearer']);
        expect((await http(`${s.url}${p}`, { headers: { authorization: 'Bearer tok-2' } })).status).toBe(401);
        expect((await http(`${s.url}${p}`, { headers: { authorization: 'Bearer tok-1' } })).status).toBe(200);
      }
    } finally {
      await s.close();
    }
  });

  it('are served on the admin port (loopback) and only there; it serves nothing else and refuses a DNS name in Host', async () => {
    const s = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, adminPort: 0, log: () => undefined });
    try {
      expect(s.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await http(`${s.url}/v1/models/cars:predict`, { body });
      const m = await http(`${s.adminUrl}/metrics`);
      expect(m.status).toBe(200);
      expect(m.body).toMatch(/kiln_serving_requests_total\{endpoint="cars",version="1",code="200"\} 1/);
      expect((await http(`${s.adminUrl}/v1/requests/recent`)).json.capacity).toBe(1000);
      for (const p of paths) expect((await http(`${s.url}${p}`)).status).toBe(404);
      expect((await http(`${s.adminUrl}/v1/models/cars:predict`, { body })).status).toBe(404);
      expect((await http(`${s.adminUrl}/healthz`)).status).toBe(404);
      const rebound = await http(`${s.adminUrl}/metrics`, { headers: { host: 'attacker.example:80' } });
      expect([rebound.status, rebound.json.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
      expect((await http(`${s.adminUrl}/metrics`, { headers: { host: 'localhost' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('need the token on the admin port too when one is set (then any Host will do)', async () => {
    const s = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, adminPort: 0, metricsToken: 'tok-1', log: () => undefined });
    try {
      expect((await http(`${s.adminUrl}/metrics`)).status).toBe(401);
      expect((await http(`${s.adminUrl}/metrics`, { headers: { authorization: 'Bearer tok-1', host: 'prometheus-target.internal' } })).status).toBe(200);
      expect((await http(`${s.url}/metrics`, { headers: { authorization: 'Bearer tok-1' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
