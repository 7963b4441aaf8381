/**
 * Dataset uploads (`PUT /api/datasets?project=&name=&format=`) and the by-hash check clients use
 * to skip re-uploading content the server already has. The body streams to the artifact store
 * while it is hashed and counted; a body over the limit is refused (413) before it is read when
 * its length is declared, and cut off with nothing left behind when it is not.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { dataGuard } from '../../lib/data/limits';
import { KilnError } from '../../lib/errors';
import { parsePool } from '../data/parse-pool';
import { boundedSchema, schemaTruncated } from '../data/bounded';
import { loadBuiltinDataset } from '../../lib/data/node';
import { findDatasetByHash, insertDatasetVersion } from '../db/catalog';
import { datasets, type Dataset } from '../db/schema';
import { recordDatasetValidation, type DatasetValidation } from '../data/validation';
import { checkDeclaredLength, limitedBody } from './body';
import { datasetFileResponse } from './dataset-file';
import type { ApiContext, RouteContext } from './context';
import { errorJson, json } from './errors';
import { findProjectByName, projectNameSchema } from './lookup';
import { createProjectFor } from '../auth/access';

const datasetNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.()-]*$/, 'dataset names use letters, digits, spaces and _ . ( ) -');

function param<T extends z.ZodType>(url: URL, name: string, schema: T): z.infer<T> {
  const r = schema.safeParse(url.searchParams.get(name) ?? undefined);
  if (!r.success) throw new KilnError('BAD_REQUEST', `query parameter "${name}": ${r.error.issues[0]!.message}`);
  return r.data;
}

/**
 * What an upload answers (and GET by-hash): the version without its statistics or storage key,
 * category names in its schema cut to `maxChars` (a cell may be a megabyte).
 */
function describe(d: Dataset, created: boolean, maxChars: number, validation?: DatasetValidation) {
  return {
    id: d.id,
    projectId: d.projectId,
    name: d.name,
    hash: d.hash,
    format: d.format,
    bytes: d.bytes,
    rows: d.rows,
    schema: boundedSchema(d.schema, maxChars),
    truncated: schemaTruncated(d.schema, maxChars),
    createdAt: d.createdAt,
    created,
    // Anomalies against the previous version's schema (or the project's saved schema of the name).
    anomalies: validation?.anomalies ?? d.anomalies ?? [],
    validatedAgainst: validation?.against ?? d.validatedAgainst ?? null,
  };
}

/** The chunks of `body`, each checked by `guard` before it is passed on: a limit stops the stream. */
async function* checked(body: AsyncIterable<Uint8Array>, guard: ReturnType<typeof dataGuard>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    guard.push(chunk);
    yield chunk;
  }
  guard.end();
}

async function findVersion(ctx: ApiContext, projectId: string, name: string, hash: string): Promise<Dataset | null> {
  const [row] = await ctx.db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, projectId), eq(datasets.name, name), eq(datasets.hash, hash)));
  return row ?? null;
}

