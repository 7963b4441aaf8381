/**
 * One writer per data directory: the lock itself, and real server processes on one PGlite
 * directory (a second one is refused at once; a holder SIGKILLed mid-upload is taken over, its
 * partial temp file swept; what the first confirmed survives).
 */
import { request } from 'node:http';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock';
import { openDb } from './client';
import { Proc, startServer, TEST_OWNER_TOKEN, trpcClient, type StartedServer } from '../runner/harness';
import { tempDirOf } from '../storage';

/** Starts a chunked dataset upload that never ends (4 MiB sent); resolves once its temp file holds ≥ 1 MiB. */
async function hangingUpload(url: string, dataDir: string): Promise<{ file: string; abort(): void }> {
  const req = request(`${url}/api/datasets?project=confirmed-before-kill&name=big.csv`, { method: 'PUT', headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}`, 'content-type': 'text/csv' } });
  req.on('error', () => undefined); // the server dies under it
  req.write('a,b\n');
  const rows = Buffer.from('1,2\n'.repeat(16 * 1024));
  for (let i = 0; i < 64; i++) req.write(rows);
  const tmp = tempDirOf(dataDir);
  for (let i = 0; i < 400; i++) {
    const names = await readdir(tmp).catch(() => []);
    if (names.length === 1 && (await stat(join(tmp, names[0]!))).size >= 1024 * 1024) return { file: names[0]!, abort: () => req.destroy() };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no upload in progress under ${tmp}`);
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kiln-lock-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('refuses a second holder, naming the directory and the pid, and is free again once released', async () => {
    const dir = await tempDir();
    const first = await lockDataDir(dir);
    expect(first.tookOverFrom).toBeNull();
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    const refused = await lockDataDir(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as Error).message).toContain(`data directory ${dir} is in use by pid ${process.pid}`);
    first.release();
    first.release();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe('');
    const again = await lockDataDir(dir);
    expect(again.tookOverFrom).toBeNull();
    again.release();
  });

  it('openDb on PGlite holds the lock until close, so a second open in any process fails at once', async () => {
    const dataDir = await tempDir();
    const kdb = await openDb({ dataDir });
    try {
      await expect(openDb({ dataDir })).rejects.toThrow(`data directory ${dataDir} is in use by pid ${process.pid}`);
    } finally {
      await kdb.close();
    }
    // close() released it.
    (await lockDataDir(dataDir)).release();
  });
});

describe('two server processes on one data directory', () => {
  const servers: Proc[] = [];
  afterAll(async () => {
    for (const p of servers) await p.stop(5_000);
  });

  it('refuses the second at once in one line, takes over from a holder SIGKILLed mid-upload (sweeping its partial file), and keeps what the first confirmed', async () => {
    const dataDir = await tempDir();
    const a: StartedServer = await startServer({ dataDir });
    servers.push(a.proc);
    const created = await trpcClient(a.url).projects.create.mutate({ name: 'confirmed-before-kill' });
    expect(created.name).toBe('confirmed-before-kill');

    // The second process: refused before it serves anything, with exit code 1 and one line.
    const t0 = Date.now();
    const b = new Proc('second server', ['--import', 'tsx', 'server/main.ts', '--no-ui', '--port', '0'], { KILN_DATA_DIR: dataDir, DATABASE_URL: '' });
    servers.push(b);
    const exit = await b.exited;
    const ms = Date.now() - t0;
    expect(exit.code, b.output).toBe(1);
    const lines = b.output.trim().split('\n');
    expect(lines, b.output).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^kiln server: error: data directory ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${a.proc.child.pid} \\(since `));
    expect(b.output).not.toContain('listening on');
    // server/main.ts loads only settings, flags and the lock before this check (1.3 s measured,
    // most of it tsx itself; it was 7 s when the whole server loaded first). Room for a busy CI.
    expect(ms).toBeLessThan(6_000);

    // The holder dies mid-upload without releasing anything: the kernel drops its flock, but
    // the partial temp file (no cleanup ran) and its pid in the lock file stay behind.
    const upload = await hangingUpload(a.url, dataDir);
    a.proc.kill9();
    await a.proc.exited;
    upload.abort();
    const tmp = tempDirOf(dataDir);
    expect(await readdir(tmp)).toEqual([upload.file]);

    // The next start takes the lock over and says from whom, sweeps the partial upload, and
    // has what the first process confirmed.
    const c = await startServer({ dataDir });
    servers.push(c.proc);
    expect(c.proc.output).toContain(`took over data directory ${dataDir} from pid ${a.proc.child.pid}`);
    const names = (await trpcClient(c.url).projects.list.query()).map((p) => p.name);
    expect(names).toContain('confirmed-before-kill');
    let left = [upload.file];
    for (let i = 0; i < 100 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await readdir(tmp);
    }
    expect(left).toEqual([]);
    expect(c.proc.output).toMatch(/removed 1 temp file \([\d.]+ MiB\) left by interrupted uploads/);
    const stored = await readdir(join(dataDir, 'artifacts'), { withFileTypes: true, recursive: true }).catch(() => []);
    expect(stored.filter((e) => e.isFile())).toEqual([]);

    // A clean stop releases it: the file is left empty, so the next start takes over nothing.
    expect((await c.proc.stop(20_000)).code).toBe(0);
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe('');
  }, 120_000);
});
