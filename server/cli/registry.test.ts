/**
 * The registry CLI against a real server process (`server/main.ts --no-ui` on a free port) and a
 * real PostgreSQL: --json output and exit codes (0 done, 3 a gate blocked, 1 an error). Runs and
 * packages are recorded directly in the server's database and artifact store, as a runner would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type KilnDb } from '../db/client';
import { createTestDatabase, type TestDatabase } from '../db/testing';
import { kiln, startServer, type StartedServer } from '../runner/harness';
import { seedRun, testGraph } from '../registry/test-fixtures';
import { createLocalStore } from '../storage/local';
import { parseTraffic } from './registry';

let dataDir: string;
let database: TestDatabase;
let kdb: KilnDb;
let server: StartedServer;
const runIds: Record<string, string> = {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kiln-cli-registry-'));
  database = await createTestDatabase();
  kdb = await openDb({ databaseUrl: database.url, poolMax: 2 });
  const store = createLocalStore(join(dataDir, 'artifacts'));
  runIds.good = await seedRun(kdb.db, store, { metrics: { rmse: 3.4, r2: 0.8 }, graph: testGraph({ epochs: 10 }) });
  runIds.worse = await seedRun(kdb.db, store, { metrics: { rmse: 3.61, r2: 0.79 }, graph: testGraph({ epochs: 20 }) });
  runIds.corrupt = await seedRun(kdb.db, store, { zip: zipSync({ 'kiln-model.json': new TextEncoder().encode('{}') }) });
  runIds.failed = await seedRun(kdb.db, store, { status: 'failed' });
  server = await startServer({ dataDir, databaseUrl: database.url });
}, 120_000);

afterAll(async () => {
  await server?.proc.stop(10_000);
  await kdb?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function json(args: string[]) {
  const r = await kiln([...args, '--server', server.url, '--json', '--actor', 'ci:test']);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, body, stderr: r.stderr };
}

describe('kiln register / alias set / endpoint bind / endpoint key', () => {
  it('register: READY → exit 0, FAILED serveability → exit 3, bad run → exit 1', async () => {
    const ok = await json(['register', runIds.good!, '--model', 'cars', '--description', 'first']);
    expect(ok.code).toBe(0);
    expect(ok.body).toMatchObject({ model: 'cars', version: 1, status: 'READY', runId: runIds.good });
    const worse = await json(['register', runIds.worse!, '--model', 'cars']);
    expect(worse.body).toMatchObject({ version: 2, status: 'READY' });
    const bad = await json(['register', runIds.corrupt!, '--model', 'cars']);
    expect(bad.code).toBe(3);
    expect(bad.body).toMatchObject({ version: 3, status: 'FAILED' });
    expect(String(bad.body.statusReason)).toMatch(/^serveability: /);
    const failed = await json(['register', runIds.failed!, '--model', 'cars']);
    expect(failed.code).toBe(1);
    expect(String(failed.body.error)).toMatch(/only a succeeded run can be registered/);
  }, 60_000);

  it('alias set: moved → 0, blocked by a gate → 3 with the gate table, --force → 0', async () => {
    const first = await json(['alias', 'set', 'cars', 'production', '1', '--reason', 'initial']);
    expect(first.code).toBe(0);
    expect(first.body).toMatchObject({ moved: true, from: null, to: 1 });
    const blocked = await json(['alias', 'set', 'cars', 'production', '2', '--reason', 'retrain']);
    expect(blocked.code).toBe(3);
    expect(blocked.body.moved).toBe(false);
    const gates = blocked.body.gates as { gate: string; passed: boolean; detail: string }[];
    expect(gates.find((g) => g.gate === 'beats_current')).toMatchObject({ passed: false });
    expect(gates.find((g) => g.gate === 'beats_current')!.detail).toMatch(/beats production \(v1\) on rmse: 3\.61 vs 3\.4, needs ≤ 3\.4 − 0/);
    // Plain output: the gate table, and still exit 3.
    const plain = await kiln(['alias', 'set', 'cars', 'production', '2', '--server', server.url, '--min-absolute-change', '0.1']);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(/cars@production: BLOCKED v1 → v2/);
    expect(plain.stdout).toMatch(/FAIL {2}beats production \(v1\) on rmse/);
    const failedVersion = await json(['alias', 'set', 'cars', 'production', '3', '--force']);
    expect(failedVersion.code).toBe(3);
    const forced = await json(['alias', 'set', 'cars', 'staging', '2']);
    expect(forced.code).toBe(0);
    const unknown = await json(['alias', 'set', 'nope', 'production', '1']);
    expect(unknown.code).toBe(1);
    expect(String(unknown.body.error)).toMatch(/no registered model "nope"/);
    const badNumber = await json(['alias', 'set', 'cars', 'production', '2', '--min-absolute-change', '-1']);
    expect(badNumber.code).toBe(1);
  }, 60_000);

  it('endpoint bind and key', async () => {
    const bound = await json(['endpoint', 'bind', 'cars', '--model', 'cars', '--alias', 'production', '--traffic', '1=90,2=10']);
    expect(bound.code).toBe(0);
    expect(bound.body).toMatchObject({ name: 'cars', model: 'cars', target: { alias: 'production' }, defaultVersion: 1, traffic: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }] });
    const badSplit = await json(['endpoint', 'bind', 'cars', '--model', 'cars', '--alias', 'production', '--traffic', '1=90,2=20']);
    expect(badSplit.code).toBe(1);
    expect(String(badSplit.body.error)).toMatch(/sum to 100, got 110/);
    const both = await json(['endpoint', 'bind', 'cars', '--model', 'cars', '--alias', 'production', '--version', '1']);
    expect(both.code).toBe(1);
    const key = await json(['endpoint', 'key', 'cars']);
    expect(key.code).toBe(0);
    expect(String(key.body.key)).toMatch(/^kiln_ek_/);
    const plain = await kiln(['endpoint', 'key', 'cars', '--server', server.url]);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toMatch(/^kiln_ek_[A-Za-z0-9_-]{43}$/);
  }, 60_000);

  it('parses --traffic and refuses malformed splits', () => {
    expect(parseTraffic('3=90, v4=10')).toEqual([{ version: 3, weight: 90 }, { version: 4, weight: 10 }]);
    expect(() => parseTraffic('3:90')).toThrow(/VERSION=WEIGHT/);
  });
});
