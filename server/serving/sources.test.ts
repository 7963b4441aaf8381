import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { writePackageDir } from '../../lib/package/node';
import type { PackageFiles } from '../../lib/package/package';
import { createServingServer } from './server';
import { ControlPlaneSource } from './sources';
import { fakeControlPlane, http, regressionPackage } from './test-utils';

let reg: PackageFiles;
let reg2: PackageFiles;
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  reg = await regressionPackage('cars');
  reg2 = await regressionPackage('cars', 2);
  dir = await mkdtemp(join(tmpdir(), 'kiln-serving-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = { hp: 150, weight: 3500, origin: 'USA' };

describe('ControlPlaneSource', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  it('long-polls the config, checks the token and sha256, swaps versions, enforces access and keys, and keeps a version whose download is corrupt out', async () => {
    const zips = new Map<string, Uint8Array>([
      ['v1', zipSync(Object.fromEntries(reg))],
      ['v2', zipSync(Object.fromEntries(reg2))],
    ]);
    const key = 'secret-key';
    const cp = fakeControlPlane(
      {
        revision: 1,
        studioOrigins: ['http://localhost:3000'],
        endpoints: [{ name: 'cars', model: 'cars', access: 'keys', keyHashes: [sha(new TextEncoder().encode(key))], corsOrigins: [], versions: [{ version: 1, sha256: sha(zips.get('v1')!), url: '/api/serving/versions/v1/package', aliases: ['production'] }], default: 1, traffic: [] }],
      },
      zips,
    );
    const cpUrl = await cp.listen();
    const logs: string[] = [];
    const source = new ControlPlaneSource({ server: cpUrl, token: 'machine-token', pollMs: 50, waitS: 1, replicaId: 'test-replica' });
    const s = await createServingServer({ source, port: 0, log: (l) => logs.push(l) });
    try {
      const body = JSON.stringify({ instances: [record] });
      expect((await http(`${s.url}/v1/models/cars:predict`, { body })).status).toBe(401);
      const ok = await http(`${s.url}/v1/models/cars:predict`, { body, headers: { 'x-api-key': key, origin: 'http://localhost:3000' } });
      expect(ok.status).toBe(200);
      // The studio's origin is allowed on every endpoint.
      expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(cp.seen.every((l) => l.startsWith('Bearer machine-token'))).toBe(true);
      // It reports the revision it applied, with its replica id, on the poll that follows.
      await waitFor(async () => cp.reports.includes('test-replica@1'));
      expect(cp.reports[0]).toBe('test-replica@-');

      // A keyed endpoint without keys is closed: the config says so, serving does not guess "public".
      cp.set({ ...cp.config, revision: 2, endpoints: [{ ...cp.config.endpoints[0]!, keyHashes: [] }] });
      await waitFor(async () => source.appliedRevision === 2);
      expect((await http(`${s.url}/v1/models/cars:predict`, { body, headers: { 'x-api-key': key } })).status).toBe(401);
      await waitFor(async () => cp.reports.includes('test-replica@2'));

      // v2 arrives with a wrong checksum (and the endpoint is public now): refused, v1 keeps serving, the error is visible.
      cp.set({ ...cp.config, revision: 3, endpoints: [{ ...cp.config.endpoints[0]!, access: 'public', versions: [...cp.config.endpoints[0]!.versions, { version: 2, sha256: '0'.repeat(64), url: '/api/serving/versions/v2/package', aliases: [] }], default: 2 }] });
      await waitFor(async () => (await http(`${s.url}/v1/models/cars`)).json?.model_version_status?.some((v: { version: string; state: string }) => v.version === '2' && v.state === 'END'));
      const st = (await http(`${s.url}/v1/models/cars`)).json.model_version_status;
      expect(st.find((v: { version: string }) => v.version === '2').status.error_message).toContain('does not match');
      const still = await http(`${s.url}/v1/models/cars:predict`, { body });
      expect(still.status).toBe(200);
      expect(still.json.predictions).toEqual(ok.json.predictions);

      // the right checksum: v2 loads and takes the traffic
      cp.set({ ...cp.config, revision: 4, endpoints: [{ ...cp.config.endpoints[0]!, versions: [cp.config.endpoints[0]!.versions[0]!, { version: 2, sha256: sha(zips.get('v2')!), url: '/api/serving/versions/v2/package', aliases: [] }] }] });
      await waitFor(async () => (await http(`${s.url}/v1/models/cars/versions/2`)).json?.model_version_status?.[0]?.state === 'AVAILABLE');
      const now = await http(`${s.url}/v1/models/cars:predict`, { body });
      expect(now.status).toBe(200);
      expect(now.json.predictions).not.toEqual(ok.json.predictions);
      // a long poll with no change ends in 304, and the revision is not applied again
      await waitFor(async () => cp.notModified > 0, 5000);
      expect(logs.filter((l) => l.includes('config 4 applied'))).toHaveLength(1);
      // 304s are not answered at once, so the source is not spinning.
      expect(cp.seen.length).toBeLessThan(30);
    } finally {
      await s.close();
      cp.close();
    }
  });

  it('still works against a control plane that answers at once (polls every pollMs)', async () => {
    const zips = new Map<string, Uint8Array>([['v1', zipSync(Object.fromEntries(reg))]]);
    const cp = fakeControlPlane(
      { revision: 7, studioOrigins: [], endpoints: [{ name: 'cars', model: 'cars', access: 'public', keyHashes: [], corsOrigins: [], versions: [{ version: 1, sha256: sha(zips.get('v1')!), url: '/api/serving/versions/v1/package', aliases: [] }], default: 1, traffic: [] }] },
      zips,
      false,
    );
    const source = new ControlPlaneSource({ server: await cp.listen(), token: 'machine-token', pollMs: 100 });
    const s = await createServingServer({ source, port: 0, log: () => undefined });
    try {
      cp.set({ ...cp.config, revision: 8, endpoints: [{ ...cp.config.endpoints[0]!, access: 'keys', keyHashes: [] }] });
      await waitFor(async () => (await http(`${s.url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [record] }) })).status === 401);
      const before = cp.seen.length;
      await new Promise((r) => setTimeout(r, 500));
      // Every ~100 ms, not in a tight loop.
      expect(cp.seen.length - before).toBeGreaterThan(1);
      expect(cp.seen.length - before).toBeLessThan(10);
    } finally {
      await s.close();
      cp.close();
    }
  });

  it('refuses to start with a token the control plane rejects', async () => {
    const cp = createServer((_req, res) => res.writeHead(401).end('{"error":"bad token"}'));
    await new Promise<void>((r) => cp.listen(0, '127.0.0.1', () => r()));
    try {
      const src = new ControlPlaneSource({ server: `http://127.0.0.1:${(cp.address() as AddressInfo).port}`, token: 'nope' });
      await expect(createServingServer({ source: src, port: 0, log: () => undefined })).rejects.toThrow(/refused the token \(401\)/);
    } finally {
      cp.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('condition not met in time');
}

describe('kiln serve (spawned)', () => {
  it('prints one ready line, and on SIGTERM answers /readyz 503 through the grace period, then stops accepting and finishes the request in flight before exiting 0', async () => {
    const pkg = join(dir, 'pkg');
    await writePackageDir(pkg, reg);
    const child = spawn(process.execPath, [join(import.meta.dirname, '../cli/kiln.mjs'), 'serve', pkg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KILN_SERVING_DRAIN_GRACE_MS: '400' } });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /kiln serve: cars v1 listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect(out.trim().split('\n')).toHaveLength(1);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    // A request in flight: headers and half the body sent.
    const body = JSON.stringify({ instances: [record] });
    const port = Number(new URL(url).port);
    const sock = connect(port, '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += d.toString()));
    await new Promise<void>((r) => sock.on('connect', () => r()));
    sock.write(`POST /v1/models/cars:predict HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    // Draining, within the grace period: still accepting, and not ready.
    const ready = await http(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ status: 'draining' });
    await new Promise((r) => setTimeout(r, 600));
    // After it: no new connections are accepted; the body still arriving is read and answered.
    await expect(http(`${url}/readyz`)).rejects.toThrow();
    sock.write(body.slice(10));
    expect(await exited).toBe(0);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"predictions":[');
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(err).toContain('drained');
  });
});
