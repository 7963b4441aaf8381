/**
 * Test-only: real model packages (a small seeded tfjs model over fitted impute → one-hot → scale
 * steps, built by lib/package buildPackage) recorded as the package of a succeeded run, exactly as
 * a runner's upload would leave it. Nothing outside tests imports this file.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { initNodeBackend } from '../../lib/backend/node';
import type { Graph } from '../../lib/graph/schema';
import { dataChain, trainEdges } from '../../lib/graph/wiring';
import { buildPackage } from '../../lib/package/package';
import { makeTrained } from '../../lib/package/test-utils';
import { ensureProject, saveGraph } from '../db/catalog';
import type { Db } from '../db/client';
import { artifacts, runs } from '../db/schema';
import type { ArtifactStore } from '../storage/types';

let cachedZip: Uint8Array | null = null;

/** A valid, serveable regression package zip (built once per process). */
export async function packageZip(): Promise<Uint8Array> {
  if (cachedZip) return cachedZip;
  await initNodeBackend('cpu');
  const trained = await makeTrained(tf, { task: 'regression' });
  const files = buildPackage(trained, {
    name: 'mpg',
    kilnVersion: 'test',
    createdAt: '2024-01-01T00:00:00.000Z',
    lineage: { graphHash: 'test', backend: 'cpu', device: 'cpu' },
  });
  cachedZip = zipSync(Object.fromEntries(files));
  return cachedZip;
}

/** The cars graph shape the runner tests use; `epochs` and `splitSeed` vary it. */
export function testGraph(opts: { epochs?: number; splitSeed?: number; filter?: string } = {}): Graph {
  const nodes: Graph['nodes'] = [
    { id: 'data', kind: 'dataset', params: { source: 'input', name: 'cars', target: 'Miles_per_Gallon' } },
    { id: 'drop', kind: 'drop_columns', params: { columns: ['Name', 'Year'] } },
    { id: 'split', kind: 'split', params: { testFraction: 0.2, seed: opts.splitSeed ?? 3 } },
    { id: 'impute', kind: 'impute', params: { strategy: 'mean' } },
    { id: 'scale', kind: 'standard_scale', params: {} },
    { id: 'model', kind: 'linear_regression', params: {} },
    { id: 'train', kind: 'train', params: { epochs: opts.epochs ?? 10 } },
    { id: 'evaluate', kind: 'evaluate', params: { gates: ['rmse <= 5'] } },
  ];
  if (opts.filter) nodes.push({ id: 'filter', kind: 'filter_rows', params: { expr: opts.filter } });
  const edges: Graph['edges'] = [
    ...dataChain(['data', 'drop', ...(opts.filter ? ['filter'] : []), 'split', 'impute', 'scale']),
    ...trainEdges({ data: 'scale', model: 'model', train: 'train', evaluate: 'evaluate' }),
  ];
  return { version: 1, seed: 42, nodes, edges };
}

export interface SeedRunOptions {
  graph?: Graph;
  datasets?: Record<string, string>;
  metrics?: Record<string, number | null>;
  gates?: unknown;
  status?: 'succeeded' | 'failed';
  /** package bytes (default: a valid package); `null` records no artifact */
  zip?: Uint8Array | null;
}

/** Records a finished run with its package artifact, as the runner protocol would. Returns the run id. */
export async function seedRun(db: Db, store: ArtifactStore, o: SeedRunOptions = {}): Promise<string> {
  const project = await ensureProject(db, 'registry-test');
  const graph = o.graph ?? testGraph();
  const { hash } = await saveGraph(db, project.id, graph);
  const id = randomUUID();
  const metrics = o.metrics ?? { rmse: 3.4, mae: 2.5, r2: 0.8, mape: 0.12 };
  await db.insert(runs).values({
    id,
    projectId: project.id,
    graphHash: hash,
    datasets: o.datasets ?? { cars: 'ds-cars-1' },
    status: o.status ?? 'succeeded',
    metrics,
    gates: o.gates ?? [{ expr: 'rmse <= 5', metric: 'rmse', op: '<=', threshold: 5, value: metrics.rmse ?? null, passed: (metrics.rmse ?? 99) <= 5, margin: 0 }],
    backend: 'cpu',
    device: 'cpu',
    finishedAt: new Date(),
  });
  const zip = o.zip === undefined ? await packageZip() : o.zip;
  if (zip) {
    const key = `runs/${id}/model.zip`;
    const put = await store.put(key, zip);
    await db.insert(artifacts).values({ id: randomUUID(), runId: id, kind: 'model', storageKey: key, bytes: put.bytes, sha256: createHash('sha256').update(zip).digest('hex'), attempt: 1 });
  }
  return id;
}
