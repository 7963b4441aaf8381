/**
 * Training/serving skew before a run trains, on PostgreSQL with a real package and real stored
 * dataset versions: a run on the production version's training data (reordered) reports no
 * anomaly; one with a shifted numeric input and a replaced category reports SKEW (and the range
 * and domain anomalies) for exactly those columns, in the submit answer and as the run's
 * `validation` event, and is still queued; with KILN_SKEW_BLOCKS_RUNS it is refused (409).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferSchema, parseTable } from '../../lib/data/infer';
import { initGraph } from '../../lib/graph/templates';
import { createRng } from '../../lib/rng';
import { createTestUser } from '../auth/testing';
import { loadConfig } from '../config';
import { ensureProject, insertDatasetVersion } from '../db/catalog';
import { runs } from '../db/schema';
import { openTestDb } from '../db/testing';
import { apiConfig } from '../http/config';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import { createLocalStore } from '../storage/local';
import type { ArtifactStore } from '../storage/types';
import { createCaller } from '../trpc/root';
import { rejectionOf } from '../trpc/test-utils';
import { summarizeDataset } from './dataset-summary';
import type { Principal } from '../auth/principal';

const ORIGINS = ['USA', 'Europe', 'Japan'];

function csvOf(n: number, seed: number, o: { hpShift?: number; origin?: string } = {}): string {
  const r = createRng(seed);
  const lines = ['hp,weight,origin,mpg'];
  for (let i = 0; i < n; i++) {
    lines.push(`${60 + 10 * Math.floor(r() * 17) + (o.hpShift ?? 0)},${2000 + 100 * Math.floor(r() * 26)},${o.origin ?? ORIGINS[Math.floor(r() * 3)]},${10 + Math.floor(r() * 30)}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('training/serving skew at submit (PostgreSQL)', () => {
  let kdb: Awaited<ReturnType<typeof openTestDb>>;
  let dir: string;
  let store: ArtifactStore;
  let owner: Principal;
  const ids: Record<string, string> = {};
  const trainingCsv = csvOf(600, 1);
  const graph = initGraph({ schema: inferSchema(parseTable({ name: 'cars.csv', text: trainingCsv, format: 'csv' })), target: 'mpg', model: 'linear', source: { source: 'input', name: 'cars' }, file: 'cars.csv' }).graph;
  const caller = (skewBlocksRuns = false) =>
    createCaller({ db: kdb.db, store, config: { ...apiConfig(loadConfig({})), skewBlocksRuns }, principal: owner, authOptions: { projectCreators: 'members' }, authSecret: 'test-secret-test-secret-test-secret' });

  const storeVersion = async (name: string, csv: string) => {
    const project = await ensureProject(kdb.db, 'registry-test');
    const key = `datasets/${name}.csv`;
    const bytes = new TextEncoder().encode(csv);
    await store.put(key, bytes);
    const s = summarizeDataset(`${name}.csv`, 'csv', bytes.slice());
    const d = await insertDatasetVersion(kdb.db, { projectId: project.id, name: 'cars.csv', hash: name.padEnd(64, '0'), format: 'csv', bytes: bytes.length, rows: s.rows, schema: s.schema, stats: s.stats, sketch: s.sketch, dataSchema: s.dataSchema, storageKey: key });
    ids[name] = d.id;
  };

  beforeAll(async () => {
    kdb = await openTestDb('postgres');
    dir = await mkdtemp(join(tmpdir(), 'kiln-skew-'));
    store = createLocalStore(dir);
    owner = await createTestUser(kdb.db, { email: 'owner@kiln.test', orgRole: 'owner' });
    await storeVersion('train', trainingCsv);
    // The training rows in reverse order: a new version with the very same distribution (a fresh
    // sample would drift at p < 0.05 one time in twenty per column, as a test should).
    const [head, ...body] = trainingCsv.trim().split('\n');
    await storeVersion('same', `${[head, ...body.reverse()].join('\n')}\n`);
    await storeVersion('shifted', csvOf(400, 3, { hpShift: 120, origin: 'Mars' }));
  }, 60_000);

  afterAll(async () => {
    await kdb?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('without a production model there is nothing to compare: no skew report', async () => {
    const r = await caller().runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.shifted! } });
    expect(r.skew).toBeNull();
  });

  it('the training data again (reordered): a report with no anomalies', async () => {
    const runId = await seedRun(kdb.db, store, { datasets: { cars: ids.train! } });
    await registerVersion(kdb.db, store, { modelName: 'mpg', runId, actor: 'test' });
    await moveAlias(kdb.db, store, { modelName: 'mpg', alias: 'production', version: 1, actor: 'test' });
    const r = await caller().runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.same! } });
    expect(r.skew).toMatchObject({ model: 'mpg', version: 1, input: 'cars', datasetId: ids.same, anomalies: [] });
  });

  it('a shifted input and a replaced category: SKEW and their range/domain anomalies, reported in the answer and the run events; the run is queued', async () => {
    const api = caller();
    const r = await api.runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.shifted! } });
    const got = r.skew!.anomalies.map((a) => `${a.code}:${a.column}`).sort();
    expect(got).toEqual(['OUT_OF_RANGE:hp', 'SKEW:hp', 'SKEW:origin', 'UNKNOWN_CATEGORY:origin']);
    const skewHp = r.skew!.anomalies.find((a) => a.code === 'SKEW' && a.column === 'hp')!;
    expect(skewHp.drift).toMatchObject({ column: 'hp', drifted: true });
    expect(skewHp.message).toBe(`SKEW column "hp": expected ${skewHp.constraint}, observed ${skewHp.observed}`);
    expect(r.status).toBe('queued');
    const events = await api.runs.events({ runId: r.runId, afterId: 0 });
    const v = events.events.find((e) => e.type === 'validation')!;
    expect(v.attempt).toBe(0);
    expect((v.payload as { anomalies: unknown[] }).anomalies).toEqual(JSON.parse(JSON.stringify(r.skew!.anomalies)));
    // An explicit model that has no production version is named.
    const e = await rejectionOf(api.runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.shifted! }, model: 'nope' }));
    expect(e.message).toBe('model "nope" has no production version to compare the run\'s data with');
  });

  it('with KILN_SKEW_BLOCKS_RUNS a skewed run is refused (409) and nothing is queued; clean data still runs', async () => {
    expect(loadConfig({ KILN_SKEW_BLOCKS_RUNS: '1' }).api.skewBlocksRuns).toBe(true);
    const before = (await kdb.db.select().from(runs)).length;
    const e = await rejectionOf(caller(true).runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.shifted! } }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/^run refused: 4 anomalies of input "cars" against mpg v1 \(production\) training data \(.+\); KILN_SKEW_BLOCKS_RUNS is on$/);
    expect((await kdb.db.select().from(runs)).length).toBe(before);
    const ok = await caller(true).runs.submit({ projectName: 'registry-test', graph, datasets: { cars: ids.same! } });
    expect(ok.status).toBe('queued');
  });
});
