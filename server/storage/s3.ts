/**
 * Artifact store on S3 or an S3-compatible service (MinIO, R2, …) through the AWS SDK. A
 * PutObject is atomic on S3 (an object appears whole or not at all). Bodies of unknown length
 * are spooled to a local temp file first — S3 needs the length up front, and spooling keeps
 * memory flat and lets a failing upload stream end before anything reaches the bucket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';
import { assertValidKey, chunksOf, type ArtifactStore, type PutResult } from './types';

/** The bucket and where it lives (server/config: `KILN_S3_*`); `prefix` is prepended to every key. */
export interface S3StoreOptions extends S3Settings {
  /** a preconfigured client (tests); otherwise one is built from the options above */
  client?: S3Client;
}

/** Normalizes a prefix: no leading "/", exactly one trailing "/" unless empty. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return p ? `${p}/` : '';
}

/** The S3 object key for a store key: the validated key under the prefix. */
export function s3ObjectKey(prefix: string | undefined, key: string): string {
  assertValidKey(key);
  return `${normalizePrefix(prefix)}${key}`;
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** Creates a store over one bucket (and optional prefix). Credentials come from the SDK's usual chain. */
export function createS3Store(o: S3StoreOptions): ArtifactStore {
  const config: S3ClientConfig = { region: o.region ?? 'us-east-1' };
  if (o.endpoint) config.endpoint = o.endpoint;
  if (o.forcePathStyle !== undefined) config.forcePathStyle = o.forcePathStyle;
  const client = o.client ?? new S3Client(config);
  const Bucket = o.bucket;
  const keyOf = (key: string) => s3ObjectKey(o.prefix, key);

  return {
    description: `s3://${Bucket}/${normalizePrefix(o.prefix)}`,

    async put(key, body): Promise<PutResult> {
      const Key = keyOf(key);
      if (body instanceof Uint8Array) {
        await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.byteLength }));
        return { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
      }
      const dir = await mkdtemp(join(tmpdir(), 'kiln-s3-'));
      try {
        const file = join(dir, randomBytes(8).toString('hex'));
        const fh = await open(file, 'wx');
        const hash = createHash('sha256');
        let bytes = 0;
        try {
          for await (const chunk of chunksOf(body)) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            let off = 0;
            while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
          }
        } finally {
          await fh.close();
        }
        await client.send(new PutObjectCommand({ Bucket, Key, Body: createReadStream(file), ContentLength: bytes }));
        return { bytes, sha256: hash.digest('hex') };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async get(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return r.Body ? (r.Body.transformToWebStream() as ReadableStream<Uint8Array>) : null;
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },

    async getBytes(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(key) }));
        return r.Body ? await r.Body.transformToByteArray() : null;
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },

    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(key) }));
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
  };
}
