/**
 * The runner's dataset cache: dataset versions are content-addressed, so a file downloaded once
 * (keyed by its SHA-256) serves every later run that reads the same version. Downloads stream
 * to a temporary file, are hashed on the way and renamed into place only when the hash matches,
 * so a killed runner never leaves a half-written file that a later run would trust.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from '../../lib/nodes/types';
import { KilnError } from '../../lib/errors';
import type { ClaimedDataset, RunnerClient } from './client';

export class DatasetCache {
  /** downloads in flight by hash: two runs needing the same file share one download */
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly client: RunnerClient,
    /** shared by every runner on the host (entries are immutable): `KILN_RUNNER_CACHE` */
    readonly dir: string,
  ) {}

  private pathFor(d: ClaimedDataset): string {
    if (!/^[0-9a-f]{64}$/.test(d.hash)) throw new KilnError('BAD_DATASET', `dataset "${d.name}" has an invalid hash "${d.hash}"`);
    return join(this.dir, `${d.hash}.${d.format === 'json' ? 'json' : 'csv'}`);
  }

  /** The local path of a dataset version, downloading it when not cached yet. */
  async file(d: ClaimedDataset): Promise<string> {
    const path = this.pathFor(d);
    const known = await stat(path).catch(() => null);
    if (known?.isFile()) return path;
    let p = this.inflight.get(d.hash);
    if (!p) {
      p = this.download(d, path).finally(() => this.inflight.delete(d.hash));
      this.inflight.set(d.hash, p);
    }
    return p;
  }

  /** Reads a dataset version as the executor's `DataSource`, named as the user named it. */
  async load(d: ClaimedDataset): Promise<DataSource> {
    const text = await readFile(await this.file(d), 'utf8');
    return { name: d.name, text, format: d.format };
  }

  private async download(d: ClaimedDataset, path: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
    const res = await this.client.downloadDataset(d.id);
    if (!res.body) throw new KilnError('DATASET_DOWNLOAD', `dataset "${d.name}" (${d.id}): empty response`);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), tap, createWriteStream(tmp));
      const got = hash.digest('hex');
      if (got !== d.hash) throw new KilnError('DATASET_HASH', `dataset "${d.name}" (${d.id}): downloaded content hashes to ${got.slice(0, 12)}…, expected ${d.hash.slice(0, 12)}…`);
      await rename(tmp, path);
      return path;
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
