/** Artifact stores: local directory by default, S3-compatible when `KILN_S3_BUCKET` is set. */
import { join } from 'node:path';
import { createLocalStore } from './local';
import type { S3Settings } from '../config';
import { createS3Store } from './s3';
import type { ArtifactStore } from './types';

export { assertValidKey, type ArtifactStore, type PutResult, type SweepResult } from './types';
export { createLocalStore } from './local';
export { abortStaleMultipartUploads, createS3Store, normalizePrefix, s3ObjectKey, type S3StoreOptions } from './s3';

/** The one folder of uploads in progress (./temp-dir), swept at start and periodically. */
export function tempDirOf(dataDir: string): string {
  return join(dataDir, 'tmp');
}

/**
 * Opens the store the settings ask for: S3 when `KILN_S3_BUCKET` is set (the `s3` settings of
 * server/config), otherwise a local directory `<dataDir>/artifacts`. Either writes its temp
 * files to `<dataDir>/tmp`.
 */
export function openStore(dataDir: string, s3: S3Settings | null): ArtifactStore {
  const tmpDir = tempDirOf(dataDir);
  return s3 ? createS3Store({ ...s3, tmpDir }) : createLocalStore(join(dataDir, 'artifacts'), { tmpDir });
}
