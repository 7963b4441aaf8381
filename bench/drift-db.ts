/**
 * A drift report over a million logged predictions, in the database:
 * `npm run bench:drift-db [-- --rows 1000000] [--db postgres|pglite] [--repeat 5] [--peer-repeat 3]`.
 *
 * Loads `rows` logged predictions of the cars inputs (Horsepower, Weight_in_lbs and Origin of
 * real cars.json rows as hp, weight, origin; from the third day on, a quarter of them shifted:
 * hp + 80 and origin "Mars", tagged UNKNOWN_CATEGORY) spread over the last 7 days, through the
 * real ingest path (`ingestPredictions` with the artifact store: the rows and their hourly rollup
 * in one transaction per batch of 1,000, in time order as serving sends them), with feedback for
 * 1 % of them. Then times `monitoringReport` for a 24 h and a 7-day window ending at a time that
 * is not on the hour (so the raw edges are read too), median of `repeat`, and the old full raw
 * scan (`rollup: false`) as the peer, median of `peer-repeat`, in the same run; checks both give
 * the same report. PostgreSQL: a fresh database at KILN_TEST_DATABASE_URL's server, dropped after.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { createRng } from '../lib/rng';
import { ensureProject, insertDatasetVersion } from '../server/db/catalog';
import { openDb } from '../server/db/client';
import { createTestDbTarget } from '../server/db/testing';
import { ingestPredictions, recordFeedback } from '../server/monitoring/prediction-log';
import { monitoringReport, type MonitoringReport } from '../server/monitoring/report';
import { createOrBindEndpoint } from '../server/registry/endpoints';
import { moveAlias, registerVersion } from '../server/registry/registry';
import { seedRun } from '../server/registry/test-fixtures';
import type { PredictionRecord } from '../server/serving/log-protocol';
import { createLocalStore } from '../server/storage/local';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const ROWS = Number(arg('rows', '1000000'));
const KIND = arg('db', 'postgres') as 'postgres' | 'pglite';
const REPEAT = Number(arg('repeat', '5'));
const PEER_REPEAT = Number(arg('peer-repeat', '3'));
const BATCH = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Car { Horsepower: number | null; Weight_in_lbs: number | null; Origin: string; Miles_per_Gallon: number | null }

async function median(n: number, f: () => Promise<MonitoringReport>): Promise<{ ms: number; report: MonitoringReport }> {
  const ms: number[] = [];
  let report!: MonitoringReport;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    report = await f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[Math.floor((ms.length - 1) / 2)]!, report };
}

/** The report without what a rollup cannot change: drift statistics compared to 1e-12 relative (a window reference's variance sums in another order). */
function sameReport(a: MonitoringReport, b: MonitoringReport): boolean {
  const stats = (x: MonitoringReport) => [...x.drift.features, ...(x.drift.prediction ? [x.drift.prediction] : [])].map((f) => f.statistic);
  const sa = stats(a);
  const sb = stats(b);
  const close = sa.length === sb.length && sa.every((v, i) => Object.is(v, sb[i]) || Math.abs(v - sb[i]!) <= 1e-12 * Math.abs(sb[i]!));
  const pin = (x: MonitoringReport) => ({ ...x, drift: { ...x.drift, features: x.drift.features.map((f) => ({ ...f, statistic: 0 })), prediction: x.drift.prediction && { ...x.drift.prediction, statistic: 0 } } });
  return close && isDeepStrictEqual(pin(a), pin(b));
}

