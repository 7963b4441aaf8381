/**
 * One writer per data directory: the lock itself, and real server processes on one PGlite
 * directory (a second one is refused at once; a SIGKILLed holder is taken over; what the first
 * confirmed survives).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock';
import { openDb } from './client';
import { Proc, startServer, trpcClient, type StartedServer } from '../runner/harness';

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
    const reopened = await openDb({ dataDir });
    await reopened.close();
  });
});

describe('two server processes on one data directory', () => {
  const servers: Proc[] = [];
  afterAll(async () => {
    for (const p of servers) await p.stop(5_000);
  });

  it('refuses the second at once in one line, takes over from a SIGKILLed holder, and keeps what the first confirmed', async () => {
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
    // Start-up of tsx itself is most of this; the refusal comes before any database work.
    expect(ms).toBeLessThan(15_000);

    // The holder dies without releasing: the next start takes the lock over and says from whom.
    a.proc.kill9();
    await a.proc.exited;
    const c = await startServer({ dataDir });
    servers.push(c.proc);
    expect(c.proc.output).toContain(`took over data directory ${dataDir} from pid ${a.proc.child.pid}`);
    const names = (await trpcClient(c.url).projects.list.query()).map((p) => p.name);
    expect(names).toContain('confirmed-before-kill');

    // A clean stop releases it: the file is left empty, and the next start takes over nothing.
    expect((await c.proc.stop(20_000)).code).toBe(0);
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe('');
    const d = await startServer({ dataDir });
    servers.push(d.proc);
    expect(d.proc.output).not.toContain('took over');
  }, 120_000);
});
