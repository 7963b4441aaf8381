import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { abortStaleMultipartUploads, assertValidKey, createLocalStore, createS3Store, normalizePrefix, openStore, s3ObjectKey, tempDirOf, type ArtifactStore } from './index';
import { loadConfig } from '../config';

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

async function text(s: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(s).text();
}

describe('assertValidKey', () => {
  it.each(['runs/abc/model.zip', 'datasets/p1/0f-a_b.csv', 'x'])('accepts %s', (k) => {
    expect(() => assertValidKey(k)).not.toThrow();
  });
  it.each(['', '/etc/passwd', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', 'A/b', 'a b', 'a\\b', 'runs/.tmp-1', 'ä', 'a/b?c', 'x'.repeat(600)])('rejects %j', (k) => {
    expect(() => assertValidKey(k)).toThrow(/storage key/);
  });
});

describe('local store', () => {
  let root: string;
  let store: ArtifactStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-store-'));
    store = createLocalStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips bytes and streams and reports size and sha256', async () => {
    const r = await store.put('runs/r1/model.zip', new TextEncoder().encode('hello'));
    expect(r).toEqual({ bytes: 5, sha256: createHash('sha256').update('hello').digest('hex') });
    async function* gen() {
      yield new TextEncoder().encode('ab');
      yield new Uint8Array(0);
      yield new TextEncoder().encode('cd');
    }
    const r2 = await store.put('datasets/p/d.csv', gen());
    expect(r2.bytes).toBe(4);
    expect(await text((await store.get('datasets/p/d.csv'))!)).toBe('abcd');
    expect(new TextDecoder().decode((await store.getBytes('runs/r1/model.zip'))!)).toBe('hello');
    expect(await store.exists('runs/r1/model.zip')).toBe(true);
    expect(await listAll(root)).toEqual(['datasets/p/d.csv', 'runs/r1/model.zip']);
  });

  it('reports missing objects as null / false and deletes idempotently', async () => {
    expect(await store.get('runs/none/model.zip')).toBeNull();
    expect(await store.getBytes('runs/none/model.zip')).toBeNull();
    expect(await store.exists('runs/none')).toBe(false);
    await store.put('a/b', new Uint8Array([1]));
    await store.delete('a/b');
    await store.delete('a/b');
    expect(await store.exists('a/b')).toBe(false);
  });

  it('a failing stream leaves no file and keeps the previous object intact', async () => {
    await store.put('runs/r/model.zip', new TextEncoder().encode('old'));
    async function* failing() {
      yield new TextEncoder().encode('partial new content');
      throw new Error('connection reset');
    }
    await expect(store.put('runs/r/model.zip', failing())).rejects.toThrow('connection reset');
    expect(await listAll(root)).toEqual(['runs/r/model.zip']);
    expect(await readFile(join(root, 'runs/r/model.zip'), 'utf8')).toBe('old');
    await expect(store.put('runs/q/model.zip', failing())).rejects.toThrow('connection reset');
    expect(await store.exists('runs/q/model.zip')).toBe(false);
    expect(await listAll(root)).toEqual(['runs/r/model.zip']);
  });

  it('rejects bad keys on every operation without touching the disk', async () => {
    for (const k of ['../escape', '/abs', 'a/../../b']) {
      await expect(store.put(k, new Uint8Array([1]))).rejects.toThrow(/storage key/);
      await expect(store.get(k)).rejects.toThrow(/storage key/);
      await expect(store.exists(k)).rejects.toThrow(/storage key/);
      await expect(store.delete(k)).rejects.toThrow(/storage key/);
    }
    expect(await listAll(root)).toEqual([]);
  });
});

// No S3 endpoint is reachable here, so only the key mapping and the commands sent are tested,
// against a recording fake client; the SDK's wire behaviour is not exercised.
describe('s3 store (key mapping only)', () => {
  it('maps keys under the normalized prefix', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('/kiln//')).toBe('kiln/');
    expect(s3ObjectKey('kiln', 'runs/r/model.zip')).toBe('kiln/runs/r/model.zip');
    expect(s3ObjectKey('', 'runs/r/model.zip')).toBe('runs/r/model.zip');
    expect(() => s3ObjectKey('kiln', '../x')).toThrow(/storage key/);
  });

  it('reads its settings from the environment', () => {
    expect(loadConfig({}).s3).toBeNull();
    expect(loadConfig({ KILN_S3_BUCKET: 'bkt', KILN_S3_PREFIX: 'p', KILN_S3_ENDPOINT: 'http://minio:9000', AWS_REGION: 'eu-west-1' }).s3).toEqual({
      bucket: 'bkt',
      prefix: 'p',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(openStore('/tmp/x', loadConfig({ KILN_S3_BUCKET: 'bkt', KILN_S3_PREFIX: 'p/' }).s3).description).toBe('s3://bkt/p/');
    expect(openStore('/tmp/x', loadConfig({}).s3).description).toBe('local /tmp/x/artifacts');
  });

  it('sends PutObject with the prefixed key, length and a spooled stream body', async () => {
    const sent: { name: string; input: Record<string, unknown>; body?: string }[] = [];
    const client = {
      async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
        const body = cmd.input.Body as AsyncIterable<Buffer> | Uint8Array | undefined;
        let b: string | undefined;
        if (body && !(body instanceof Uint8Array)) {
          const parts: Buffer[] = [];
          for await (const c of body) parts.push(c);
          b = Buffer.concat(parts).toString();
        }
        sent.push({ name: cmd.constructor.name, input: cmd.input, ...(b !== undefined ? { body: b } : {}) });
        return {};
      },
    } as unknown as S3Client;
    const store = createS3Store({ bucket: 'bk', prefix: 'kiln', client });
    async function* gen() {
      yield new TextEncoder().encode('zip');
      yield new TextEncoder().encode('bytes');
    }
    const r = await store.put('runs/r1/model.zip', gen());
    expect(r.bytes).toBe(8);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.name).toBe(PutObjectCommand.name);
    expect(sent[0]!.input).toMatchObject({ Bucket: 'bk', Key: 'kiln/runs/r1/model.zip', ContentLength: 8 });
    expect(sent[0]!.body).toBe('zipbytes');
    await expect(store.put('../../etc/passwd', new Uint8Array([1]))).rejects.toThrow(/storage key/);
    expect(sent).toHaveLength(1);
  });
});