const target = await createTestDbTarget(KIND);
const kdb = await openDb(target.options);
const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-drift-db-'));
try {
  const store = createLocalStore(dir);
  const db = kdb.db;
  const cars = (JSON.parse(await readFile(join(import.meta.dirname, '../node_modules/vega-datasets/data/cars.json'), 'utf8')) as Car[]).filter(
    (c) => c.Horsepower !== null && c.Weight_in_lbs !== null && c.Miles_per_Gallon !== null,
  );
  const project = await ensureProject(db, 'bench');
  const csv = ['hp,weight,origin,mpg', ...cars.map((c) => `${c.Horsepower},${c.Weight_in_lbs},${c.Origin},${c.Miles_per_Gallon}`)].join('\n');
  await store.put('datasets/cars.csv', new TextEncoder().encode(csv));
  const schema = [
    { name: 'hp', type: 'numeric', nullable: false },
    { name: 'weight', type: 'numeric', nullable: false },
    { name: 'origin', type: 'categorical', nullable: false },
    { name: 'mpg', type: 'numeric', nullable: false },
  ];
  const ds = await insertDatasetVersion(db, { projectId: project.id, name: 'cars', hash: 'cars', format: 'csv', bytes: csv.length, rows: cars.length, schema, stats: {}, storageKey: 'datasets/cars.csv' });
  const runId = await seedRun(db, store, { datasets: { cars: ds.id } });
  await registerVersion(db, store, { modelName: 'cars', runId, actor: 'bench' });
  await moveAlias(db, store, { modelName: 'cars', alias: 'production', version: 1, actor: 'bench' });
  await createOrBindEndpoint(db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } }, 'bench');

  // Not on the hour, so both windows have raw edges.
  const now = Math.floor(Date.now() / HOUR) * HOUR + 17 * 60_000 + 23_456;
  const t0 = now - 7 * DAY;
  const rng = createRng(13);
  const tIngest = performance.now();
  const feedback: { id: string; actual: number }[] = [];
  for (let i = 0; i < ROWS; i += BATCH) {
    const batch: PredictionRecord[] = [];
    for (let j = i; j < Math.min(ROWS, i + BATCH); j++) {
      const c = cars[Math.floor(rng() * cars.length)]!;
      const time = t0 + Math.floor((j / ROWS) * 7 * DAY);
      const shifted = time - t0 >= 2 * DAY && rng() < 0.25;
      const id = `p-${j}`;
      batch.push({
        endpoint: 'cars',
        id,
        version: 1,
        time,
        inputs: { hp: c.Horsepower! + (shifted ? 80 : 0), weight: c.Weight_in_lbs, origin: shifted ? 'Mars' : c.Origin },
        outputs: { prediction: c.Miles_per_Gallon! + (rng() - 0.5) * 6 },
        latencyMs: 1 + rng(),
        anomalies: shifted ? [{ code: 'UNKNOWN_CATEGORY', column: 'origin' }] : [],
      });
      if (j % 100 === 0) feedback.push({ id, actual: c.Miles_per_Gallon! });
    }
    const r = await ingestPredictions(db, batch, { store });
    if (r.accepted !== batch.length) throw new Error(`batch at ${i}: accepted ${r.accepted} of ${batch.length}`);
    if (i % 100_000 === 0 && i > 0) process.stderr.write(`  ${i.toLocaleString('en')} rows ingested (${((performance.now() - tIngest) / 1000).toFixed(0)} s)\n`);
  }
  const ingestS = (performance.now() - tIngest) / 1000;
  for (let i = 0; i < feedback.length; i += BATCH) await recordFeedback(db, 'cars', feedback.slice(i, i + BATCH));

  // Fresh statistics after the bulk load, as autovacuum's analyze would leave them.
  if (KIND === 'postgres') await db.execute(sql`ANALYZE`);
  const rows: string[] = [];
  let ok = true;
  for (const [label, windowMs] of [['24 h', DAY], ['7 days', 7 * DAY]] as const) {
    const o = { endpoint: 'cars', windowMs, now: new Date(now) };
    const fast = await median(REPEAT, () => monitoringReport(db, store, o));
    const raw = await median(PEER_REPEAT, () => monitoringReport(db, store, { ...o, rollup: false }));
    const same = sameReport(fast.report, raw.report);
    ok &&= same;
    const drifted = fast.report.drift.features.filter((f) => f.drifted).map((f) => f.name).join(', ') || 'none';
    rows.push(`| ${label} | ${fast.report.requests.toLocaleString('en')} | ${fast.report.metrics.labelled.toLocaleString('en')} | ${fast.ms.toFixed(0)} | ${raw.ms.toFixed(0)} | ${(raw.ms / fast.ms).toFixed(0)}× | ${drifted} | ${same ? 'yes' : 'NO'} |`);
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`drift report over ${ROWS.toLocaleString('en')} logged predictions on ${KIND} (${new Date().toISOString().slice(0, 10)})`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${load}`);
  console.log(`ingest (ingestPredictions + rollup, batches of ${BATCH}): ${ingestS.toFixed(0)} s, ${Math.round(ROWS / ingestS).toLocaleString('en')} rows/s`);
  console.log(`\n| window | predictions | labelled | report (rollup + edges), median of ${REPEAT}, ms | full raw scan, median of ${PEER_REPEAT}, ms | speed-up | drifted | same report |\n|---|---:|---:|---:|---:|---:|---|---|`);
  for (const r of rows) console.log(r);
  if (!ok) {
    console.error('the rollup report differs from the raw scan');
    process.exitCode = 1;
  }
} finally {
  await kdb.close();
  await target.dispose();
  await rm(dir, { recursive: true, force: true });
}
