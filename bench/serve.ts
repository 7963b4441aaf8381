/**
 * Serving throughput: `npm run bench:serve [-- --write-docs] [--duration S] [--targets a,b]`.
 *
 * Trains the cars pipeline with Kiln (`kiln init --model mlp` + `kiln run --out`), fits the same
 * pipeline in scikit-learn on the exact rows Kiln trained on (Debian's python3-sklearn), and puts
 * four servers under the same `wrk` load on 127.0.0.1, one at a time:
 *
 * - `kiln` — `kiln serve PKG --name cars`, TF Serving's REST API;
 * - `fastapi` — FastAPI under uvicorn, 2 workers (bench/serve_peers/fastapi_app.py);
 * - `flask` — Flask under gunicorn, 2 sync workers (bench/serve_peers/flask_app.py);
 * - `bare` — a bare Node `http` server answering a constant JSON body, the ceiling.
 *
 * Every request is `POST /v1/models/cars:predict` with `{"instances": [one raw cars record]}`.
 * Each target gets a warm-up, then `wrk -t2 -c{16,64} -d10s --latency` twice per connection
 * count. Prints a markdown table and the ratios the issue sets targets for; with `--write-docs`
 * it replaces the bench:serve section of docs/benchmarks.md, and writes nothing in the repo
 * otherwise (scratch files go to a temporary directory).
 *
 * `--overload [--connections N] [--times X]` instead puts `kiln serve` alone under overload, as
 * issue 12 found it: N (default 512) keep-alive connections each POSTing 1,000-instance bodies,
 * paced to X (default 10) times the capacity measured just before (`--times 0`: a closed loop,
 * each connection re-sending as soon as it is answered; bench/load-client.mjs in a worker
 * thread, which keeps latency per status), with
 * `/healthz` probed every 20 ms from another thread beside an idle bare server (what the
 * machine itself adds). Reports the admitted requests' p99 against 10× the unloaded p99 (one
 * connection, same body), the 429 share, Retry-After, and health latency; `--write-docs` writes
 * the bench:serve-overload section.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One wrk run, as parsed from the `KILN_WRK {...}` line bench/wrk/post.lua prints in done(). */
