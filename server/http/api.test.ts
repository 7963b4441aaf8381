/**
 * The HTTP API end to end over a real socket: the runner protocol's happy path with a real model
 * package, and the bad inputs the issue names (oversized uploads, malformed graphs, bad tokens,
 * client-supplied artifact paths). Runs on PGlite and on a fresh PostgreSQL database.
 */
import { bootstrapOwner } from '../auth/bootstrap';
import { TEST_OWNER_TOKEN } from '../runner/harness';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferSchema, parseTable } from '../../lib/data/infer';
import { initGraph } from '../../lib/graph/templates';
import { buildPackage } from '../../lib/package/package';
import { makeTrained } from '../../lib/package/test-utils';
import { runs } from '../db/schema';
import { createTestDatabase } from '../db/testing';
import { createRunnerToken } from '../jobs/runners';
import { nodeHandler } from './node-adapter';
import { openApiRuntime, type ApiRuntime } from './runtime';
import { loadConfig } from '../config';
import { TRPC_MAX_BATCH } from './trpc-limits';

const MAX_UPLOAD = 64 * 1024;

/** Parsed JSON answers, indexed freely in assertions (a wrong shape fails the assertion). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const CSV = ['x,z,y', ...Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 5},${2 * i + 1}`)].join('\n') + '\n';

function tinyGraph() {
  const table = parseTable({ name: 'train.csv', text: CSV, format: 'csv' });
  return initGraph({ schema: inferSchema(table), target: 'y', model: 'linear', source: { source: 'input', name: 'data' }, file: 'train.csv' }).graph;
}

async function modelZip(): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const trained = await makeTrained(tf, { task: 'regression' });
  const files = buildPackage(trained, { name: 'm', lineage: { graphHash: 'a'.repeat(64), backend: 'cpu', device: 'cpu' }, kilnVersion: '0.0.0-test', createdAt: '2026-01-01T00:00:00Z' });
  return zipSync(Object.fromEntries([...files].map(([k, v]) => [k, v])));
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
  } catch {
    return [];
  }
}

interface Harness {
  base: string;
  runtime: ApiRuntime;
  token: string;
  runnerId: string;
  artifactsDir: string;
  close(): Promise<void>;
}

async function startHarness(databaseUrl?: string): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kiln-api-'));
  const runtime = await openApiRuntime({
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    config: loadConfig({ KILN_MAX_UPLOAD_BYTES: String(MAX_UPLOAD), KILN_MAX_ARTIFACT_BYTES: String(4 * 1024 * 1024) }),
    reapIntervalMs: 0,
    log: () => undefined,
  });
  const server: Server = createServer(nodeHandler((req) => runtime.api.handleApi(req)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const { token, runnerId } = await createRunnerToken(runtime.db.db, 'test-runner');
  await bootstrapOwner(runtime.db.db, { bootstrapToken: TEST_OWNER_TOKEN });
  return {
    base: `http://127.0.0.1:${port}`,
    runtime,
    token,
    runnerId,
    artifactsDir: join(dataDir, 'artifacts'),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function apiSuite(name: string, open: () => Promise<{ url?: string; drop?: () => Promise<void> } | null>) {
  describe(name, () => {
    let h: Harness;
    let drop: (() => Promise<void>) | undefined;
    let zip: Uint8Array;
    const auth = () => ({ authorization: `Bearer ${h.token}` });
    const owner = { authorization: `Bearer ${TEST_OWNER_TOKEN}` };
    const post = (path: string, body: unknown, headers: Record<string, string> = auth()) =>
      fetch(`${h.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const trpc = async (proc: string, input: unknown) => {
      const r = await fetch(`${h.base}/api/trpc/${proc}`, { method: 'POST', headers: { 'content-type': 'application/json', ...owner }, body: JSON.stringify(input) });
      return { status: r.status, body: (await r.json()) as { result?: { data: Json }; error?: { message: string; data: Json } } };
    };
    const query = async (proc: string, input: unknown) => {
      const r = await fetch(`${h.base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: owner });
      return (await r.json()) as { result?: { data: Json }; error?: { message: string } };
    };
    const upload = (csv: string | Uint8Array, name = 'train.csv', project = 'p1') =>
      fetch(`${h.base}/api/datasets?project=${project}&name=${encodeURIComponent(name)}&format=csv`, { method: 'PUT', headers: owner, body: csv as BodyInit });
    const runCount = async () => (await h.runtime.db.db.select().from(runs)).length;

    beforeAll(async () => {
      const o = await open();
      drop = o?.drop;
      h = await startHarness(o?.url);
      zip = await modelZip();
    });
    afterAll(async () => {
      await h?.close();
      await drop?.();
    });

    it('runs the protocol: upload, submit, register, claim, events, artifact, complete', async () => {
      const up = await upload(CSV);
      expect(up.status).toBe(200);
      const ds = (await up.json()) as { id: string; hash: string; rows: number; created: boolean };
      expect(ds).toMatchObject({ rows: 40, created: true, hash: createHash('sha256').update(CSV).digest('hex') });
      // The same content again is the same version, and its duplicate blob is not kept.
      const again = (await (await upload(CSV)).json()) as { id: string; created: boolean };
      expect(again).toMatchObject({ id: ds.id, created: false });
      expect((await filesUnder(h.artifactsDir)).filter((f) => f.startsWith('datasets/'))).toHaveLength(1);
      const head = await fetch(`${h.base}/api/datasets/by-hash/${ds.hash}?project=p1`, { method: 'HEAD', headers: owner });
      expect(head.status).toBe(200);
      expect(head.headers.get('x-kiln-dataset-id')).toBe(ds.id);
      expect((await fetch(`${h.base}/api/datasets/by-hash/${'0'.repeat(64)}?project=p1`, { method: 'HEAD', headers: owner })).status).toBe(404);

      const sub = await trpc('runs.submit', { projectName: 'p1', graph: tinyGraph(), datasets: { data: ds.id } });
      expect(sub.status).toBe(200);
      const runId = sub.body.result!.data.runId as string;

      const reg = await post('/api/runner/register', { name: 'r', backend: 'cpu', device: 'cpu', hostname: 'h', concurrency: 1, version: 't' });
      expect(reg.status).toBe(200);
      expect(await reg.json()).toMatchObject({ runnerId: h.runnerId, leaseSeconds: 30, heartbeatSeconds: 10 });

      const claim = await post('/api/runner/claim', {});
      expect(claim.status).toBe(200);
      const { run } = (await claim.json()) as { run: { id: string; attempt: number; attemptToken: string; graphHash: string; graph: { nodes: unknown[] }; datasets: Record<string, { id: string; format: string }> } };
      expect(run.id).toBe(runId);
      // The runner writes this version into the package's lineage (not a hash of its own upgraded copy).
      expect(run.graphHash).toBe(sub.body.result!.data.graphHash);
      expect(run.attempt).toBe(1);
      expect(run.datasets.data).toMatchObject({ id: ds.id, format: 'csv' });
      expect(run.graph.nodes.length).toBe(tinyGraph().nodes.length);
      expect((await post('/api/runner/claim', {})).status).toBe(204);

      const file = await fetch(`${h.base}/api/runner/datasets/${ds.id}`, { headers: auth() });
      expect(file.status).toBe(200);
      expect(await file.text()).toBe(CSV);

      const hb = await post(`/api/runner/runs/${runId}/heartbeat`, { attemptToken: run.attemptToken });
      expect(hb.status).toBe(200);
      expect(await hb.json()).toMatchObject({ cancelRequested: false });

      const ev = (seq: number) => ({ seq, type: 'epoch', payload: { epoch: seq + 1, loss: 1 / (seq + 1) } });
      expect(await (await post(`/api/runner/runs/${runId}/events`, { attemptToken: run.attemptToken, events: [ev(0), ev(1)] })).json()).toEqual({ accepted: 2 });
      expect(await (await post(`/api/runner/runs/${runId}/events`, { attemptToken: run.attemptToken, events: [ev(1), ev(2)] })).json()).toEqual({ accepted: 1 });
      const page = await query('runs.events', { runId, afterId: 0 });
      expect((page.result!.data.events as { seq: number }[]).map((e) => e.seq)).toEqual([0, 1, 2]);

      // A path in the query and in Content-Disposition must not influence where the zip goes.
      const put = await fetch(`${h.base}/api/runner/runs/${runId}/artifacts/model?attemptToken=${run.attemptToken}&name=../../etc/passwd&path=/tmp/evil.zip`, {
        method: 'PUT',
        headers: { ...auth(), 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="../../../evil.zip"', 'x-kiln-path': '../../evil' },
        body: zip as BodyInit,
      });
      expect(put.status).toBe(200);
      const art = (await put.json()) as { artifactId: string; bytes: number; sha256: string };
      expect(art).toMatchObject({ bytes: zip.byteLength, sha256: createHash('sha256').update(zip).digest('hex') });
      expect((await filesUnder(h.artifactsDir)).filter((f) => !f.startsWith('datasets/'))).toEqual([`runs/${runId}/model.zip`]);
      expect(await filesUnder(join(h.artifactsDir, '..', '..', 'evil'))).toEqual([]);

      const done = { attemptToken: run.attemptToken, status: 'succeeded', metrics: { rmse: 0.5 }, backend: 'cpu', device: 'cpu' };
      expect(await (await post(`/api/runner/runs/${runId}/complete`, done)).json()).toEqual({ status: 'succeeded' });
      // Idempotent for the same token; a stale token is turned away.
      const repeat = await post(`/api/runner/runs/${runId}/complete`, done);
      expect(repeat.status).toBe(200);
      const stale = await post(`/api/runner/runs/${runId}/complete`, { ...done, attemptToken: 'f'.repeat(64) });
      expect(stale.status).toBe(409);
      expect(await stale.json()).toMatchObject({ code: 'LEASE_LOST' });
      // After completion the attempt holds nothing: more events or uploads are 409.
      expect((await post(`/api/runner/runs/${runId}/heartbeat`, { attemptToken: run.attemptToken })).status).toBe(409);

      const got = await query('runs.get', { id: runId });
      expect(got.result!.data).toMatchObject({ status: 'succeeded', metrics: { rmse: 0.5 }, backend: 'cpu' });
      expect(got.result!.data.attemptToken).toBeUndefined();
      expect(got.result!.data.artifacts).toHaveLength(1);
      // The live subscription replays the events in order and ends, the run being finished.
      const sse = await fetch(`${h.base}/api/trpc/runs.onEvents?input=${encodeURIComponent(JSON.stringify({ runId }))}`, { headers: owner, signal: AbortSignal.timeout(10_000) });
      expect(sse.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await sse.text();
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids).toHaveLength(3);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const dl = await fetch(`${h.base}/api/runs/${runId}/artifacts/model`, { headers: owner });
      expect(dl.status).toBe(200);
      expect(createHash('sha256').update(new Uint8Array(await dl.arrayBuffer())).digest('hex')).toBe(art.sha256);
    });

    it('answers 413 to a declared oversized upload without reading the body', async () => {
      const url = new URL(h.base);
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(Number(url.port), url.hostname);
        let got = '';
        s.on('data', (d) => {
          got += d.toString();
          if (got.includes('\r\n\r\n') && got.includes('PAYLOAD_TOO_LARGE')) resolve(got);
        });
        s.on('error', reject);
        s.on('close', () => resolve(got));
        // Headers promise far more than the limit; the body then trickles and never ends, so
        // only an answer given before reading it can come back.
        s.write(`PUT /api/datasets?project=p1&name=big.csv&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_OWNER_TOKEN}\r\nContent-Length: ${50 * 1024 * 1024 * 1024}\r\n\r\n`);
        s.write('x,y\n1,2\n');
        const timer = setInterval(() => (s.writable ? s.write('1,2\n') : clearInterval(timer)), 20);
        setTimeout(() => {
          clearInterval(timer);
          s.destroy();
        }, 8000).unref();
      });
      expect(answer).toMatch(/^HTTP\/1\.1 413/);
      expect(answer).toContain('"code":"PAYLOAD_TOO_LARGE"');
    });

    it('cuts off a chunked upload at the limit and leaves nothing stored', async () => {
      const before = await filesUnder(h.artifactsDir);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent > 4 * MAX_UPLOAD) return c.close();
          sent += 8192;
          c.enqueue(strToU8('1,2\n'.repeat(2048)));
        },
      });
      const r = await fetch(`${h.base}/api/datasets?project=p1&name=chunked.csv&format=csv`, { method: 'PUT', headers: owner, body, duplex: 'half' } as RequestInit);
      expect(r.status).toBe(413);
      expect(await r.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(await filesUnder(h.artifactsDir)).toEqual(before);
    });

    it('rejects an unparsable dataset naming row and column, keeping no file', async () => {
      const before = await filesUnder(h.artifactsDir);
      const r = await upload('a,b\n1,2\n3\n', 'bad.csv');
      expect(r.status).toBe(400);
      const e = (await r.json()) as { error: string; code: string };
      expect(e.error).toMatch(/bad\.csv/);
      expect(e.error).toMatch(/row 3/);
      expect(e.error).not.toMatch(/\n|\s{4}at /);
      expect(await filesUnder(h.artifactsDir)).toEqual(before);
    });

    it('answers a malformed graph with 400 and every diagnostic, and queues nothing', async () => {
      const n = await runCount();
      const bad = { version: 1, nodes: [{ id: 'a', kind: 'no_such_kind', params: {} }, { id: 'a', kind: 'dataset', params: {} }], edges: [{ source: 'a', sourcePort: 'data', target: 'zz', targetPort: 'data' }] };
      const r = await trpc('runs.submit', { projectName: 'p1', graph: bad, datasets: {} });
      expect(r.status).toBe(400);
      expect(r.body.error!.data.code).toBe('BAD_REQUEST');
      const diags = r.body.error!.data.diagnostics as { code: string; path: string; message: string }[];
      expect(diags.length).toBeGreaterThan(1);
      expect(diags.map((d) => d.code)).toContain('DUPLICATE_ID');
      expect(r.body.error!.message).toBe(`${diags[0]!.code} at ${diags[0]!.path || 'graph'}: ${diags[0]!.message}`);
      expect(JSON.stringify(r.body)).not.toMatch(/\.ts:\d+/);
      // A valid graph whose input has no dataset is refused too.
      const noData = await trpc('runs.submit', { projectName: 'p1', graph: tinyGraph(), datasets: {} });
      expect(noData.status).toBe(400);
      expect(noData.body.error!.message).toMatch(/input dataset "data"/);
      expect(await runCount()).toBe(n);
    });

    it('answers 401 to a missing, unknown or revoked runner token', async () => {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer kiln_rt_nope' }, { authorization: `Bearer ${h.token}x` }, { authorization: 'Basic abc' }]) {
        const r = await post('/api/runner/claim', {}, headers);
        expect(r.status).toBe(401);
        expect((await r.json()).code).toMatch(/^(SIGN_IN_REQUIRED|TOKEN_INVALID)$/);
      }
      const minted = await trpc('runners.createToken', { name: 'temp' });
      const t = minted.body.result!.data as { runnerId: string; token: string };
      expect((await post('/api/runner/claim', {}, { authorization: `Bearer ${t.token}` })).status).not.toBe(401);
      expect((await trpc('runners.revoke', { id: t.runnerId })).status).toBe(200);
      const r = await post('/api/runner/register', { name: 'x' }, { authorization: `Bearer ${t.token}` });
      expect(r.status).toBe(401);
      const dl = await fetch(`${h.base}/api/runner/datasets/whatever`, { headers: { authorization: `Bearer ${t.token}` } });
      expect(dl.status).toBe(401);
    });

    it('refuses bad artifacts: stale token 409, not a package 400, too large 413', async () => {
      const ds = (await (await upload(CSV, 'second.csv')).json()) as { id: string };
      const sub = await trpc('runs.submit', { projectName: 'p1', graph: tinyGraph(), datasets: { data: ds.id } });
      const runId = sub.body.result!.data.runId as string;
      const { run } = (await (await post('/api/runner/claim', {})).json()) as { run: { id: string; attemptToken: string } };
      expect(run.id).toBe(runId);
      const putZip = (body: Uint8Array, token = run.attemptToken) =>
        fetch(`${h.base}/api/runner/runs/${runId}/artifacts/model?attemptToken=${token}`, { method: 'PUT', headers: auth(), body: body as BodyInit });
      const stale = await putZip(zip, randomBytes(32).toString('hex'));
      expect(stale.status).toBe(409);
      const notZip = await putZip(strToU8('not a zip at all'));
      expect(notZip.status).toBe(400);
      const badPkg = await putZip(zipSync({ 'kiln-model.json': strToU8('{"formatVersion":1}') }));
      expect(badPkg.status).toBe(400);
      expect(((await badPkg.json()) as { error: string }).error).toMatch(/kiln-model\.json/);
      const bomb = await putZip(zipSync({ 'a.bin': new Uint8Array(64 * 1024 * 1024) }, { level: 9 }));
      expect(bomb.status).toBe(413);
      expect(await filesUnder(join(h.artifactsDir, 'runs', runId))).toEqual([]);
      const bad = await post(`/api/runner/runs/${runId}/events`, { attemptToken: run.attemptToken, events: [{ seq: -1, type: 'x', payload: {} }] });
      expect(bad.status).toBe(400);
      const bigJson = await post(`/api/runner/runs/${runId}/events`, { attemptToken: run.attemptToken, events: [{ seq: 1, type: 'log', payload: 'x'.repeat(2 * 1024 * 1024) }] });
      expect(bigJson.status).toBe(413);
      expect((await post(`/api/runner/runs/${runId}/release`, { attemptToken: run.attemptToken, reason: 'test' })).status).toBe(200);
    });

    it('caps a batched tRPC request at TRPC_MAX_BATCH calls', async () => {
      const batch = async (n: number) => {
        const procs = Array.from({ length: n }, () => 'projects.list').join(',');
        const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), {}]));
        return fetch(`${h.base}/api/trpc/${procs}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`, { headers: owner });
      };
      const ok = await batch(TRPC_MAX_BATCH);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as unknown[]).length).toBe(TRPC_MAX_BATCH);
      const over = await batch(TRPC_MAX_BATCH + 1);
      expect(over.status).toBe(400);
    });

    it('answers unknown endpoints and methods with one-line JSON errors', async () => {
      const r = await fetch(`${h.base}/api/nope`);
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ code: 'NOT_FOUND' });
      const m = await fetch(`${h.base}/api/runner/claim`);
      expect(m.status).toBe(405);
      const bj = await fetch(`${h.base}/api/runner/claim`, { method: 'POST', headers: auth(), body: '{nope' });
      expect(bj.status).toBe(400);
      expect(await bj.json()).toMatchObject({ code: 'BAD_JSON' });
    });
  });
}

apiSuite('API on PGlite', async () => null);

apiSuite('API on PostgreSQL', () => createTestDatabase());
