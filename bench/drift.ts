/**
 * Drift report from sketches: `npm run bench:drift [-- --rows 1000000] [--repeat 5]`.
 *
 * Ten features (seven numeric, three categorical) of `rows` values each, for a reference and a
 * current window (two numeric features shifted, one category replaced). Times separately:
 * sketching the columns (what serving and the runner pay as data arrives, in 10 parts merged as
 * windows would be), serialising the sketches to JSON and back (what the control plane stores),
 * and the drift report itself (what `kiln monitor` asks for). Best of `repeat`.
 */
import { cpus, loadavg } from 'node:os';
import { createRng } from '../lib/rng';
import { datasetDrift, mergeTableSketches, sketchTable, tableSketchFromJson, tableSketchToJson, type TableSketch } from '../lib/sketch';
import type { Table } from '../lib/data/table';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROWS = arg('rows', 1_000_000);
const REPEAT = arg('repeat', 5);
const PARTS = 10;

function makeTable(seed: number, drift: boolean): Table {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const columns: Table['columns'] = [];
  for (let f = 0; f < 7; f++) {
    const values = new Float64Array(ROWS);
    const shift = drift && f < 2 ? 0.5 : 0;
    for (let i = 0; i < ROWS; i++) values[i] = 10 * (f + 1) + (f + 1) * (normal() + shift);
    columns.push({ name: `num${f}`, type: 'numeric', values });
  }
  const cats = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  for (let f = 0; f < 3; f++) {
    const values: string[] = new Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      const c = cats[Math.floor(rng() ** 2 * (f === 2 ? 8 : 5))]!;
      values[i] = drift && f === 0 && c === 'a' ? 'z' : c;
    }
    columns.push({ name: `cat${f}`, type: 'categorical', values });
  }
  return { columns, nRows: ROWS };
}

function slice(t: Table, start: number, end: number): Table {
  return {
    nRows: end - start,
    columns: t.columns.map((c) => (c.type === 'categorical' ? { ...c, values: c.values.slice(start, end) } : { ...c, values: c.values.subarray(start, end) })),
  };
}

function sketchInParts(t: Table): TableSketch {
  let acc: TableSketch | undefined;
  for (let p = 0; p < PARTS; p++) {
    const s = sketchTable(slice(t, Math.floor((p * ROWS) / PARTS), Math.floor(((p + 1) * ROWS) / PARTS)));
    acc = acc ? mergeTableSketches(acc, s) : s;
  }
  return acc!;
}

function best<T>(f: () => T): { ms: number; value: T } {
  let ms = Infinity;
  let value!: T;
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    value = f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value };
}

const ref = makeTable(1, false);
const cur = makeTable(2, true);
const build = best(() => sketchInParts(cur));
const refSketch = sketchInParts(ref);
const json = JSON.stringify(tableSketchToJson(build.value));
const round = best(() => tableSketchFromJson(JSON.parse(json)));
const report = best(() => datasetDrift(refSketch, round.value));
const load = loadavg().map((x) => x.toFixed(2)).join(' ');

console.log(`drift report over ${ROWS.toLocaleString('en')} values × 10 features (7 numeric, 3 categorical), best of ${REPEAT}`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${load}`);
console.log(`| step | ms |\n|---|---:|`);
console.log(`| sketch 10 features in ${PARTS} parts + merge (one window) | ${build.ms.toFixed(0)} |`);
console.log(`| sketches to JSON (${(json.length / 1024).toFixed(0)} KiB) and back | ${round.ms.toFixed(1)} |`);
console.log(`| drift report from the sketches | ${report.ms.toFixed(1)} |`);
console.log('\n| feature | method | statistic | threshold | drifted |\n|---|---|---:|---:|---|');
for (const c of report.value.columns) console.log(`| ${c.column} | ${c.method} | ${c.statistic.toPrecision(4)} | ${c.threshold} | ${c.drifted} |`);
console.log(`\ndrift share ${report.value.share} (dataset drift: ${report.value.drifted})`);
const drifted = report.value.columns.filter((c) => c.drifted).map((c) => c.column);
if (drifted.join() !== 'num0,num1,cat0') {
  console.error(`unexpected drifted features: ${drifted.join(', ')} (expected num0, num1, cat0)`);
  process.exit(1);
}
