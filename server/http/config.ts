/** Limits and timings of the HTTP API, from the parsed settings (server/config). */
import type { DataLimits } from '../../lib/data/limits';
import { GRAPH_LIMITS } from '../../lib/graph/schema';
import { DEFAULT_SERVING_URL, type KilnConfig } from '../config';

export interface ApiConfig {
  /** largest dataset upload (`KILN_MAX_UPLOAD_BYTES`, default 256 MiB) */
  maxUploadBytes: number;
  /** largest model package zip (`KILN_MAX_ARTIFACT_BYTES`, default 256 MiB) */
  maxArtifactBytes: number;
  /** cap on the unzipped size of a model package (`KILN_MAX_UNZIPPED_BYTES`, default 4 × maxArtifactBytes, at most 1 GiB) */
  maxUnzippedBytes: number;
  /** cap on the number of files in a model package zip (`KILN_MAX_ZIP_ENTRIES`) */
  maxZipEntries: number;
  /** limits of a dataset file, checked while an upload streams in (`KILN_MAX_COLUMNS` …) */
  data: DataLimits;
  /** heap of the dataset parse worker in MiB (`KILN_PARSE_MEMORY_MB`; undefined: V8's default) */
  parseMemoryMiB: number | undefined;
  /** longest cell text a preview or listing carries; longer text is cut and ends with "…" */
  maxShownCellChars: number;
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
  /** refuse a run whose data skews from the model's training data (`KILN_SKEW_BLOCKS_RUNS`; default: report only) */
  skewBlocksRuns?: boolean;
  /** latency budget of the serveability check at registration (`KILN_SERVEABILITY_BUDGET_MS`) */
  serveabilityBudgetMs: number;
  /** where apps reach the serving process: the base URL of endpoint snippets (`KILN_SERVING_URL`) */
  servingUrl: string;
  /**
   * The studio's own origins (`http://<name>:<port>` for each name the server answers), sent to
   * serving in its config: every endpoint accepts browser calls from them (the "try it" form).
   * server/main.ts sets them once it knows its port.
   */
  studioOrigins: string[];
}

const MiB = 1024 * 1024;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** `http://<name>:<port>` for each host name (IPv6 in brackets), without duplicates. */
export function studioOrigins(names: Iterable<string>, port: number): string[] {
  const out = new Set<string>();
  for (const n of names) {
    if (!n || n === '*') continue;
    out.add(`http://${n.includes(':') ? `[${n}]` : n}:${port}`);
  }
  return [...out].sort();
}

/** The API configuration from the parsed settings (server/config). */
export function apiConfig(c: Pick<KilnConfig, 'api' | 'data' | 'serving' | 'serveabilityBudgetMs' | 'port' | 'host' | 'allowedHosts'>, servingUrl: string = c.serving.url ?? DEFAULT_SERVING_URL): ApiConfig {
  return {
    ...c.api,
    data: { maxColumns: c.data.maxColumns, maxCellBytes: c.data.maxCellBytes, maxRowBytes: c.data.maxRowBytes, maxRows: c.data.maxRows, maxJsonDepth: c.data.maxJsonDepth },
    parseMemoryMiB: c.data.parseMemoryMiB,
    maxShownCellChars: 1000,
    serveabilityBudgetMs: c.serveabilityBudgetMs,
    maxJsonBytes: 1 * MiB,
    // The largest graph the validator accepts: every node at its params limit would be far
    // more; this bounds a realistic ceiling while keeping a body in memory affordable.
    maxGraphBytes: Math.max(16 * MiB, GRAPH_LIMITS.maxParamsBytes * 16),
    servingUrl,
    // Until the server knows better (server/main.ts): the names it answers on its configured port.
    studioOrigins: studioOrigins([...LOOPBACK_NAMES, c.host, ...(c.allowedHosts ?? [])], c.port),
  };
}
