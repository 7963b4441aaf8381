/**
 * The serveability check (TFX's InfraValidator): a version is READY only when its package loads
 * in the serving runtime and answers a sample request within a latency budget. Run once, when a
 * version is registered; a package that fails it is FAILED with the reason and can never take
 * an alias.
 */
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../lib/backend/node';
import { isKilnError } from '../../lib/errors';
import { DEFAULT_SERVEABILITY_BUDGET_MS } from '../config';
import { PackagePredictor, type PredictionResult } from '../../lib/package/package';
import { readPackageZip, type ZipLimits } from '../../lib/package/zip';
import { sampleRecord } from './sample';

export interface ServeabilityOptions {
  /** load + predict must finish within this (default 500 ms; the API passes `KILN_SERVEABILITY_BUDGET_MS`) */
  budgetMs?: number;
  /** tfjs backend of the serving runtime: cpu (default) or wasm */
  backend?: 'cpu' | 'wasm';
  limits?: ZipLimits;
}

export type ServeabilityResult =
  | { ok: true; latencyMs: number; sample: Record<string, unknown>; prediction: PredictionResult }
  | { ok: false; reason: string; latencyMs?: number };

const DEFAULT_LIMITS: ZipLimits = { maxUnzippedBytes: 1024 * 1024 * 1024, maxZipEntries: 1000 };

function message(e: unknown): string {
  const m = isKilnError(e) || e instanceof Error ? e.message : String(e);
  return m.split('\n')[0]!.slice(0, 500);
}

/** A prediction that is not a finite number or a proper probability vector would be served as garbage. */
function badPrediction(p: PredictionResult | undefined): string | null {
  if (!p) return 'the model returned no prediction';
  if ('prediction' in p) return Number.isFinite(p.prediction) ? null : `the model predicted ${String(p.prediction)}`;
  const probs = Object.values(p.probabilities);
  if (probs.some((x) => !Number.isFinite(x))) return 'the model returned a non-finite class probability';
  return null;
}

/**
 * Loads the zipped package in the serving runtime, predicts one sample record built from the
 * package's own training statistics, and disposes it. Never throws: every failure is a reason.
 */
export async function checkServeability(zip: Uint8Array, opts: ServeabilityOptions = {}): Promise<ServeabilityResult> {
  const budget = opts.budgetMs ?? DEFAULT_SERVEABILITY_BUDGET_MS;
  try {
    await initNodeBackend(opts.backend ?? 'cpu');
  } catch (e) {
    return { ok: false, reason: `the serving runtime could not start (${message(e)})` };
  }
  const t0 = performance.now();
  let predictor: PackagePredictor | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const work = (async () => {
    const { files, manifest } = readPackageZip(zip, opts.limits ?? DEFAULT_LIMITS);
    predictor = await PackagePredictor.load(tf, files);
    const sample = sampleRecord(manifest);
    const [prediction] = await predictor.predict([sample]);
    return { sample, prediction };
  })();
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), budget);
  });
  try {
    const r = await Promise.race([work, timeout]);
    const latencyMs = performance.now() - t0;
    if (r === 'timeout') {
      timedOut = true;
      // The load keeps running; whatever it loads is released when it ends.
      void work.then(() => predictor?.dispose(), () => predictor?.dispose());
      return { ok: false, reason: `serveability: no answer to a sample request within the ${budget} ms budget (load + predict)`, latencyMs };
    }
    const bad = badPrediction(r.prediction);
    if (bad) return { ok: false, reason: `serveability: ${bad} for the sample record ${JSON.stringify(r.sample).slice(0, 300)}`, latencyMs };
    if (latencyMs > budget) return { ok: false, reason: `serveability: load + predict took ${latencyMs.toFixed(0)} ms, over the ${budget} ms budget`, latencyMs };
    return { ok: true, latencyMs, sample: r.sample, prediction: r.prediction! };
  } catch (e) {
    return { ok: false, reason: `serveability: ${message(e)}`, latencyMs: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    if (!timedOut) predictor?.dispose();
  }
}
