/**
 * One claimed run, start to finish: keep the lease alive, fetch the dataset versions, train with
 * the same executor as the browser and `kiln run`, stream events, upload the model package and
 * complete. A lost lease (409) abandons the run on the spot: no further upload or completion,
 * because another attempt owns it now.
 */
import { zipSync } from 'fflate';
import type { BackendInfo } from '../../lib/backend/index';
import { loadBuiltinDataset } from '../../lib/data/node';
import { KilnError, isKilnError } from '../../lib/errors';
import { runGraph } from '../../lib/exec/executor';
import { graphHash } from '../../lib/graph/canonical';
import type { Graph } from '../../lib/graph/schema';
import type { DataSource, ExecEvent } from '../../lib/nodes/types';
import { buildPackage } from '../../lib/package/package';
import { KILN_VERSION } from '../cli/version';
import { sandboxRunCustom } from '../sandbox/sandbox';
import { LeaseLostError, RunnerAuthError, type ClaimedRun, type RunnerClient } from './client';
import type { DatasetCache } from './dataset-cache';
import { EventBatcher } from './event-batcher';
import { selectTrainedModel } from './select-model';

/** How a run ended for this runner. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'released' | 'abandoned';

export interface RunJobContext {
  client: RunnerClient;
  cache: DatasetCache;
  backend: BackendInfo;
  heartbeatSeconds: number;
  log: (line: string) => void;
  /** events per batch and flush interval (defaults 50 and 200 ms) */
  eventBatch?: number;
  eventIntervalMs?: number;
}

/** Why the run's AbortController fired: the reason decides what is reported afterwards. */
type StopReason = 'cancel' | 'drain' | 'lost';

function oneLine(e: unknown): string {
  const msg = isKilnError(e) ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
  return msg.split('\n')[0]!.slice(0, 1000);
}