/** `PUT /api/datasets?project=P&name=N&format=csv|json` with the raw file as the body. */
export async function uploadDatasetHandler(ctx: RouteContext, req: Request): Promise<Response> {
  const url = new URL(req.url);
  // Refuse an oversized declared body before any other work, and before a byte of it is read.
  checkDeclaredLength(req, ctx.config.maxUploadBytes, 'dataset upload');
  const projectName = param(url, 'project', projectNameSchema);
  const name = param(url, 'name', datasetNameSchema);
  const fromExt = /\.(csv|json)$/i.exec(name)?.[1]?.toLowerCase();
  const format = param(url, 'format', z.enum(['csv', 'json']).optional()) ?? (fromExt as 'csv' | 'json' | undefined);
  if (!format) throw new KilnError('BAD_REQUEST', 'query parameter "format": expected csv or json (or a name ending in .csv / .json)');
  // The key is the server's own; the client's name only labels the version.
  const key = `datasets/${randomUUID()}.${format}`;
  // Columns, cells, rows, nesting and UTF-8 are checked as the bytes arrive: a 200 MB cell is
  // refused after about a megabyte, and the partial file is removed by the store.
  const guard = dataGuard(format, name, ctx.config.data);
  const put = await ctx.store.put(key, checked(limitedBody(req, ctx.config.maxUploadBytes, 'dataset upload'), guard));
  let keep = false;
  try {
    const known = await findProjectByName(ctx.db, projectName);
    const existing = known ? await findVersion(ctx, known.id, name, put.sha256) : null;
    if (existing) return json(describe(existing, false, ctx.config.maxShownCellChars));
    const bytes = await ctx.store.getBytes(key);
    if (!bytes) throw new Error(`stored upload ${key} vanished`);
    // Parsed in the worker, off this event loop. A file that does not parse throws a KilnError,
    // answered with its catalog status; one with no rows or columns is EMPTY_DATASET.
    const summary = await parsePool(ctx.log, { maxHeapMiB: ctx.config.parseMemoryMiB }).summary(name, format, bytes);
    // Only a file that parses makes the project exist: a bad upload leaves nothing behind.
    const project = known ?? (await createProjectFor(ctx.db, ctx.grant.user!, projectName));
    const row = await insertDatasetVersion(ctx.db, {
      projectId: project.id,
      name,
      hash: put.sha256,
      format,
      bytes: put.bytes,
      rows: summary.rows,
      schema: summary.schema,
      stats: summary.stats,
      sketch: summary.sketch,
      dataSchema: summary.dataSchema,
      storageKey: key,
    });
    // A concurrent upload of the same content may have won the insert: then its file is the one kept.
    keep = row.storageKey === key;
    // The version is stored whatever validation finds; a validation that fails is said, not fatal.
    let validation: DatasetValidation | undefined;
    let validationError: string | undefined;
    if (keep) {
      try {
        validation = await recordDatasetValidation(ctx.db, row);
      } catch (e) {
        validationError = (e as Error).message.split('\n')[0]!;
        (ctx.log ?? console.error)(`kiln server: dataset ${row.id} ("${name}") stored, but validating it failed: ${validationError}`);
      }
    }
    return json({ ...describe(row, keep, ctx.config.maxShownCellChars, validation), ...(validationError ? { validationError } : {}) });
  } finally {
    if (!keep) await ctx.store.delete(key).catch(() => undefined);
  }
}

/**
 * `HEAD|GET /api/datasets/by-hash/:sha256?project=P`: 200 when the project already stores this
 * content (GET answers the version as JSON, HEAD the same in `x-kiln-dataset-id`), 404 otherwise.
 */
export async function datasetByHashHandler(ctx: RouteContext, req: Request, hash: string): Promise<Response> {
  const url = new URL(req.url);
  if (!/^[0-9a-f]{64}$/.test(hash)) return errorJson('BAD_REQUEST', 'a content hash is 64 lowercase hex digits (SHA-256 of the file)');
  const projectName = param(url, 'project', projectNameSchema);
  const project = await findProjectByName(ctx.db, projectName);
  const d = project ? await findDatasetByHash(ctx.db, project.id, hash) : null;
  if (!d) return errorJson('NOT_FOUND', `project "${projectName}" has no dataset with content ${hash}`);
  return json(describe(d, false, ctx.config.maxShownCellChars), 200, { 'x-kiln-dataset-id': d.id });
}

/**
 * `GET /api/datasets/:id/file`: the stored file of a dataset version, for the studio's browser
 * runs and previews. (Runners use `/api/runner/datasets/:id` with their token.) Versions are
 * immutable, so the answer may be cached for good.
 */
export function datasetFileHandler(ctx: RouteContext, _req: Request, datasetId: string): Promise<Response> {
  return datasetFileResponse(ctx, datasetId, (d) => ({
    'x-kiln-dataset-name': encodeURIComponent(d.name),
    'x-kiln-format': d.format,
    'cache-control': 'private, max-age=31536000, immutable',
  }));
}

/** `GET /api/datasets/builtin/:name`: a vega-datasets file by name (`cars`, `penguins.json`), as the executor reads it. */
export async function builtinDatasetHandler(_ctx: RouteContext, _req: Request, name: string): Promise<Response> {
  // An unknown name throws UNKNOWN_DATASET, a 404 in the catalog.
  const src = await loadBuiltinDataset(decodeURIComponent(name));
  return new Response(src.text, {
    status: 200,
    headers: {
      'content-type': src.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      'x-kiln-dataset-name': encodeURIComponent(src.name),
      'x-kiln-format': src.format,
      'cache-control': 'public, max-age=3600',
    },
  });
}
