/**
 * One loaded model version: the package's manifest, the tfjs predictor (always: it validates the
 * package and checks its shapes), the compiled forward pass when the members are plain dense
 * stacks, and a micro-batcher for the tfjs path. Prediction goes records → the packaged
 * preprocessing (the very `applySteps` / `featureMatrix` of evaluation) → model.
 */
import * as tf from '@tensorflow/tfjs';
import { KilnError } from '../../lib/errors';
import { compileMembers, type CompiledModel } from '../../lib/package/compiled';
import type { Manifest } from '../../lib/package/manifest';
import { formatPredictions, PackagePredictor, type PredictionResult } from '../../lib/package/package-predictor';
import { applySteps, featureMatrix } from '../../lib/package/predictor';
import { recordsToTable } from '../../lib/package/records';
import { readPackage, type PackageFiles } from '../../lib/package/validate';
import { MicroBatcher, settle, type Done } from './batcher';

export type BatchMode = 'auto' | 'on' | 'off';

export interface LoadOptions {
  /** most records in one request (checked by the server before this) */
  maxInstances: number;
  /**
   * micro-batching of concurrent requests: `auto` and `on` batch (measured on the cars MLP with
   * wrk, 16 connections: 2.2× the requests/s of `off` on the compiled path too, since replies
   * are then written together from one setImmediate), `off` predicts each request on its own
   */
  batch?: BatchMode;
  /** disable the compiled path (tests compare the two) */
  compiled?: boolean;
}

/** A loaded version, shared by requests; `refs` counts requests in flight on it. */
export class LoadedVersion {
  refs = 0;
  /**
   * Body bytes per instance, measured on this version's requests (an exponential average),
   * starting from the example record's JSON: admission's estimate of a body's instances from its
   * Content-Length before reading it.
   */
  bytesPerInstance: number;
  private retired = false;
  private disposed = false;
  private readonly batcher: MicroBatcher<PredictionResult> | null;

  private constructor(
    readonly version: number,
    readonly manifest: Manifest,
    private readonly predictor: PackagePredictor,
    readonly compiled: CompiledModel | null,
    batch: BatchMode,
  ) {
    this.bytesPerInstance = JSON.stringify(exampleRecord(manifest)).length + 1;
    const useBatch = batch !== 'off';
    this.batcher = useBatch ? new MicroBatcher<PredictionResult>((records) => this.predictNow(records), 256) : null;
  }

  /**
   * Validates and loads a package, compiles it when it can, and predicts once (a warm-up, and a
   * last check that the package answers) before anyone routes to it.
   * @throws KilnError any package or load error; `WARMUP_FAILED` when the warm-up prediction fails.
   */
  static async load(version: number, files: PackageFiles, opts: LoadOptions): Promise<LoadedVersion> {
    const { manifest, members } = readPackage(files);
    const predictor = await PackagePredictor.load(tf, files);
    const compiled = opts.compiled === false ? null : compileMembers(manifest, members);
    const lv = new LoadedVersion(version, manifest, predictor, compiled, opts.batch ?? 'auto');
    try {
      await lv.predictNow([exampleRecord(manifest)]);
    } catch (e) {
      lv.dispose();
      throw new KilnError('WARMUP_FAILED', `version ${version}: the warm-up prediction failed (${(e as Error).message})`);
    }
    return lv;
  }

  /** Learns bytes per instance from a parsed body (only bodies of several instances: one-instance bodies are mostly envelope). */
  learnBytes(bytes: number, instances: number): void {
    if (instances < 4) return;
    this.bytesPerInstance = this.bytesPerInstance * 0.9 + (bytes / instances) * 0.1;
  }

  /** `compiled` or `tfjs`: which forward pass answers. */
  get engine(): 'compiled' | 'tfjs' {
    return this.compiled ? 'compiled' : 'tfjs';
  }

