/**
 * `kiln submit`: the CI/CD entry point. Validates the graph locally, uploads each input dataset
 * once (content-addressed: a file the server already holds is not sent again), queues a run and,
 * with `--wait`, follows it to the end. The exit code tells a pipeline whether the model shipped.
 */
import { authHeaders } from './credentials';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { TRPC_MAX_BATCH } from '../http/trpc-limits';
import { KilnError } from '../../lib/errors';
import { formatDiagnostic, validateGraph } from '../../lib/graph/validate';
import type { AppRouter } from '../trpc/root';
import { readJsonFile, serverBase } from './io';
import { parseDataSpecs } from './run';
import { graphInputDatasets } from '../../lib/nodes/graph-queries';
import type { Anomaly } from '../../lib/sketch/anomalies';
import type { SkewReport } from '../data/skew';
import { anomalyLines } from './schema';

export interface SubmitOptions {
  data: string[];
  server: string;
  project: string;
  wait?: boolean;
  json?: boolean;
  backend: string;
  /** registered model to check skew against (default: the project's model in production) */
  model?: string;
  /** poll interval while waiting (ms) */
  pollMs?: number;
}

interface IO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

/** SHA-256 (hex) and size of a file, streamed so a large dataset is never held in memory. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}


/** fetch that turns "fetch failed" into one line naming the server. */
async function call(url: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: { ...authHeaders(url), ...(init.headers as Record<string, string> | undefined) } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new KilnError('SERVER_UNREACHABLE', `cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: string };
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON
  }
  return text.split('\n')[0]?.slice(0, 300) || res.statusText;
}

/**
 * Makes sure the server holds this file's content in the project; returns the dataset version id.
 * `HEAD /api/datasets/by-hash/:sha` first; the upload streams the file only when it is missing.
 */
async function ensureDataset(base: string, project: string, path: string, log: (s: string) => void): Promise<{ id: string; uploaded: boolean; anomalies: Anomaly[] }> {
  const ext = extname(path).toLowerCase();
  const format = ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : null;
  if (!format) throw new KilnError('UNSUPPORTED_FORMAT', `${path}: unsupported data file extension ${ext || '(none)'} (expected .csv or .json)`, { file: path });
  const st = await stat(path).catch(() => null);
  if (!st?.isFile()) throw new KilnError('FILE_NOT_FOUND', `${path}: no such file`, { file: path });
  const { sha256, bytes } = await hashFile(path);
  const q = `project=${encodeURIComponent(project)}`;
  const head = await call(`${base}/api/datasets/by-hash/${sha256}?${q}`, { method: 'HEAD' });
  const known = head.headers.get('x-kiln-dataset-id');
  if (head.ok && known) {
    log(`${basename(path)}: already on the server (${sha256.slice(0, 12)}), not uploading`);
    return { id: known, uploaded: false, anomalies: [] };
  }
  if (head.status === 401 || head.status === 403) throw new KilnError('UNAUTHORIZED', `${base} refused the request (${head.status})`);
  log(`${basename(path)}: uploading ${(bytes / 1024).toFixed(0)} KiB`);
  const res = await call(`${base}/api/datasets?${q}&name=${encodeURIComponent(basename(path))}&format=${format}`, {
    method: 'PUT',
    headers: { 'content-type': format === 'csv' ? 'text/csv' : 'application/json', 'content-length': String(bytes) },
    body: Readable.toWeb(createReadStream(path)) as unknown as BodyInit,
    duplex: 'half',
  });
  if (!res.ok) throw new KilnError('UPLOAD_FAILED', `${path}: upload failed (${res.status}: ${await errorText(res)})`, { file: path });
  const body = (await res.json()) as { id?: string; dataset?: { id?: string }; anomalies?: Anomaly[] };
  const id = body.dataset?.id ?? body.id;
  if (!id) throw new KilnError('UPLOAD_FAILED', `${path}: the server answered the upload without a dataset id`, { file: path });
  const anomalies = Array.isArray(body.anomalies) ? body.anomalies : [];
  // Against the previous version's schema (or the project's saved schema of the name).
  if (anomalies.length) log([`${basename(path)}: ${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'} against the previous version's schema`, ...anomalyLines(anomalies)].join('\n'));
  return { id, uploaded: true, anomalies };
}

/** tRPC errors and network failures as one line. */
function trpcError(e: unknown, base: string): KilnError {
  if (e instanceof TRPCClientError) {
    const cause = (e.cause as { cause?: { code?: string } } | undefined)?.cause;
    if (/fetch failed/i.test(e.message)) return new KilnError('SERVER_UNREACHABLE', `cannot reach ${base} (${cause?.code ?? e.message})`);
    return new KilnError('SUBMIT_FAILED', e.message.split('\n')[0]!);
  }
  return e instanceof KilnError ? e : new KilnError('SUBMIT_FAILED', (e as Error)?.message ?? String(e));
}

function fmt(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

/** `kiln submit`: returns the exit code (0 queued / succeeded, 1 failed or cancelled or error, 3 gate failed). */
export async function submitCommand(file: string, o: SubmitOptions, io: IO): Promise<number> {
  const doc = await readJsonFile(file);
  const v = validateGraph(doc);
  if (!v.ok || !v.graph) {
    for (const d of v.diagnostics.slice(0, 20)) io.err(`kiln: error: ${file}: ${formatDiagnostic(d)}\n`);
    return 1;
  }
  if (!['auto', 'webgpu', 'wasm', 'cpu'].includes(o.backend)) throw new KilnError('BAD_OPTION', `--backend must be webgpu, wasm, cpu or auto, got "${o.backend}"`);
  if (!o.project.trim()) throw new KilnError('BAD_OPTION', '--project must not be empty');
  const graph = v.graph;
  const base = serverBase(o.server);
  const progress = (s: string) => {
    if (!o.json) io.err(`${s}\n`);
  };

  // Every input the graph reads needs a file, and every NAME=FILE must name an input.
  const inputs = [...graphInputDatasets(graph).keys()];
  const specs = parseDataSpecs(o.data);
  for (const name of specs.keys()) {
    if (name !== '*' && !inputs.includes(name)) {
      throw new KilnError('BAD_OPTION', `--data ${name}=…: the graph has no input dataset "${name}"${inputs.length ? ` (inputs: ${inputs.join(', ')})` : ''}`);
    }
  }
  // Keyed by input names, which may be `__proto__` or `constructor`: no prototype.
  const datasets = Object.create(null) as Record<string, string>;
  const uploads: { input: string; datasetId: string; uploaded: boolean; anomalies: Anomaly[] }[] = [];
  for (const name of inputs) {
    const path = specs.get(name) ?? specs.get('*');
    if (!path) throw new KilnError('NO_DATA', `${file}: the graph reads input dataset "${name}": pass --data FILE or --data ${name}=FILE`);
    const up = await ensureDataset(base, o.project, path, progress);
    datasets[name] = up.id;
    uploads.push({ input: name, datasetId: up.id, uploaded: up.uploaded, anomalies: up.anomalies });
  }

  const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${base}/api/trpc`, maxItems: TRPC_MAX_BATCH, headers: () => authHeaders(base) })] });
  let runId: string;
  let skew: SkewReport | null;
  try {
    const r = await trpc.runs.submit.mutate({ projectName: o.project, graph: doc as never, datasets, ...(o.model ? { model: o.model } : {}), options: { backend: o.backend as 'auto' | 'webgpu' | 'wasm' | 'cpu' } });
    runId = r.runId;
    skew = r.skew as SkewReport | null;
  } catch (e) {
    throw trpcError(e, base);
  }
  // Training/serving skew against the model in production: reported, not blocking (unless the server's KILN_SKEW_BLOCKS_RUNS refused the run above).
  if (skew) {
    const head = `skew: input "${skew.input}" against ${skew.model} v${skew.version} (production) training data: ${skew.anomalies.length ? `${skew.anomalies.length} anomal${skew.anomalies.length === 1 ? 'y' : 'ies'}` : 'no anomalies'}`;
    progress([head, ...anomalyLines(skew.anomalies)].join('\n'));
  }
  const extra = { uploads, skew };

  if (!o.wait) {
    if (o.json) io.out(`${JSON.stringify({ runId, status: 'queued', metrics: null, backend: null, device: null, gates: null, ...extra })}\n`);
    else io.out(`run ${runId} queued\n`);
    return 0;
  }

  // Follow the run: events (per-epoch progress) and status, until it is finished.
  let afterId = 0;
  let lastStatus = '';
  const pollMs = o.pollMs ?? 500;
  let run: Awaited<ReturnType<typeof trpc.runs.get.query>>;
  for (;;) {
    try {
      const ev = await trpc.runs.events.query({ runId, afterId });
      // The latest epoch of each train node per poll: a line or two a second, however fast training is.
      const latest = new Map<string, { epoch?: number; loss?: number; valLoss?: number }>();
      for (const e of ev.events) {
        afterId = Math.max(afterId, e.id);
        if (e.type === 'epoch') {
          const p = e.payload as { nodeId?: string; metrics?: { epoch?: number; loss?: number; valLoss?: number } };
          latest.set(p.nodeId ?? '', p.metrics ?? {});
        } else if (e.type === 'log' && (e.payload as { level?: string }).level === 'warn') {
          const p = e.payload as { nodeId?: string; message?: string };
          progress(`  ! ${p.nodeId ?? ''}: ${p.message ?? ''}`);
        }
      }
      for (const [nodeId, m] of latest) progress(`  ${nodeId} epoch ${m.epoch ?? '?'} loss ${fmt(m.loss)}${m.valLoss !== undefined ? ` val ${fmt(m.valLoss)}` : ''}`);
      run = await trpc.runs.get.query({ id: runId });
    } catch (e) {
      throw trpcError(e, base);
    }
    if (run.status !== lastStatus) {
      lastStatus = run.status;
      progress(`run ${runId.slice(0, 8)}: ${run.status}${run.status === 'running' && run.backend ? ` on ${run.backend}` : ''}`);
    }
    if (FINISHED.has(run.status)) break;
    await sleep(pollMs);
  }

  const metrics = (run.metrics ?? {}) as Record<string, number | null>;
  const gates = (run.gates ?? []) as { expr: string; passed: boolean; value: number | null }[];
  if (o.json) {
    io.out(`${JSON.stringify({ runId, status: run.status, metrics, backend: run.backend ?? null, device: run.device ?? null, gates, ...(run.error ? { error: run.error } : {}), ...extra })}\n`);
  } else {
    io.out(`run ${runId} ${run.status}${run.backend ? ` on ${run.backend}${run.device ? ` (${run.device})` : ''}` : ''}\n`);
    if (run.error) io.out(`  error: ${run.error}\n`);
    for (const [k, val] of Object.entries(metrics)) io.out(`  ${k.padEnd(10)} ${fmt(val)}\n`);
    for (const g of gates) io.out(`  gate ${g.passed ? 'passed' : 'FAILED'}: ${g.expr} (value ${fmt(g.value)})\n`);
  }
  if (run.status !== 'succeeded') return 1;
  // A failed quality gate fails the pipeline, as with `kiln run`, though the run itself succeeded.
  return gates.some((g) => !g.passed) ? 3 : 0;
}
