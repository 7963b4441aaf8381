/** Limits and timings of the HTTP API, from the environment with safe defaults. */
import { GRAPH_LIMITS } from '../../lib/graph/schema';

export interface ApiConfig {
  /** largest dataset upload (`KILN_MAX_UPLOAD_BYTES`, default 256 MiB) */
  maxUploadBytes: number;
  /** largest model package zip (`KILN_MAX_ARTIFACT_BYTES`, default 256 MiB) */
  maxArtifactBytes: number;
  /** cap on the unzipped size of a model package (default 4 × maxArtifactBytes, at most 1 GiB) */
  maxUnzippedBytes: number;
  /** cap on the number of files in a model package zip */
  maxZipEntries: number;
  /** largest JSON body of a runner protocol call */
  maxJsonBytes: number;
  /** largest JSON body that carries a graph (tRPC calls) */
  maxGraphBytes: number;
  /** lease a claim holds (`KILN_LEASE_SECONDS`, default 30) */
  leaseSeconds: number;
  /** heartbeat interval told to runners (`KILN_HEARTBEAT_SECONDS`, default 10) */
  heartbeatSeconds: number;
  /** claims per run before it is failed (`KILN_MAX_ATTEMPTS`, default 3) */
  maxAttempts: number;
}

function intEnv(env: Record<string, string | undefined>, name: string, def: number, min = 1): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const MiB = 1024 * 1024;

/** The API configuration from `env` (throws one line naming a malformed variable). */
export function configFromEnv(env: Record<string, string | undefined> = process.env): ApiConfig {
  const maxArtifactBytes = intEnv(env, 'KILN_MAX_ARTIFACT_BYTES', 256 * MiB);
  const leaseSeconds = intEnv(env, 'KILN_LEASE_SECONDS', 30);
  return {
    maxUploadBytes: intEnv(env, 'KILN_MAX_UPLOAD_BYTES', 256 * MiB),
    maxArtifactBytes,
    maxUnzippedBytes: intEnv(env, 'KILN_MAX_UNZIPPED_BYTES', Math.min(4 * maxArtifactBytes, 1024 * MiB)),
    maxZipEntries: intEnv(env, 'KILN_MAX_ZIP_ENTRIES', 1000),
    maxJsonBytes: 1 * MiB,
    // The largest graph the validator accepts: every node at its params limit would be far
    // more; this bounds a realistic ceiling while keeping a body in memory affordable.
    maxGraphBytes: Math.max(16 * MiB, GRAPH_LIMITS.maxParamsBytes * 16),
    leaseSeconds,
    heartbeatSeconds: intEnv(env, 'KILN_HEARTBEAT_SECONDS', Math.max(1, Math.floor(leaseSeconds / 3))),
    maxAttempts: intEnv(env, 'KILN_MAX_ATTEMPTS', 3),
  };
}