export interface WrkResult {
  requests: number;
  durationS: number;
  /** requests completed per second of wall time */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** answers with a status above 399 (wrk's summary.errors.status) */
  non2xx: number;
  /** connect + read + write errors and timeouts */
  socketErrors: number;
}

/** Which servers the bench knows; `kind` decides which ratio a row feeds. */
export type TargetId = 'kiln' | 'kiln-log' | 'kiln-nolog' | 'fastapi' | 'flask' | 'bare';
export const TARGET_LABELS: Record<TargetId, string> = {
  kiln: 'Kiln `kiln serve`',
  'kiln-log': 'Kiln `kiln serving`, every prediction logged',
  'kiln-nolog': 'Kiln `kiln serving`, logging off (sample rate 0)',
  fastapi: 'FastAPI + uvicorn, 2 workers',
  flask: 'Flask + gunicorn, 2 sync workers',
  bare: 'bare Node `http`, constant JSON',
};
const PYTHON_TARGETS: TargetId[] = ['fastapi', 'flask'];

export interface BenchRow {
  target: TargetId;
  connections: number;
  run: number;
  result: WrkResult;
  /** CPU time (user + system) of the server's process group per answered request, µs; null where /proc cannot say */
  cpuUsPerRequest?: number | null;
}

const WRK_LINE = /^KILN_WRK (.*)$/m;
const WRK_FIELDS = ['requests', 'duration_us', 'p50_us', 'p90_us', 'p99_us', 'max_us', 'non2xx', 'connect_errors', 'read_errors', 'write_errors', 'timeouts'] as const;

/**
 * Parses wrk's stdout (with bench/wrk/post.lua) into a {@link WrkResult}.
 * @throws Error when the `KILN_WRK` line is missing, is not JSON, or lacks a numeric field —
 *   naming the field, so a changed Lua script fails loudly instead of reporting zeros.
 */
export function parseWrkOutput(stdout: string): WrkResult {
  const m = WRK_LINE.exec(stdout);
  if (!m) throw new Error(`wrk output has no KILN_WRK line (was wrk run with -s bench/wrk/post.lua?): ${stdout.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(m[1]!);
  } catch {
    throw new Error(`wrk KILN_WRK line is not JSON: ${m[1]!.slice(0, 200)}`);
  }
  const o = raw as Record<string, unknown>;
  for (const f of WRK_FIELDS) {
    if (typeof o[f] !== 'number' || !Number.isFinite(o[f])) throw new Error(`wrk KILN_WRK line: field "${f}" is ${JSON.stringify(o[f])}, expected a number`);
  }
  const n = o as Record<(typeof WRK_FIELDS)[number], number>;
  if (n.duration_us <= 0) throw new Error(`wrk KILN_WRK line: field "duration_us" is ${n.duration_us}, expected > 0`);
  const durationS = n.duration_us / 1e6;
  return {
    requests: n.requests,
    durationS,
    rps: n.requests / durationS,
    p50Ms: n.p50_us / 1000,
    p90Ms: n.p90_us / 1000,
    p99Ms: n.p99_us / 1000,
    maxMs: n.max_us / 1000,
    non2xx: n.non2xx,
    socketErrors: n.connect_errors + n.read_errors + n.write_errors + n.timeouts,
  };
}

const fmtRps = (x: number) => Math.round(x).toLocaleString('en-US');
const fmtMs = (x: number) => x.toFixed(2);

/** The results as a markdown table, one row per wrk run, in the order given. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = ['| target | connections | run | req/s | p50 (ms) | p99 (ms) | non-2xx | socket errors | server CPU µs/request |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const w = r.result;
    lines.push(`| ${TARGET_LABELS[r.target]} | ${r.connections} | ${r.run} | ${fmtRps(w.rps)} | ${fmtMs(w.p50Ms)} | ${fmtMs(w.p99Ms)} | ${w.non2xx} | ${w.socketErrors} | ${typeof r.cpuUsPerRequest === 'number' ? r.cpuUsPerRequest.toFixed(1) : '—'} |`);
  }
  return lines.join('\n');
}

/** The three numbers the issue sets targets for; null where a target was not measured. */
export interface Ratios {
  /** Kiln's best req/s over the best req/s of any Python configuration (target ≥ 5) */
  kilnOverBestPython: number | null;
  /** Kiln's best req/s over the bare-Node ceiling's best (target ≥ 0.5) */
  kilnOverBare: number | null;
  /** Kiln's worst p99 over its runs at 16 connections, ms (target ≤ 5) */
  kilnP99At16Ms: number | null;
  bestPython: TargetId | null;
  /** `kiln-log` (every prediction logged) over `kiln-nolog` (the same process, sample rate 0), best runs (target ≥ 0.9) */
  loggedOverUnlogged?: number | null;
  /**
   * The server's CPU per request without logging over with it, medians over runs: what the
   * throughput ratio is when serving's CPU is the bottleneck, and — unlike req/s on a shared
   * machine — barely moved by other processes' load.
   */
  cpuUnloggedOverLogged?: number | null;
  /** median over alternating run pairs (same connections and run number) of `kiln-log` req/s over `kiln-nolog`'s */
  loggedOverUnloggedPaired?: number | null;
}

/** Best (highest) req/s of a target over all its runs and connection counts, or null. */
export function bestRps(rows: readonly BenchRow[], target: TargetId): number | null {
  const r = rows.filter((x) => x.target === target);
  return r.length ? Math.max(...r.map((x) => x.result.rps)) : null;
}

/**
 * Ratios from the rows. Throughput compares each side's best run (what a tuned deployment
 * gets); latency takes Kiln's worst run at 16 connections, so one lucky run cannot pass it.
 */
export function computeRatios(rows: readonly BenchRow[]): Ratios {
  const kiln = bestRps(rows, 'kiln');
  let bestPython: TargetId | null = null;
  let py = 0;
  for (const t of PYTHON_TARGETS) {
    const b = bestRps(rows, t);
    if (b !== null && b > py) [py, bestPython] = [b, t];
  }
  const bare = bestRps(rows, 'bare');
  const logged = bestRps(rows, 'kiln-log');
  const unlogged = bestRps(rows, 'kiln-nolog');
  const k16 = rows.filter((r) => r.target === 'kiln' && r.connections === 16);
  return {
    kilnOverBestPython: kiln !== null && bestPython !== null && py > 0 ? kiln / py : null,
    kilnOverBare: kiln !== null && bare ? kiln / bare : null,
    kilnP99At16Ms: k16.length ? Math.max(...k16.map((r) => r.result.p99Ms)) : null,
    bestPython,
    ...(logged !== null || unlogged !== null ? { loggedOverUnlogged: logged !== null && unlogged ? logged / unlogged : null } : {}),
    ...(logged !== null || unlogged !== null ? { cpuUnloggedOverLogged: cpuRatio(rows), loggedOverUnloggedPaired: pairedRatio(rows) } : {}),
  };
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? (a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2) : null;
};

/** Median of `kiln-log` over `kiln-nolog` req/s for runs with the same connections and run number (run back to back), or null. */
function pairedRatio(rows: readonly BenchRow[]): number | null {
  const ratios: number[] = [];
  for (const on of rows.filter((r) => r.target === 'kiln-log')) {
    const off = rows.find((r) => r.target === 'kiln-nolog' && r.connections === on.connections && r.run === on.run);
    if (off && off.result.rps > 0) ratios.push(on.result.rps / off.result.rps);
  }
  return median(ratios);
}

/** Median CPU µs per request of `kiln-nolog` over `kiln-log`, or null when either was not measured. */
function cpuRatio(rows: readonly BenchRow[]): number | null {
  const of = (t: TargetId) => median(rows.filter((r) => r.target === t && typeof r.cpuUsPerRequest === 'number').map((r) => r.cpuUsPerRequest!));
  const on = of('kiln-log');
  const off = of('kiln-nolog');
  return on && off ? off / on : null;
}

/** Median CPU µs per request of a target, or null. */
export function cpuPerRequest(rows: readonly BenchRow[], target: TargetId): number | null {
  return median(rows.filter((r) => r.target === target && typeof r.cpuUsPerRequest === 'number').map((r) => r.cpuUsPerRequest!));
}

/** The ratios as markdown bullets, each against the issue's target. */
export function formatRatios(r: Ratios): string {
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const na = 'n/a (Kiln or the other side was not measured)';
  return [
    `- Kiln / best Python (${r.bestPython ? TARGET_LABELS[r.bestPython] : 'none'}): ${r.kilnOverBestPython === null ? na : `**${r.kilnOverBestPython.toFixed(2)}×** (target ≥ 5×: ${verdict(r.kilnOverBestPython >= 5)})`}`,
    `- Kiln / bare Node ceiling: ${r.kilnOverBare === null ? na : `**${(r.kilnOverBare * 100).toFixed(0)}%** (target ≥ 50%: ${verdict(r.kilnOverBare >= 0.5)})`}`,
    `- Kiln p99 at 16 connections (worst run): ${r.kilnP99At16Ms === null ? na : `**${r.kilnP99At16Ms.toFixed(2)} ms** (target ≤ 5 ms: ${verdict(r.kilnP99At16Ms <= 5)})`}`,
    ...(r.loggedOverUnlogged !== undefined ? [`- Kiln with every prediction logged / without: ${r.loggedOverUnlogged === null ? na : `**${(r.loggedOverUnlogged * 100).toFixed(0)}%** (target ≥ 90%: ${verdict(r.loggedOverUnlogged >= 0.9)})`}`] : []),
    ...(r.loggedOverUnloggedPaired !== undefined && r.loggedOverUnloggedPaired !== null ? [`- the same, median over back-to-back run pairs: **${(r.loggedOverUnloggedPaired * 100).toFixed(0)}%**`] : []),
    ...(r.cpuUnloggedOverLogged !== undefined && r.cpuUnloggedOverLogged !== null ? [`- serving CPU per request without logging / with it (medians): **${(r.cpuUnloggedOverLogged * 100).toFixed(0)}%** (the throughput ratio when serving's CPU is the bottleneck; robust to other load)`] : []),
  ].join('\n');
}

export const DOCS_START = '<!-- bench:serve start -->';
export const DOCS_END = '<!-- bench:serve end -->';
export const DOCS_HEADING = '## Serving throughput (bench:serve)';

/** Where a generated section goes in docs/benchmarks.md. */
export interface DocsMarkers {
  start: string;
  end: string;
  heading: string;
}
const SERVE_MARKERS: DocsMarkers = { start: DOCS_START, end: DOCS_END, heading: DOCS_HEADING };
export const OVERLOAD_MARKERS: DocsMarkers = {
  start: '<!-- bench:serve-overload start -->',
  end: '<!-- bench:serve-overload end -->',
  heading: '## Serving under overload (bench:serve --overload)',
};

/**
 * Replaces the text between the bench:serve markers of a markdown document with `section`;
 * appends the heading and the markers at the end when the document has none.
 * @throws Error when only one marker is present, a marker appears twice, or end precedes start.
 */
export function replaceDocsSection(doc: string, section: string, m: DocsMarkers = SERVE_MARKERS): string {
  const count = (s: string) => doc.split(s).length - 1;
  const [ns, ne] = [count(m.start), count(m.end)];
  const body = `${m.start}\n${section.trim()}\n${m.end}`;
  if (ns === 0 && ne === 0) return `${doc.replace(/\s*$/, '')}\n\n${m.heading}\n\n${body}\n`;
  if (ns !== 1 || ne !== 1) throw new Error(`docs: expected one "${m.start}" and one "${m.end}", found ${ns} and ${ne}`);
  const i = doc.indexOf(m.start);
  const j = doc.indexOf(m.end);
  if (j < i) throw new Error(`docs: "${m.end}" comes before "${m.start}"`);
  return doc.slice(0, i) + body + doc.slice(j + m.end.length);
}

/** p50/p90/p99/max of a list of latencies, ms (what bench/load-client.mjs reports). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What bench/load-client.mjs's runLoad resolves to. */
export interface LoadResult {
  seconds: number;
  statuses: Record<string, LatencySummary>;
  errors: Record<string, number>;
  noRetryAfter: number;
  probe: LatencySummary;
  probeErrors: unknown[];
  control: LatencySummary;
}

/** The overload run's figures, as the docs show them. */
export interface OverloadReport {
  connections: number;
  /** admitted requests/s the server sustains (4 connections, closed loop) */
  capacityRps: number;
  /** the offered load, requests/s (null: closed loop, each connection re-sending at once) */
  offeredRps: number | null;
  instances: number;
  unloaded: LatencySummary;
  load: LoadResult;
  health: LoadResult;
}

/** The overload run as markdown: admitted p99 against 10× the unloaded p99, the 429 share, health latency. */
export function overloadMarkdown(r: OverloadReport): string {
  const ok = r.load.statuses['200'];
  const refused = r.load.statuses['429'];
  const total = Object.values(r.load.statuses).reduce((a, s) => a + s.count, 0);
  const others = Object.entries(r.load.statuses).filter(([k]) => k !== '200' && k !== '429');
  const errors = Object.entries(r.load.errors);
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(2));
  const admittedOk = ok !== undefined && ok.p99 < 10 * r.unloaded.p99;
  const h = r.health.probe;
  const offered = r.offeredRps === null ? `closed loop (${Math.round(total / r.load.seconds)} req/s offered, ${(total / r.load.seconds / r.capacityRps).toFixed(0)}× capacity)` : `${Math.round(r.offeredRps)} req/s offered (${(r.offeredRps / r.capacityRps).toFixed(0)}× capacity)`;
  return [
    `Capacity ${Math.round(r.capacityRps)} req/s of ${r.instances} instances; load: ${offered}.`,
    '',
    '| measure | count | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |',
    '|---|---:|---:|---:|---:|---:|',
    `| unloaded, 1 connection | ${r.unloaded.count} | ${f(r.unloaded.p50)} | ${f(r.unloaded.p90)} | ${f(r.unloaded.p99)} | ${f(r.unloaded.max)} |`,
    `| ${r.connections} connections: admitted (200) | ${ok?.count ?? 0} | ${f(ok?.p50)} | ${f(ok?.p90)} | ${f(ok?.p99)} | ${f(ok?.max)} |`,
    `| ${r.connections} connections: refused (429) | ${refused?.count ?? 0} | ${f(refused?.p50)} | ${f(refused?.p90)} | ${f(refused?.p99)} | ${f(refused?.max)} |`,
    `| \`GET /healthz\` meanwhile | ${h.count} | ${f(h.p50)} | ${f(h.p90)} | ${f(h.p99)} | ${f(h.max)} |`,
    `| an idle bare server probed alongside (the machine's own share) | ${r.health.control.count} | ${f(r.health.control.p50)} | ${f(r.health.control.p90)} | ${f(r.health.control.p99)} | ${f(r.health.control.max)} |`,
    '',
    `- Admitted p99 / unloaded p99: **${ok ? (ok.p99 / r.unloaded.p99).toFixed(1) : 'n/a'}×** (target < 10×: ${verdict(admittedOk)})`,
    `- 429 share: **${total ? ((100 * (refused?.count ?? 0)) / total).toFixed(1) : '0'}%** of ${total} answers; 429s without Retry-After: ${r.load.noRetryAfter}; other statuses: ${others.length ? others.map(([k, v]) => `${k} ×${v.count}`).join(', ') : 'none'}; socket errors: ${errors.length ? errors.map(([k, v]) => `${k} ×${v}`).join(', ') : 'none'}`,
    `- \`/healthz\` p99 under overload: **${f(h.p99)} ms**, max ${f(h.max)} ms (target ≤ 50 ms: ${verdict(h.max <= 50)}${r.health.probeErrors.length ? `; ${r.health.probeErrors.length} probe failures` : ''})`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run itself: everything below starts processes and is exercised by `npm run bench:serve`.

const ROOT = resolve(import.meta.dirname, '..');
const PEERS = join(ROOT, 'bench/serve_peers');
const LUA = join(ROOT, 'bench/wrk/post.lua');
const CARS = join(ROOT, 'node_modules/vega-datasets/data/cars.json');
const KILN = join(ROOT, 'server/cli/kiln.mjs');
// Debian's interpreter, where python3-sklearn/-fastapi/-flask live (a pyenv shim may shadow it).
const PYTHON = '/usr/bin/python3';
const TARGET = 'Miles_per_Gallon';
const MODEL = 'cars';
const CONNECTIONS = [16, 64];
const RUNS = 2;

interface Options {
  overload: boolean;
  connections: number;
  /** offered load as a multiple of the measured capacity; 0: closed loop */
  times: number;
  writeDocs: boolean;
  durationS: number;
  warmupS: number;
  targets: TargetId[];
  keep: boolean;
  /** wrk runs per target and connection count */
  runs: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { overload: false, connections: 512, times: 10, writeDocs: false, durationS: 10, warmupS: 3, targets: ['kiln', 'fastapi', 'flask', 'bare'], keep: false, runs: RUNS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--write-docs') o.writeDocs = true;
    else if (a === '--overload') o.overload = true;
    else if (a === '--times') {
      const n = Number(val());
      if (!Number.isFinite(n) || n < 0) throw new Error('--times must be a number ≥ 0 (0: closed loop)');
      o.times = n;
    } else if (a === '--connections') {
      const n = Number(val());
      if (!Number.isInteger(n) || n < 1) throw new Error('--connections must be a whole number ≥ 1');
      o.connections = n;
    }
    else if (a === '--keep') o.keep = true;
    else if (a === '--runs') {
      const n = Number(val());
      if (!Number.isInteger(n) || n < 1 || n > 50) throw new Error('--runs must be a whole number from 1 to 50');
      o.runs = n;
    }
    else if (a === '--duration' || a === '--warmup') {
      const n = Number(val());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} must be a whole number of seconds ≥ 1`);
      if (a === '--duration') o.durationS = n;
      else o.warmupS = n;
    } else if (a === '--targets') {
      const ts = val().split(',').map((s) => s.trim());
      for (const t of ts) if (!(t in TARGET_LABELS)) throw new Error(`--targets: unknown target "${t}" (kiln, kiln-log, kiln-nolog, fastapi, flask, bare)`);
      o.targets = ts as TargetId[];
    } else throw new Error(`unknown option "${a}" (--write-docs, --duration S, --warmup S, --targets kiln,fastapi,flask,bare, --overload, --connections N, --times X, --keep)`);
  }
  if (o.writeDocs && !o.overload && (o.targets.length < 4 || o.durationS !== 10)) throw new Error('--write-docs records the full bench only: all four targets, --duration 10');
  return o;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What `kiln run --json` prints, the parts the bench reports. */
interface KilnRun {
  metrics: Record<string, number>;
  nTest: number;
  backend: string;
}

/** What bench/serve_peers/train_cars.py prints. */
interface SklearnFit {
  rows: number;
  seconds: number;
  r2: number;
  rmse: number;
}

/** Builds the Kiln package and returns Kiln's test metrics and the split it trained on. */
async function buildKiln(dir: string, withPackage: boolean) {
  const graphFile = join(dir, 'cars-graph.json');
  await run(process.execPath, [KILN, 'init', '--data', CARS, '--target', TARGET, '--model', 'mlp', '-o', graphFile], { cwd: ROOT });
  const graph = JSON.parse(readFileSync(graphFile, 'utf8')) as { seed: number; nodes: { id: string; kind: string }[]; edges: { source: string; target: string }[] };
  let kiln: KilnRun | null = null;
  if (withPackage) {
    const { stdout } = await run(process.execPath, [KILN, 'run', graphFile, '--data', CARS, '--out', join(dir, 'cars-pkg'), '--name', MODEL, '--json'], { cwd: ROOT, maxBuffer: 1 << 24 });
    kiln = JSON.parse(stdout.trim().split('\n').pop()!) as KilnRun;
  }
  // The split's rows: run only the split node and its ancestors. Same graph seed and node ids,
  // so the same seeded split as `kiln run` above, without training twice.
  await import('../lib/nodes/catalog');
  const { runGraph } = await import('../lib/exec/executor');
  const { readDataFile } = await import('../lib/data/node');
  const { nodesWithRole } = await import('../lib/nodes/graph-queries');
  const splitNode = nodesWithRole(graph, 'split')[0];
  if (!splitNode) throw new Error('kiln init wrote no split node');
  const keep = new Set([splitNode.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of graph.edges) {
      if (keep.has(e.target) && !keep.has(e.source)) {
        keep.add(e.source);
        grew = true;
      }
    }
  }
  const sub = { ...graph, nodes: graph.nodes.filter((n) => keep.has(n.id)), edges: graph.edges.filter((e) => keep.has(e.source) && keep.has(e.target)) };
  const r = await runGraph(sub, { loadData: async () => readDataFile(CARS) });
  const split = (r.outputs[splitNode.id]!.data as { split?: Uint8Array }).split;
  if (!split) throw new Error('split node returned no split');
  const train = [...split.keys()].filter((i) => split[i] === 0);
  const test = [...split.keys()].filter((i) => split[i] === 1);
  return { graphFile, kiln, train, test };
}

interface Started {
  proc: ChildProcess;
  /** `kiln-log`: the stand-in control plane it logs to */
  stub?: ChildProcess;
  url: string;
  log: string;
  exited: Promise<number | null>;
}

function start(target: TargetId, port: number, dir: string, pkgDir: string, modelPkl: string, stubPort = 0): Started {
  const log = join(dir, `${target}.log`);
  const fd = openSync(log, 'w');
  const viaStub = target === 'kiln-log' || target === 'kiln-nolog';
  const stub = viaStub ? spawn(process.execPath, [join(PEERS, 'control-plane-stub.mjs'), String(stubPort), pkgDir, target === 'kiln-log' ? '1' : '0'], { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] }) : undefined;
  // One BLAS thread per worker: with 2 workers on 2 cores, OpenBLAS's own threads only fight
  // over the cores (measured: half the CPU went to system time without this).
  const pyEnv = { ...process.env, KILN_BENCH_MODEL: modelPkl, KILN_BENCH_NAME: MODEL, PYTHONDONTWRITEBYTECODE: '1', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const [cmd, args, cwd, env] = ((): [string, string[], string, NodeJS.ProcessEnv] => {
    switch (target) {
      case 'kiln':
        return [process.execPath, [KILN, 'serve', pkgDir, '--name', MODEL, '--port', String(port)], ROOT, { ...process.env, KILN_SERVING_DRAIN_GRACE_MS: '0' }];
      case 'kiln-log':
      case 'kiln-nolog':
        return [process.execPath, [KILN, 'serving', '--server', `http://127.0.0.1:${stubPort}`, '--port', String(port), '--backend', 'cpu'], ROOT, { ...process.env, KILN_SERVING_DRAIN_GRACE_MS: '0', KILN_SERVING_TOKEN: 'kiln_rt_bench' }];
      case 'fastapi':
        return [PYTHON, ['-m', 'uvicorn', 'fastapi_app:app', '--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--no-access-log', '--log-level', 'warning'], PEERS, pyEnv];
      case 'flask':
        return [PYTHON, ['-m', 'gunicorn', '--workers', '2', '--worker-class', 'sync', '--bind', `127.0.0.1:${port}`, '--log-level', 'warning', 'flask_app:app'], PEERS, pyEnv];
      case 'bare':
        return [process.execPath, [join(PEERS, 'bare.mjs'), String(port)], ROOT, process.env];
    }
  })();
  // Own process group, so stopping it also stops uvicorn's and gunicorn's workers.
  const proc = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { proc, ...(stub ? { stub } : {}), url: `http://127.0.0.1:${port}/v1/models/${MODEL}:predict`, log, exited };
}

async function stop(s: Started): Promise<void> {
  if (s.stub && s.stub.exitCode === null) {
    try {
      process.kill(-s.stub.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  try {
    process.kill(-s.proc.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([s.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!done) {
    try {
      process.kill(-s.proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await s.exited;
  }
}

const tail = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');

/** Waits until the target answers a predict with one finite number; returns that number. */
async function waitReady(s: Started, body: string, timeoutMs = 120_000): Promise<number> {
  const t0 = Date.now();
  let last = '';
  let exited = false;
  void s.exited.then(() => (exited = true));
  while (Date.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`server exited before it answered; last log lines:\n${tail(s.log)}`);
    try {
      const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status === 200) {
        const p = (JSON.parse(text) as { predictions?: unknown }).predictions;
        if (!Array.isArray(p) || p.length !== 1 || typeof p[0] !== 'number' || !Number.isFinite(p[0])) throw new Error(`predict answered ${text.slice(0, 200)}, expected {"predictions": [<one finite number>]}`);
        return p[0];
      }
      last = `HTTP ${res.status}: ${text.slice(0, 200)}`;
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('predict answered')) throw e;
      last = String((e as Error).cause ?? e);
    }
    await sleep(250);
  }
  throw new Error(`no 200 from ${s.url} within ${timeoutMs / 1000} s (last: ${last}); log:\n${tail(s.log)}`);
}

/**
 * CPU time (user + system, ms) of every process in process group `pgid` (the server under test
 * was spawned detached, so its workers share its group), from /proc; null where there is none.
 */
function groupCpuMs(pgid: number): number | null {
  let ticks = 0;
  let found = false;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${n}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may hold spaces) in parentheses: state ppid pgrp … utime(14) stime(15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    found = true;
    ticks += Number(f[11]) + Number(f[12]);
  }
  // Linux's USER_HZ is 100 on every architecture Node runs on.
  return found ? ticks * 10 : null;
}

async function wrk(url: string, connections: number, seconds: number, bodyFile: string): Promise<WrkResult> {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', LUA, url, '--', bodyFile], { maxBuffer: 1 << 20 });
  return parseWrkOutput(stdout);
}

/** The machine, Node, wrk and (when they ran) the Python peers' versions, for the docs. */
async function machine(peers: boolean, tool: 'wrk' | 'load-client' = 'wrk'): Promise<string> {
  const c = cpus();
  const load = loadavg()[0]!.toFixed(1);
  const first = `${c.length} vCPUs (\`${c[0]?.model.trim() ?? 'unknown'}\`), ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${load} when it ended; ${tool} shares the cores with the server under test.`;
  if (tool === 'load-client') return `${first}\nNode ${process.version}.`;
  // `wrk -v` prints its version and exits non-zero.
  const wrkVersion = await run('wrk', ['-v']).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  if (!peers) return `${first}\nNode ${process.version}; ${wrkVersion.split('\n')[0]!.trim()}.`;
  const py = await run(PYTHON, ['-c', 'import json,sklearn,pandas,fastapi,uvicorn,flask,gunicorn;print(json.dumps({m.__name__:m.__version__ for m in (sklearn,pandas,fastapi,uvicorn,flask,gunicorn)}))']).then((r) => JSON.parse(r.stdout) as Record<string, string>);
  const pyVersion = (await run(PYTHON, ['--version'])).stdout.trim();
  return [first, `Node ${process.version}; ${wrkVersion.split('\n')[0]!.trim()}; ${pyVersion} with scikit-learn ${py.sklearn}, pandas ${py.pandas}, FastAPI ${py.fastapi}, uvicorn ${py.uvicorn} (h11, asyncio loop), Flask ${py.flask}, gunicorn ${py.gunicorn} — Debian packages.`].join('\n');
}

const LOAD_CLIENT = new URL('./load-client.mjs', import.meta.url);

/** bench/load-client.mjs's runLoad in a worker thread, so its work is not on this event loop. */
function load(opts: { url: string; body?: string; connections: number; durationMs: number; rate?: number; probeUrl?: string; probeEveryMs?: number; control?: boolean }): Promise<LoadResult> {
  return new Promise((res, rej) => {
    const w = new Worker(LOAD_CLIENT, { workerData: opts });
    w.once('message', (m: LoadResult) => {
      res(m);
      void w.terminate();
    });
    w.once('error', rej);
  });
}

/** `--overload`: `kiln serve` under N connections of 1,000-instance bodies; see the file's doc. */
async function runOverload(o: Options, dir: string, records: Record<string, unknown>[]): Promise<string> {
  const N = 1000;
  const body = JSON.stringify({ instances: Array.from({ length: N }, (_, i) => records[i % records.length]) });
  const port = await freePort();
  const s = start('kiln', port, dir, join(dir, 'cars-pkg'), '');
  try {
    await waitReady(s, JSON.stringify({ instances: [records[0]] }));
    const durationMs = o.durationS * 1000;
    console.error(`bench:serve --overload: ${N}-instance bodies of ${body.length} bytes; warm-up ${o.warmupS} s`);
    await load({ url: s.url, body, connections: 4, durationMs: o.warmupS * 1000 });
    const unloaded = await load({ url: s.url, body, connections: 1, durationMs });
    const only200 = Object.keys(unloaded.statuses).join() === '200';
    if (!only200) throw new Error(`unloaded run answered ${JSON.stringify(unloaded.statuses)} ${JSON.stringify(unloaded.errors)}`);
    const cap = await load({ url: s.url, body, connections: 4, durationMs });
    const capacityRps = (cap.statuses['200']?.count ?? 0) / cap.seconds;
    const offeredRps = o.times > 0 ? o.times * capacityRps : null;
    console.error(`  unloaded: p50 ${fmtMs(unloaded.statuses['200']!.p50)} ms, p99 ${fmtMs(unloaded.statuses['200']!.p99)} ms; capacity ${Math.round(capacityRps)} req/s; now ${o.connections} connections${offeredRps ? ` at ${Math.round(offeredRps)} req/s` : ', closed loop'} for ${o.durationS} s`);
    const [loadRes, health] = await Promise.all([
      load({ url: s.url, body, connections: o.connections, durationMs, ...(offeredRps ? { rate: offeredRps } : {}) }),
      load({ url: s.url, connections: 0, durationMs, probeUrl: s.url.replace(/\/v1\/models\/.*$/, '/healthz'), probeEveryMs: 20, control: true }),
    ]);
    const report: OverloadReport = { connections: o.connections, capacityRps, offeredRps, instances: N, unloaded: unloaded.statuses['200']!, load: loadRes, health };
    const date = new Date().toISOString().slice(0, 10);
    return [
      `\`npm run bench:serve -- --overload --connections ${o.connections} --times ${o.times}\` (\`bench/serve.ts\`, load from \`bench/load-client.mjs\`), ${date}.`,
      '',
      `**Load.** \`kiln serve\` (default limits: 1,000 instances per request, ${4 * N} in flight, 20 ms of queued work, 2 ms slices) on the cars MLP; every request is \`POST /v1/models/cars:predict\` with ${N} raw cars records (${body.length} bytes). ${o.warmupS} s warm-up with 4 connections, then ${o.durationS} s with 1 connection (unloaded), then ${o.durationS} s with 4 (capacity: admitted requests/s), then ${o.durationS} s with ${o.connections} keep-alive connections ${offeredRps ? `paced to ${o.times}× that capacity (429s not retried sooner than the pace)` : 'in a closed loop (each sends again as soon as it is answered, 429 or not)'} while another thread GETs \`/healthz\` every 20 ms, alternating with an idle bare Node server of its own.`,
      '',
      `**Machine.** ${await machine(false, 'load-client')}`,
      '',
      overloadMarkdown(report),
    ].join('\n');
  } finally {
    await stop(s);
  }
}

async function main(argv: string[]): Promise<void> {
  const o = parseArgs(argv);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-serve-'));
  let current: Started | null = null;
  const onSignal = () => {
    if (current?.proc.pid) {
      try {
        process.kill(-current.proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const needKiln = o.overload || o.targets.includes('kiln') || o.targets.includes('kiln-log') || o.targets.includes('kiln-nolog');
    const needPy = !o.overload && o.targets.some((t) => PYTHON_TARGETS.includes(t));
    console.error(`bench:serve: building the cars pipeline in ${dir}`);
    const built = await buildKiln(dir, needKiln);
    const cars = JSON.parse(readFileSync(CARS, 'utf8')) as Record<string, unknown>[];
    // One held-out record with every field present, sent as it appears in cars.json (name and
    // target included: both servers ignore fields their model does not read).
    const record = built.test.map((i) => cars[i]!).find((r) => Object.values(r).every((v) => v !== null));
    if (!record) throw new Error('no complete test record');
    if (o.overload) {
      const complete = built.test.map((i) => cars[i]!).filter((r) => Object.values(r).every((v) => v !== null));
      const section = await runOverload(o, dir, complete);
      console.log(section);
      if (o.writeDocs) {
        const docs = join(ROOT, 'docs/benchmarks.md');
        writeFileSync(docs, replaceDocsSection(readFileSync(docs, 'utf8'), section, OVERLOAD_MARKERS));
        console.error(`bench:serve: wrote the bench:serve-overload section of ${docs}`);
      }
      return;
    }
    const body = JSON.stringify({ instances: [record] });
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, body);

    const modelPkl = join(dir, 'cars-sklearn.pkl');
    let sk: SklearnFit | null = null;
    if (needPy) {
      const spec = join(dir, 'sklearn-spec.json');
      writeFileSync(spec, JSON.stringify({ path: CARS, target: TARGET, train: built.train, test: built.test, out: modelPkl }));
      const { stdout } = await run(PYTHON, [join(PEERS, 'train_cars.py'), spec], { cwd: PEERS, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
      sk = JSON.parse(stdout.trim().split('\n').pop()!) as SklearnFit;
    }
    const nTest = built.test.filter((i) => cars[i]![TARGET] !== null).length;
    if (built.kiln && built.kiln.nTest !== nTest) throw new Error(`split mismatch: kiln run scored ${built.kiln.nTest} test rows, the replayed split has ${nTest}`);

    const pipelineNote = [
      `Pipeline: \`kiln init --data cars.json --target ${TARGET} --model mlp\` (drop Name, median-impute, one-hot Origin, standard-scale, MLP 64-32), ${built.train.length} train / ${built.test.length} test rows; scikit-learn fits the same steps (MLPRegressor (64, 32)) on the same rows.`,
      built.kiln ? `Kiln test metrics: r2 ${built.kiln.metrics.r2?.toFixed(3)}, rmse ${built.kiln.metrics.rmse?.toFixed(3)} (trained on ${built.kiln.backend}).` : null,
      sk ? `scikit-learn test metrics: r2 ${sk.r2.toFixed(3)}, rmse ${sk.rmse.toFixed(3)}.` : null,
    ]
      .filter(Boolean)
      .join(' ');
    console.error(pipelineNote);

    const rows: BenchRow[] = [];
    const predictions: string[] = [];
    // `kiln-nolog` and `kiln-log` run side by side, their wrk runs alternating, so a change in
    // the machine's other load hits both alike; every other target runs alone.
    const paired = o.targets.includes('kiln-log') && o.targets.includes('kiln-nolog');
    const groups: TargetId[][] = [];
    for (const t of o.targets) {
      if (paired && (t === 'kiln-log' || t === 'kiln-nolog')) {
        if (!groups.some((g) => g.includes(t))) groups.push(['kiln-nolog', 'kiln-log']);
      } else groups.push([t]);
    }
    for (const group of groups) {
      const servers: Started[] = [];
      try {
        for (const target of group) {
          const s = start(target, await freePort(), dir, join(dir, 'cars-pkg'), modelPkl, target === 'kiln-log' || target === 'kiln-nolog' ? await freePort() : 0);
          servers.push(s);
          current = s;
          const p = await waitReady(s, body);
          predictions.push(`${target} ${p.toFixed(3)}`);
          console.error(`bench:serve: ${target} ready on ${s.url}, predicts ${p.toFixed(3)} (actual ${String(record[TARGET])}); warm-up ${o.warmupS} s`);
          await wrk(s.url, 16, o.warmupS, bodyFile);
        }
        for (const c of CONNECTIONS) {
          for (let i = 1; i <= o.runs; i++) {
            for (let k = 0; k < group.length; k++) {
              const target = group[k]!;
              const s = servers[k]!;
              const cpu0 = groupCpuMs(s.proc.pid!);
              const result = await wrk(s.url, c, o.durationS, bodyFile);
              const cpu1 = groupCpuMs(s.proc.pid!);
              const cpuUsPerRequest = cpu0 !== null && cpu1 !== null && result.requests > 0 ? ((cpu1 - cpu0) * 1000) / result.requests : null;
              rows.push({ target, connections: c, run: i, result, cpuUsPerRequest });
              console.error(`  ${target} c${c} run ${i}: ${fmtRps(result.rps)} req/s, p50 ${fmtMs(result.p50Ms)} ms, p99 ${fmtMs(result.p99Ms)} ms, non-2xx ${result.non2xx}, socket errors ${result.socketErrors}${cpuUsPerRequest !== null ? `, server CPU ${cpuUsPerRequest.toFixed(1)} µs/request` : ''}`);
            }
          }
        }
      } finally {
        for (const s of servers) await stop(s);
        current = null;
      }
    }

    const ratios = computeRatios(rows);
    const date = new Date().toISOString().slice(0, 10);
    const section = [
      `\`npm run bench:serve\` (\`bench/serve.ts\`, peers in \`bench/serve_peers/\`, load from \`bench/wrk/post.lua\`), ${date}.`,
      '',
      `**Load.** \`wrk -t2 -c{16,64} -d${o.durationS}s --latency\` on 127.0.0.1, one server loaded at a time after a ${o.warmupS} s warm-up, each configuration run ${o.runs === 2 ? 'twice' : `${o.runs} times`}${paired ? ' (`kiln-nolog` and `kiln-log` run alternately, back to back)' : ''}. Every request is \`POST /v1/models/cars:predict\` with \`{"instances": [one raw cars record]}\`; each server was first checked to answer it with one finite number (${predictions.join(', ')}; actual ${String(record[TARGET])}). non-2xx counts answers with a status above 399 (wrk's own count); socket errors are connect/read/write errors and timeouts (2 s).`,
      '',
      pipelineNote,
      '',
      `**Machine.** ${await machine(needPy)}`,
      '',
      markdownTable(rows),
      '',
      formatRatios(ratios),
    ].join('\n');
    console.log(section);
    if (o.writeDocs) {
      const docs = join(ROOT, 'docs/benchmarks.md');
      writeFileSync(docs, replaceDocsSection(readFileSync(docs, 'utf8'), section));
      console.error(`bench:serve: wrote the bench:serve section of ${docs}`);
    }
  } finally {
    if (o.keep) console.error(`bench:serve: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench:serve: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
