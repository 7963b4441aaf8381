/**
 * Predicting with a model package: raw request records → packaged preprocessing → model. The
 * same `applySteps` and `featureMatrix` as evaluation, so training and serving cannot skew.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { KilnError } from '../errors';
import type { Table } from '../data/table';
import type { Manifest } from './manifest';
import { ModelRunner, applySteps, featureMatrix, type Predictions } from './predictor';
import { recordsToTable, type RecordsOptions } from './records';
import { readPackage, type PackageFiles } from './validate';

type TF = typeof tfTypes;

export interface RegressionPrediction {
  prediction: number;
}

export interface ClassificationPrediction {
  /** the most probable class */
  label: string;
  /** probability per class label */
  probabilities: Record<string, number>;
}

export type PredictionResult = RegressionPrediction | ClassificationPrediction;

/**
 * A loaded model package, ready to predict. Holds tfjs tensors (the members' weights) until
 * {@link PackagePredictor.dispose}.
 */
export class PackagePredictor {
  private constructor(
    /** the validated manifest */
    readonly manifest: Manifest,
    private readonly runner: ModelRunner,
  ) {}

  /**
   * Validates a package, loads its members into tfjs and checks their input and output shapes
   * against the manifest.
   * @throws KilnError any `validatePackage` error, `PACKAGE_MODEL_LOAD` when tfjs cannot build a
   *   member, `PACKAGE_INCONSISTENT` when a member's shapes disagree with the manifest.
   */
  static async load(tf: TF, files: PackageFiles): Promise<PackagePredictor> {
    const { manifest, members } = readPackage(files);
    let runner: ModelRunner;
    try {
      runner = await ModelRunner.load(tf, {
        members,
        features: manifest.features,
        task: manifest.task,
        ...(manifest.labels ? { labels: manifest.labels } : {}),
        ...(manifest.targetScale ? { targetScale: manifest.targetScale } : {}),
      });
    } catch (e) {
      const detail = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      const where = manifest.members.map((m) => m.path).join(', ');
      throw new KilnError('PACKAGE_MODEL_LOAD', `${where}: tfjs could not load the model (${detail})`, { file: manifest.members[0]!.path });
    }
    try {
      checkShapes(manifest, runner);
    } catch (e) {
      runner.dispose();
      throw e;
    }
    return new PackagePredictor(manifest, runner);
  }

  /**
   * Predicts for raw request records (JSON objects with the manifest's input fields).
   * @throws KilnError `INVALID_REQUEST` / `INVALID_RECORD` (see `recordsToTable`), or
   *   `MISSING_VALUE` naming the record when a `null` reaches the model un-imputed.
   */
  async predict(records: unknown, opts: RecordsOptions = {}): Promise<PredictionResult[]> {
    const table = recordsToTable(records, this.manifest.inputSchema, opts);
    try {
      return await this.predictTable(table);
    } catch (e) {
      // featureMatrix counts table rows from 1; a request's records are numbered from 0.
      if (e instanceof KilnError && e.code === 'MISSING_VALUE' && e.where.row !== undefined && e.where.column !== undefined) {
        const i = e.where.row - 1;
        throw new KilnError(
          'MISSING_VALUE',
          `record ${i}: "${e.where.column}" is missing (null) and the model's preprocessing does not impute it`,
          { row: i, column: e.where.column, path: `[${i}]` },
        );
      }
      throw e;
    }
  }

  /** Predicts for a table of raw input columns (e.g. a scored CSV file). */
  async predictTable(table: Table): Promise<PredictionResult[]> {
    const { manifest } = this;
    const t = applySteps(manifest.preprocessing, table);
    const x = featureMatrix(t, manifest.features);
    const p = await this.runner.predictMatrix(x, t.nRows);
    return formatPredictions(manifest, p);
  }

  /** Releases the members' tensors. The predictor cannot be used afterwards. */
  dispose(): void {
    this.runner.dispose();
  }
}

/** A package whose model disagrees with its manifest would predict garbage silently: refuse it. */
function checkShapes(manifest: Manifest, runner: ModelRunner): void {
  const k = manifest.labels?.length ?? 0;
  const shapes = runner.shapes();
  shapes.forEach((s, i) => {
    const entry = manifest.members[i]!;
    const bad = (msg: string): never => {
      throw new KilnError('PACKAGE_INCONSISTENT', `${entry.path}: ${msg}`, { file: entry.path, path: `members[${i}]` });
    };
    if (s.inputs.length !== entry.inputGroups.length) {
      bad(`the model has ${s.inputs.length} inputs but kiln-model.json members[${i}].inputGroups lists ${entry.inputGroups.length}`);
    }
    s.inputs.forEach((shape, g) => {
      const width = shape[shape.length - 1];
      const want = entry.inputGroups[g]!.length;
      if (shape.length !== 2 || (width !== null && width !== want)) {
        bad(`input ${g} has shape [${shape.map(String).join(', ')}] but members[${i}].inputGroups[${g}] feeds ${want} columns`);
      }
    });
    if (s.outputs.length !== 1) bad(`the model has ${s.outputs.length} outputs; expected 1`);
    const out = s.outputs[0]!;
    const width = out[out.length - 1];
    const ok = manifest.task === 'regression' ? width === 1 : k === 2 ? width === 1 || width === 2 : width === k;
    if (!ok) {
      bad(`output shape [${out.map(String).join(', ')}] does not fit a ${manifest.task} model${manifest.task === 'classification' ? ` with ${k} classes` : ''}`);
    }
    // Members are averaged element by element, so they must agree on the output width.
    const first = shapes[0]!.outputs[0]!;
    if (width !== first[first.length - 1]) bad(`output width ${String(width)} differs from members[0]'s ${String(first[first.length - 1])}`);
  });
}

/** Turns raw model outputs into results: `{ prediction }` (regression) or `{ label, probabilities }` (classification). */
export function formatPredictions(manifest: Manifest, p: Predictions): PredictionResult[] {
  const out: PredictionResult[] = new Array(p.n);
  if (manifest.task === 'regression') {
    const values = p.values!;
    for (let i = 0; i < p.n; i++) out[i] = { prediction: values[i]! };
    return out;
  }
  const labels = manifest.labels!;
  const probs = p.probs!;
  const k = labels.length;
  for (let i = 0; i < p.n; i++) {
    // Keyed by class labels, which are data: no prototype, so a class `__proto__` is a key.
    const probabilities = Object.create(null) as Record<string, number>;
    let best = 0;
    for (let c = 0; c < k; c++) {
      const v = probs[i * k + c]!;
      probabilities[labels[c]!] = v;
      if (v > probs[i * k + best]!) best = c;
    }
    out[i] = { label: labels[best]!, probabilities };
  }
  return out;
}