  /**
   * Predicts for already-parsed request records; `done` gets the predictions or a `KilnError`
   * naming the record and field (`INVALID_RECORD`, `MISSING_VALUE` …).
   */
  predict(records: unknown[], done: Done<PredictionResult>): void {
    if (this.batcher) {
      this.batcher.submit(records, done);
      return;
    }
    settle(() => this.predictNow(records), done);
  }

  /** Synchronous on the compiled path, so a request is answered within the tick that read it. */
  private predictNow(records: unknown[]): PredictionResult[] | Promise<PredictionResult[]> {
    if (!this.compiled) return this.predictor.predict(records, { maxRecords: Number.MAX_SAFE_INTEGER });
    const { manifest } = this;
    const table = applySteps(manifest.preprocessing, recordsToTable(records, manifest.inputSchema, { maxRecords: Number.MAX_SAFE_INTEGER }));
    let x: Float32Array;
    try {
      x = featureMatrix(table, manifest.features);
    } catch (e) {
      throw renumber(e);
    }
    return formatPredictions(manifest, this.compiled.predictMatrix(x, table.nRows));
  }

  /** No new requests will be routed here; dispose once the last one in flight finishes. */
  retire(): void {
    this.retired = true;
    if (this.refs === 0) this.dispose();
  }

  acquire(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.retired && this.refs === 0) this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.predictor.dispose();
  }
}

/** featureMatrix numbers table rows from 1; a request's records are numbered from 0 (as PackagePredictor does). */
function renumber(e: unknown): unknown {
  if (e instanceof KilnError && e.code === 'MISSING_VALUE' && e.where.row !== undefined && e.where.column !== undefined) {
    const i = e.where.row - 1;
    return new KilnError('MISSING_VALUE', `record ${i}: "${e.where.column}" is missing (null) and the model's preprocessing does not impute it`, {
      row: i,
      column: e.where.column,
      path: `[${i}]`,
    });
  }
  return e;
}


type StepState = { columns?: unknown; fills?: unknown };

/**
 * A plausible raw record for a package: for each input field a value the training data would
 * hold, read from the fitted preprocessing (imputation fills, scaler means, min-max midpoints,
 * known categories). Used for the warm-up prediction and the OpenAPI example, so both are
 * requests a user could send as they are.
 */
export function exampleRecord(manifest: Manifest): Record<string, unknown> {
  const hints = new Map<string, number | string>();
  for (const step of manifest.preprocessing) {
    const st = (step.state ?? {}) as StepState;
    for (const list of [st.fills, st.columns]) {
      if (!Array.isArray(list)) continue;
      for (const c of list as Record<string, unknown>[]) {
        if (!c || typeof c.column !== 'string' || hints.has(c.column)) continue;
        if (typeof c.value === 'number' || typeof c.value === 'string') hints.set(c.column, c.value);
        else if (typeof c.mean === 'number') hints.set(c.column, c.mean);
        else if (typeof c.min === 'number' && typeof c.max === 'number') hints.set(c.column, (c.min + c.max) / 2);
        else if (Array.isArray(c.categories) && typeof c.categories[0] === 'string') hints.set(c.column, c.categories[0]);
      }
    }
  }
  // Keyed by input names (data): no prototype, so an input named `__proto__` gets its value.
  const rec = Object.create(null) as Record<string, unknown>;
  for (const f of manifest.inputSchema) {
    const h = hints.get(f.name);
    if (f.type === 'categorical') rec[f.name] = typeof h === 'string' ? h : (f.categories?.[0] ?? 'a');
    else if (f.type === 'boolean') rec[f.name] = false;
    else if (f.type === 'date') rec[f.name] = new Date(typeof h === 'number' && Number.isFinite(h) ? Math.round(h) : 0).toISOString();
    else rec[f.name] = typeof h === 'number' && Number.isFinite(h) ? Number(h.toPrecision(6)) : 0;
  }
  return rec;
}
