/** Artifact stores: local directory by default, S3-compatible when `KILN_S3_BUCKET` is set. */
import { join } from 'node:path';
import { createLocalStore } from './local';
import { createS3Store, s3OptionsFromEnv } from './s3';
import type { ArtifactStore } from './types';

export { assertValidKey, type ArtifactStore, type PutResult } from './types';
export { createLocalStore } from './local';
export { createS3Store, normalizePrefix, s3ObjectKey, s3OptionsFromEnv, type S3StoreOptions } from './s3';

/**
 * Opens the store the environment asks for: S3 when `KILN_S3_BUCKET` is set (with
 * `KILN_S3_PREFIX`, `KILN_S3_ENDPOINT`, `AWS_REGION`, `KILN_S3_FORCE_PATH_STYLE`), otherwise a
 * local directory `<dataDir>/artifacts`.
 */
export function openStoreFromEnv(dataDir: string, env: Record<string, string | undefined> = process.env): ArtifactStore {
  const s3 = s3OptionsFromEnv(env);
  return s3 ? createS3Store(s3) : createLocalStore(join(dataDir, 'artifacts'));
}
