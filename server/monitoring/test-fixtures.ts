/**
 * Test fixtures of the monitoring tests (only tests import this): synthetic cars-like training
 * rows, and an `mpg` model version trained on them — the rows stored as a dataset version the
 * run names, registered, aliased `production` and served by the endpoint `mpg` — so a report has
 * a real training reference to compare logged predictions with.
 */
import { createRng } from '../../lib/rng';
import { ensureProject, insertDatasetVersion } from '../db/catalog';
import type { Db } from '../db/client';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import type { ArtifactStore } from '../storage/types';

export const ORIGINS = ['USA', 'Europe', 'Japan'];

export interface MpgRow {
  hp: number;
  weight: number;
  origin: string;
  mpg: number;
}

/** `n` seeded rows whose mpg falls with horsepower and weight, plus noise. */
export function mpgRows(n: number, seed: number): MpgRow[] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => {
    const hp = Math.round(60 + r() * 160);
    const weight = Math.round(2000 + r() * 2500);
    return { hp, weight, origin: ORIGINS[Math.floor(r() * 3)]!, mpg: Math.round((45 - hp * 0.1 - weight * 0.003 + r() * 4) * 10) / 10 };
  });
}

/** The training metrics the fixture's run reports. */
export const MPG_TRAINING_METRICS = { rmse: 3.4, mae: 2.5, r2: 0.8, mape: 0.12 };

/**
 * Stores `training` as dataset version `cars` of project `registry-test`, and deploys a model
 * version trained on it: model `mpg` v1, alias `production`, endpoint `mpg`.
 */
export async function deployMpg(db: Db, store: ArtifactStore, training: readonly MpgRow[]): Promise<{ projectId: string; datasetId: string; runId: string }> {
  const project = await ensureProject(db, 'registry-test');
  const csv = ['hp,weight,origin,mpg', ...training.map((t) => `${t.hp},${t.weight},${t.origin},${t.mpg}`)].join('\n');
  await store.put('datasets/train.csv', new TextEncoder().encode(csv));
  const schema = [
    { name: 'hp', type: 'numeric', nullable: false },
    { name: 'weight', type: 'numeric', nullable: false },
    { name: 'origin', type: 'categorical', nullable: false },
    { name: 'mpg', type: 'numeric', nullable: false },
  ];
  const ds = await insertDatasetVersion(db, { projectId: project.id, name: 'cars', hash: 'h1', format: 'csv', bytes: csv.length, rows: training.length, schema, stats: {}, storageKey: 'datasets/train.csv' });
  const runId = await seedRun(db, store, { datasets: { cars: ds.id }, metrics: MPG_TRAINING_METRICS });
  await registerVersion(db, store, { modelName: 'mpg', runId, actor: 'test' });
  await moveAlias(db, store, { modelName: 'mpg', alias: 'production', version: 1, actor: 'test' });
  await createOrBindEndpoint(db, { name: 'mpg', modelName: 'mpg', target: { alias: 'production' } }, 'test');
  return { projectId: project.id, datasetId: ds.id, runId };
}
