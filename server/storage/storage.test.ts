import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { assertValidKey, createLocalStore, createS3Store, normalizePrefix, openStore, s3ObjectKey, type ArtifactStore } from './index';
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