/** Metrics as JSON can carry them: a non-finite value becomes null. */
function jsonMetrics(m: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

/**
 * Runs one claimed run to its end. `drain` asks for a graceful hand-back: the run stops at the
 * next epoch boundary (or before it starts) and is released to the queue. Resolves with the
 * outcome; rejects only with `RunnerAuthError` (the runner cannot go on).
 */
export async function executeRun(run: ClaimedRun, ctx: RunJobContext, drain: AbortSignal): Promise<RunOutcome> {
  const { client, log } = ctx;
  const id = run.id;
  const short = id.slice(0, 8);
  const t0 = performance.now();
  const ac = new AbortController();
  let stopReason: StopReason | null = null;
  const stop = (why: StopReason) => {
    // A lost lease outranks everything: nothing may be reported after it.
    if (stopReason && why !== 'lost') return;
    stopReason = why;
    if (!ac.signal.aborted) ac.abort(new KilnError('CANCELLED', why === 'cancel' ? 'run cancelled' : why === 'drain' ? 'runner shutting down' : 'lease lost'));
  };

  const batcher = new EventBatcher({
    send: async (events) => {
      await client.postEvents(id, run.attemptToken, events);
    },
    ...(ctx.eventBatch ? { maxBatch: ctx.eventBatch } : {}),
    ...(ctx.eventIntervalMs ? { intervalMs: ctx.eventIntervalMs } : {}),
    onError: (e) => {
      if (e instanceof LeaseLostError) {
        stop('lost');
        batcher.close();
      } else log(`run ${short}: could not send events (${(e as Error).message}); will retry`);
    },
  });

  // Heartbeats renew the lease and carry cancel requests; a chain of timeouts never overlaps calls.
  let hbTimer: NodeJS.Timeout | null = null;
  let finished = false;
  const beat = async () => {
    try {
      const hb = await client.heartbeat(id, run.attemptToken, ctx.heartbeatSeconds * 1000);
      if (hb.cancelRequested) stop('cancel');
    } catch (e) {
      if (e instanceof LeaseLostError) {
        stop('lost');
        batcher.close();
      } else if (e instanceof RunnerAuthError) {
        stop('lost');
      } else log(`run ${short}: heartbeat failed (${(e as Error).message}); will retry`);
    }
    if (!finished && stopReason !== 'lost') hbTimer = setTimeout(() => void beat(), ctx.heartbeatSeconds * 1000);
  };
  hbTimer = setTimeout(() => void beat(), ctx.heartbeatSeconds * 1000);

  let started = false;
  const onDrain = () => {
    // Before training starts there is no epoch to wait for: stop right away.
    if (!started) stop('drain');
  };
  drain.addEventListener('abort', onDrain);

  const graph = run.graph as Graph;
  log(`run ${short} attempt ${run.attempt}: started${graph?.name ? ` (${graph.name})` : ''}`);
  // A claim answered after the stop began goes straight back.
  if (drain.aborted) stop('drain');
  try {
    if (ac.signal.aborted) throw ac.signal.reason;
    await Promise.all(Object.values(run.datasets).map((d) => ctx.cache.file(d)));
    if (ac.signal.aborted) throw ac.signal.reason;
    started = true;

    const loadData = async (ref: { builtin?: string; input?: string }): Promise<DataSource> => {
      if (ref.builtin) return loadBuiltinDataset(ref.builtin);
      const name = ref.input ?? '';
      // Own keys only: an input named `constructor` is not Object.prototype's.
      const d = Object.hasOwn(run.datasets, name) ? run.datasets[name] : undefined;
      if (!d) throw new KilnError('NO_DATA', `the graph reads input dataset "${name}" but the run was submitted without it`, { param: 'name' });
      return ctx.cache.load(d);
    };
    const onEvent = (e: ExecEvent) => {
      const { type, ...payload } = e;
      batcher.push(type, payload);
      // A drain waits for the epoch in progress, then stops the run at this boundary.
      if (type === 'epoch' && drain.aborted) stop('drain');
    };
    // Custom nodes run in a sandboxed child process per call, never in this process.
    const runCustom = sandboxRunCustom({ log });
    const result = await runGraph(run.graph, { loadData, signal: ac.signal, onEvent, runCustom });
    if (stopReason === 'lost') return abandoned();

    const { trained, evaluation } = selectTrainedModel(result.graph, result.outputs);
    if (trained) {
      const files = buildPackage(trained, {
        name: result.graph.name || `run-${short}`,
        ...(evaluation ? { evaluation } : {}),
        lineage: {
          graphHash: run.graphHash ?? graphHash(result.graph),
          datasetHashes: trained.frame.datasetHashes,
          backend: ctx.backend.name,
          device: ctx.backend.adapter,
          seed: trained.seed,
          kilnVersion: KILN_VERSION,
        },
        kilnVersion: KILN_VERSION,
      });
      // Weights are float noise to deflate; level 1 keeps the zip step from costing more than the upload.
      const zip = zipSync(Object.fromEntries(files), { level: 1 });
      await client.uploadModel(id, run.attemptToken, zip);
    }
    await batcher.flush();
    await client.complete(id, run.attemptToken, {
      status: 'succeeded',
      metrics: evaluation ? jsonMetrics(evaluation.metrics) : {},
      gates: evaluation?.gates ?? [],
      backend: ctx.backend.name,
      device: ctx.backend.adapter,
    });
    const m = evaluation ? Object.entries(evaluation.metrics).slice(0, 2).map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : v}`) : [];
    log(`run ${short}: succeeded in ${((performance.now() - t0) / 1000).toFixed(1)} s${m.length ? ` (${m.join(', ')})` : ''}`);
    return 'succeeded';
  } catch (e) {
    if (e instanceof RunnerAuthError) throw e;
    if (stopReason === 'lost' || e instanceof LeaseLostError) return abandoned();
    try {
      if (stopReason === 'drain') {
        await batcher.flush();
        await client.release(id, run.attemptToken, 'runner shutting down');
        log(`run ${short}: handed back to the queue (runner shutting down)`);
        return 'released';
      }
      if (stopReason === 'cancel') {
        await batcher.flush();
        await client.complete(id, run.attemptToken, { status: 'cancelled', backend: ctx.backend.name, device: ctx.backend.adapter, error: 'cancelled on request' });
        log(`run ${short}: cancelled`);
        return 'cancelled';
      }
      const error = oneLine(e);
      await batcher.flush();
      await client.complete(id, run.attemptToken, { status: 'failed', error, backend: ctx.backend.name, device: ctx.backend.adapter });
      log(`run ${short}: failed: ${error}`);
      return 'failed';
    } catch (e2) {
      if (e2 instanceof RunnerAuthError) throw e2;
      if (e2 instanceof LeaseLostError) return abandoned();
      // The server could not be told; the lease will expire and the queue retries the run.
      log(`run ${short}: could not report the result (${(e2 as Error).message}); leaving it to the lease`);
      return 'abandoned';
    }
  } finally {
    finished = true;
    if (hbTimer) clearTimeout(hbTimer);
    drain.removeEventListener('abort', onDrain);
    batcher.close();
  }

  function abandoned(): RunOutcome {
    log(`run ${short}: lease lost, abandoned (another attempt owns the run)`);
    return 'abandoned';
  }
}