describe('temp files of interrupted uploads', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-tmp-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the local store writes an upload in progress only under <dataDir>/tmp, never beside the artifacts', async () => {
    const store = openStore(dataDir, null);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield new Uint8Array(1024).fill(7);
      await gate;
      yield new Uint8Array(1024).fill(8);
    }
    const put = store.put('datasets/p/d.csv', slow());
    let inTmp: string[] = [];
    for (let i = 0; i < 100 && inTmp.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      inTmp = await readdir(tempDirOf(dataDir)).catch(() => []);
    }
    expect(inTmp).toHaveLength(1);
    expect(await listAll(join(dataDir, 'artifacts')).catch(() => [])).toEqual([]);
    release();
    expect((await put).bytes).toBe(2048);
    expect(await readdir(tempDirOf(dataDir))).toEqual([]);
    expect(await listAll(join(dataDir, 'artifacts'))).toEqual(['datasets/p/d.csv']);
  });

  it('sweep removes temp files not written for maxAgeMs (all of them with `all`) and keeps young ones', async () => {
    const store = openStore(dataDir, null);
    const tmp = tempDirOf(dataDir);
    await mkdir(tmp, { recursive: true });
    // As a process killed mid-upload leaves them: a partial file two hours old, and one just written.
    await writeFile(join(tmp, 'put-123-abandoned'), new Uint8Array(3 * 1024 * 1024));
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(tmp, 'put-123-abandoned'), old, old);
    await writeFile(join(tmp, 'put-456-in-progress'), new Uint8Array(10));
    expect(await store.sweep({ maxAgeMs: 3600_000 })).toEqual({ files: 1, bytes: 3 * 1024 * 1024, uploads: 0 });
    expect(await readdir(tmp)).toEqual(['put-456-in-progress']);
    expect(await store.sweep({ maxAgeMs: 3600_000, all: true })).toEqual({ files: 1, bytes: 10, uploads: 0 });
    expect(await readdir(tmp)).toEqual([]);
    // No temp folder yet is nothing to sweep, not an error.
    expect(await openStore(join(dataDir, 'fresh'), null).sweep({ maxAgeMs: 1 })).toEqual({ files: 0, bytes: 0, uploads: 0 });
  });

  it('the S3 store spools under <dataDir>/tmp and removes the spool file when done', async () => {
    const seen: string[] = [];
    const client = {
      async send(cmd: { input: Record<string, unknown> }) {
        seen.push(...(await readdir(tempDirOf(dataDir))));
        const body = cmd.input.Body as AsyncIterable<Buffer>;
        for await (const _ of body) void _;
        return {};
      },
    } as unknown as S3Client;
    const store = createS3Store({ bucket: 'bk', client, tmpDir: tempDirOf(dataDir) });
    async function* gen() {
      yield new TextEncoder().encode('abc');
    }
    await store.put('runs/r/model.zip', gen());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^s3-spool-/);
    expect(await readdir(tempDirOf(dataDir))).toEqual([]);
  });
});

describe('abortStaleMultipartUploads', () => {
  it('aborts uploads under the prefix initiated before the cutoff, across pages, and keeps younger ones', async () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const hoursAgo = (h: number) => new Date(now - h * 3600_000);
    const pages = [
      { Uploads: [{ Key: 'kiln/a', UploadId: 'u1', Initiated: hoursAgo(30) }, { Key: 'kiln/b', UploadId: 'u2', Initiated: hoursAgo(1) }], IsTruncated: true, NextKeyMarker: 'kiln/b', NextUploadIdMarker: 'u2' },
      { Uploads: [{ Key: 'kiln/c', UploadId: 'u3', Initiated: hoursAgo(7) }], IsTruncated: false },
    ];
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const client = {
      async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
        sent.push({ name: cmd.constructor.name, input: cmd.input });
        if (cmd.constructor.name === ListMultipartUploadsCommand.name) return pages[sent.filter((s) => s.name === ListMultipartUploadsCommand.name).length - 1];
        return {};
      },
    } as unknown as S3Client;
    const n = await abortStaleMultipartUploads(client, { bucket: 'bk', prefix: 'kiln/', maxAgeMs: 6 * 3600_000, now });
    expect(n).toBe(2);
    expect(sent.map((s) => [s.name, s.input])).toEqual([
      [ListMultipartUploadsCommand.name, { Bucket: 'bk', Prefix: 'kiln/' }],
      [AbortMultipartUploadCommand.name, { Bucket: 'bk', Key: 'kiln/a', UploadId: 'u1' }],
      [ListMultipartUploadsCommand.name, { Bucket: 'bk', Prefix: 'kiln/', KeyMarker: 'kiln/b', UploadIdMarker: 'u2' }],
      [AbortMultipartUploadCommand.name, { Bucket: 'bk', Key: 'kiln/c', UploadId: 'u3' }],
    ]);
  });
});
