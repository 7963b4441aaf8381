/**
 * A server killed with SIGKILL in the middle of a dataset upload runs no cleanup: its partial
 * temp file stays in `<dataDir>/tmp`. The next start sweeps it.
 */
import { request } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, TEST_OWNER_TOKEN, trpcClient, type Proc } from '../runner/harness';
import { tempDirOf } from './index';

describe('kill -9 during an upload', () => {
  const procs: Proc[] = [];
  let dataDir = '';
  afterAll(async () => {
    for (const p of procs) await p.stop(5_000);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves a partial temp file that the next start removes', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-upload-crash-'));
    const first = await startServer({ dataDir });
    procs.push(first.proc);
    await trpcClient(first.url).projects.create.mutate({ name: 'uploads' });

    // A chunked upload that never finishes: 4 MiB sent, then the client waits.
    const req = request(`${first.url}/api/datasets?project=uploads&name=big.csv`, { method: 'PUT', headers: { authorization: `Bearer ${TEST_OWNER_TOKEN}`, 'content-type': 'text/csv' } });
    req.on('error', () => undefined); // the server dies under it
    req.write('a,b\n');
    const row = Buffer.from('1,2\n'.repeat(16 * 1024));
    for (let i = 0; i < 64; i++) req.write(row);
    const tmp = tempDirOf(dataDir);
    let partial: string[] = [];
    for (let i = 0; i < 200; i++) {
      partial = await readdir(tmp).catch(() => []);
      if (partial.length && (await stat(join(tmp, partial[0]!))).size >= 1024 * 1024) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(partial, 'the upload in progress is written under <dataDir>/tmp').toHaveLength(1);

    first.proc.kill9();
    await first.proc.exited;
    req.destroy();
    // Nothing cleaned up after the killed process: the partial file is still there.
    expect(await readdir(tmp)).toEqual(partial);
    const bytes = (await stat(join(tmp, partial[0]!))).size;
    expect(bytes).toBeGreaterThanOrEqual(1024 * 1024);

    const second = await startServer({ dataDir });
    procs.push(second.proc);
    let left = partial;
    for (let i = 0; i < 100 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await readdir(tmp);
    }
    expect(left).toEqual([]);
    expect(second.proc.output).toMatch(/removed 1 temp file \([\d.]+ MiB\) left by interrupted uploads/);
    // The interrupted upload never became a dataset.
    const stored = await readdir(join(dataDir, 'artifacts'), { withFileTypes: true, recursive: true }).catch(() => []);
    expect(stored.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
  }, 120_000);
});
