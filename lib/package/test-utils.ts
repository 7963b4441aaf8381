/**
 * Test-only helpers: hand-built trained models (real fitted preprocessing, small seeded tfjs
 * models) so package tests do not need the executor. Nothing outside tests imports this file.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { impute } from '../nodes/kinds/impute';
import { oneHot } from '../nodes/kinds/one-hot';
import { standardScale } from '../nodes/kinds/standard-scale';
import { makeCtx, makeFrame, runKind } from '../nodes/kinds/test-utils';
import type { Frame, TrainedModel } from '../nodes/types';
import { serializeModel } from './predictor';

type TF = typeof tfTypes;

/** Raw training rows: `hp` has a missing value, `origin` is categorical, `mpg` is the target. */
export const RAW = {
  hp: [130, 165, NaN, 150, 140, 198, 220, 215, 225, 190],
  weight: [3504, 3693, 3436, 3433, 3449, 4341, 4354, 4312, 4425, 3850],
  origin: ['USA', 'USA', 'Japan', 'Europe', 'USA', 'Japan', 'Europe', 'USA', 'Japan', 'USA'],
  mpg: [18, 15, 18, 16, 17, 15, 14, 14, 14, 15],
  kind: ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a'],
};

/** The raw rows as request records (what an app would POST), `null` for missing values. */
export function rawRecords(): Record<string, unknown>[] {
  return RAW.hp.map((hp, i) => ({
    hp: Number.isNaN(hp) ? null : hp,
    weight: RAW.weight[i]!,
    origin: RAW.origin[i]!,
    mpg: RAW.mpg[i]!,
    kind: RAW.kind[i]!,
  }));
}

/** A frame with fitted impute → one_hot → standard_scale steps, as the executor would hand to train. */
export async function fittedFrame(target: 'mpg' | 'kind'): Promise<Frame> {
  const spec = { hp: RAW.hp, weight: RAW.weight, origin: RAW.origin, [target]: RAW[target] } as Record<string, number[] | string[]>;
  let f = makeFrame(spec, { target, split: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1] });
  f = await runKind(impute, f, { strategy: 'mean', columns: ['hp'] }, makeCtx('imp'));
  f = await runKind(oneHot, f, { columns: ['origin'] }, makeCtx('oh'));
  f = await runKind(standardScale, f, { columns: ['hp', 'weight'] }, makeCtx('scale'));
  return f;
}

async function dense(tf: TF, nIn: number, units: number, activation: 'linear' | 'sigmoid' | 'softmax', seed: number, name: string) {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units,
      activation,
      inputShape: [nIn],
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      biasInitializer: tf.initializers.constant({ value: 0.1 }),
    }),
  );
  try {
    const all = Array.from({ length: nIn }, (_, i) => i);
    return await serializeModel(tf, model, [all], [false], name);
  } finally {
    model.dispose();
  }
}

/** A trained model by hand: `members` dense members on the fitted frame's features. */
export async function makeTrained(
  tf: TF,
  opts: { task: 'regression' } | { task: 'classification'; labels: string[]; binary?: boolean },
  members = 1,
): Promise<TrainedModel> {
  const target = opts.task === 'regression' ? 'mpg' : 'kind';
  const frame = await fittedFrame(target);
  const features = frame.table.columns.filter((c) => c.name !== target).map((c) => c.name);
  const units = opts.task === 'regression' || opts.binary ? 1 : opts.labels.length;
  const act = opts.task === 'regression' ? 'linear' : opts.binary ? 'sigmoid' : 'softmax';
  const ms = [];
  for (let i = 0; i < members; i++) ms.push(await dense(tf, features.length, units, act, 11 + i, `dense ${i}`));
  const trained: TrainedModel = { members: ms, features, task: opts.task, target, frame, history: [], seed: 7 };
  if (opts.task === 'regression') trained.targetScale = { mean: 15.6, std: 1.5 };
  else trained.labels = opts.labels;
  return trained;
}

/** A deep copy of a package's files, for tampering. */
export function copyFiles(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  return new Map([...files].map(([k, v]) => [k, v.slice()]));
}

/** Rewrites one JSON file of a package copy. */
export function editJson(files: Map<string, Uint8Array>, file: string, edit: (j: any) => void): Map<string, Uint8Array> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = copyFiles(files);
  const j = JSON.parse(new TextDecoder().decode(out.get(file)!));
  edit(j);
  out.set(file, new TextEncoder().encode(JSON.stringify(j)));
  return out;
}
