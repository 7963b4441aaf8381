/**
 * Artifact store on S3 or an S3-compatible service (MinIO, R2, …) through the AWS SDK. A
 * PutObject is atomic on S3 (an object appears whole or not at all). Bodies of unknown length
 * are spooled to a local temp file first — S3 needs the length up front, and spooling keeps
 * memory flat and lets a failing upload stream end before anything reaches the bucket. The spool
 * lives in the data dir's temp folder (./temp-dir), swept like the local store's; `sweep` also
 * aborts incomplete multipart uploads (other writers' or a killed `aws s3 cp`'s), which S3 keeps,
 * and bills, until aborted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';
import { sweepTempDir, tempPath } from './temp-dir';
import { assertValidKey, chunksOf, type ArtifactStore, type PutResult, type SweepResult } from './types';

/** The bucket and where it lives (server/config: `KILN_S3_*`); `prefix` is prepended to every key. */
export interface S3StoreOptions extends S3Settings {
  /** a preconfigured client (tests); otherwise one is built from the options above */
  client?: S3Client;
  /** where bodies of unknown length are spooled (default `<os tmp>/kiln-s3`; the server passes `<dataDir>/tmp`) */
  tmpDir?: string;
}

/**
 * Aborts the bucket's multipart uploads under `prefix` initiated more than `maxAgeMs` ago,
 * following ListMultipartUploads' pages. Returns how many were aborted.
 */
export async function abortStaleMultipartUploads(client: Pick<S3Client, 'send'>, o: { bucket: string; prefix: string; maxAgeMs: number; now?: number }): Promise<number> {
  const cutoff = (o.now ?? Date.now()) - o.maxAgeMs;
  let aborted = 0;
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  // Bounded: a listing that never ends (a broken server) must not spin forever.
  for (let page = 0; page < 1000; page++) {
    const r = await client.send(new ListMultipartUploadsCommand({ Bucket: o.bucket, ...(o.prefix ? { Prefix: o.prefix } : {}), ...(KeyMarker ? { KeyMarker } : {}), ...(UploadIdMarker ? { UploadIdMarker } : {}) }));
    for (const u of r.Uploads ?? []) {
      if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated.getTime() > cutoff) continue;
      await client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: u.Key, UploadId: u.UploadId }));
      aborted++;
    }
    if (!r.IsTruncated) break;
    KeyMarker = r.NextKeyMarker;
    UploadIdMarker = r.NextUploadIdMarker;
    if (!KeyMarker && !UploadIdMarker) break;
  }
  return aborted;
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
  const spoolDir = o.tmpDir ?? join(tmpdir(), 'kiln-s3');

  return {
    description: `s3://${Bucket}/${normalizePrefix(o.prefix)}`,

    async put(key, body): Promise<PutResult> {
      const Key = keyOf(key);
      if (body instanceof Uint8Array) {
        await client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.byteLength }));
        return { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
      }
      const file = await tempPath(spoolDir, 's3-spool');
      try {
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
        await rm(file, { force: true });
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
    async sweep(s): Promise<SweepResult> {
      const local = await sweepTempDir(spoolDir, s);
      const uploads = await abortStaleMultipartUploads(client, { bucket: Bucket, prefix: normalizePrefix(o.prefix), maxAgeMs: s.maxAgeMs });
      return { ...local, uploads };
    },
  };
}
