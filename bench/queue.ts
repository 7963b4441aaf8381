/**
 * Control-plane benchmark: the real server (PGlite, or PostgreSQL with --database-url) and real
 * `kiln runner` processes.
 *
 *   npm run bench:queue -- [--latency 20] [--runs 200] [--runners 4] [--epochs 100] [--backend wasm] [--database-url URL] [--json FILE]
 *
 * 1. submit → claim latency on an idle runner: `--latency` single runs submitted one at a time to
 *    one idle runner; latency = the run's startedAt − queuedAt (both server clock).
 * 2. queue throughput: `--runs` trivial runs (one built-in dataset node, no training) submitted in
 *    one batch to `--runners` idle runners; claims/s = runs / (last claim − first claim), and
 *    completions/s likewise over finishedAt.
 * 3. training throughput inside the runner vs `kiln run`, same graph (cars MLP 64×64, `--epochs`
 *    epochs, no validation split) on the same backend: samples/s = training rows × epochs / the
 *    train node's wall time (reported by the executor in both), plus end-to-end wall times.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../server/db/testing';
import { carsGraph, kiln, mintRunnerToken, REPO, startRunnerProc, startServer, trpcClient, type Proc } from '../server/runner/harness';

interface Args {
  latency: number;
  runs: number;
  runners: number;
  epochs: number;
  backend: string;
  databaseUrl?: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { latency: 20, runs: 200, runners: 4, epochs: 100, backend: 'wasm' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--latency') a.latency = Number(v);
    else if (k === '--runs') a.runs = Number(v);
    else if (k === '--runners') a.runners = Number(v);
    else if (k === '--epochs') a.epochs = Number(v);
    else if (k === '--backend') a.backend = v;
    else if (k === '--database-url') a.databaseUrl = v;
    else if (k === '--json') a.json = v;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const TRIVIAL = { version: 1, name: 'trivial', seed: 1, nodes: [{ id: 'data', kind: 'dataset', params: { source: 'builtin', name: 'cars' } }], edges: [] };

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

type Trpc = ReturnType<typeof trpcClient>;

async function waitDone(trpc: Trpc, ids: string[], timeoutMs = 600_000) {
  const t0 = Date.now();
  for (;;) {
    const runs = await Promise.all(ids.map((id) => trpc.runs.get.query({ id })));
    if (runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status))) return runs;
    if (Date.now() - t0 > timeoutMs) throw new Error('runs did not finish');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ms = (d: Date | string | null) => (d ? new Date(d).getTime() : NaN);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-queue-'));
  const procs: Proc[] = [];
  const pgDb = args.databaseUrl ? await createTestDatabase(args.databaseUrl) : null;
  try {
    const server = await startServer({ dataDir: join(work, 'data'), ...(pgDb ? { databaseUrl: pgDb.url } : {}) });
    procs.push(server.proc);
    const { url } = server;
    const trpc = trpcClient(url);
    const cacheDir = join(work, 'cache');
    const results: Record<string, unknown> = { db: pgDb ? 'postgres' : 'pglite', cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };

    // 1. submit → claim latency, one idle runner.
    const r0 = await startRunnerProc({ url, token: await mintRunnerToken(url, 'bench-0'), name: 'bench-0', cacheDir, backend: 'cpu' });
    procs.push(r0);
    const lat: number[] = [];
    for (let i = 0; i < args.latency; i++) {
      const { runId } = await trpc.runs.submit.mutate({ projectName: 'bench', graph: TRIVIAL, options: { backend: 'cpu' } });
      const [run] = await waitDone(trpc, [runId]);
      lat.push(ms(run!.startedAt) - ms(run!.queuedAt));
      // Let the runner fall back to idle polling, as a runner waiting for work would be.
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    }
    results.submitToClaimMs = { n: lat.length, median: quantile(lat, 0.5), p90: quantile(lat, 0.9), max: Math.max(...lat) };
    await r0.stop();

    // 2. queue throughput with N runners on trivial graphs.
    const rs = await Promise.all(
      Array.from({ length: args.runners }, async (_, i) => startRunnerProc({ url, token: await mintRunnerToken(url, `tp-${i}`), name: `tp-${i}`, cacheDir, backend: 'cpu' })),
    );
    procs.push(...rs);
    const submitted = await Promise.all(Array.from({ length: args.runs }, () => trpc.runs.submit.mutate({ projectName: 'bench', graph: TRIVIAL, options: { backend: 'cpu' } })));
    const runs = await waitDone(trpc, submitted.map((s) => s.runId));
    const starts = runs.map((r) => ms(r.startedAt)).sort((x, y) => x - y);
    const ends = runs.map((r) => ms(r.finishedAt)).sort((x, y) => x - y);
    const ok = runs.filter((r) => r.status === 'succeeded').length;
    results.queue = {
      runs: args.runs,
      runners: args.runners,
      succeeded: ok,
      claimsPerSecond: (args.runs - 1) / ((starts.at(-1)! - starts[0]!) / 1000),
      completionsPerSecond: args.runs / ((ends.at(-1)! - starts[0]!) / 1000),
      maxAttempts: Math.max(...runs.map((r) => r.attempts)),
    };
    await Promise.all(rs.map((p) => p.stop()));

    // 3. training throughput: runner vs kiln run, same graph and backend.
    const graph = carsGraph(args.epochs, 'mlp', `bench mlp ${args.epochs}`);
    (graph.nodes.find((n) => n.id === 'train')!.params as { validationFraction: number }).validationFraction = 0;
    const gfile = join(work, 'mlp.json');
    await writeFile(gfile, JSON.stringify(graph));
    const carsFile = join(REPO, 'node_modules/vega-datasets/data/cars.json');
    const local: { trainMs: number; totalMs: number; nTest: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await kiln(['run', gfile, '--data', `cars=${carsFile}`, '--backend', args.backend, '--json']);
      if (r.code !== 0) throw new Error(`kiln run failed: ${r.stderr}`);
      const o = JSON.parse(r.stdout) as { timings: { totalMs: number; nodes: Record<string, number> }; nTest: number; backend: string };
      local.push({ trainMs: o.timings.nodes.train!, totalMs: o.timings.totalMs, nTest: o.nTest });
    }
    const rows = 406 - local[0]!.nTest;
    const samples = rows * args.epochs;
    const rr = await startRunnerProc({ url, token: await mintRunnerToken(url, 'train-0'), name: 'train-0', cacheDir, backend: args.backend });
    procs.push(rr);
    const first = await kiln(['submit', gfile, '--data', `cars=${carsFile}`, '--server', url, '--project', 'bench', '--backend', args.backend, '--wait', '--json']);
    if (first.code !== 0) throw new Error(`kiln submit failed: ${first.stderr}`);
    const runnerRuns: { trainMs: number; wallMs: number; submitToDoneMs: number }[] = [];
    const datasetId = ((await trpc.runs.get.query({ id: (JSON.parse(first.stdout) as { runId: string }).runId })).datasets as Record<string, string>).cars!;
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const { runId } = await trpc.runs.submit.mutate({ projectName: 'bench', graph, datasets: { cars: datasetId }, options: { backend: args.backend as 'wasm' } });
      const [run] = await waitDone(trpc, [runId]);
      const submitToDoneMs = Date.now() - t0;
      const ev = await trpc.runs.events.query({ runId, afterId: 0, limit: 5000 });
      const fin = ev.events.find((e) => e.type === 'node-finish' && (e.payload as { nodeId: string }).nodeId === 'train');
      runnerRuns.push({ trainMs: (fin!.payload as { ms: number }).ms, wallMs: ms(run!.finishedAt) - ms(run!.startedAt), submitToDoneMs });
    }
    await rr.stop();
    const bestLocal = Math.min(...local.map((l) => l.trainMs));
    const bestRunner = Math.min(...runnerRuns.map((r) => r.trainMs));
    results.training = {
      graph: `cars MLP 64x64, ${args.epochs} epochs, batch 32, ${rows} training rows`,
      backend: args.backend,
      kilnRun: { trainMsBest: Math.round(bestLocal), samplesPerSecond: Math.round(samples / (bestLocal / 1000)), totalMsBest: Math.min(...local.map((l) => l.totalMs)) },
      runner: {
        trainMsBest: Math.round(bestRunner),
        samplesPerSecond: Math.round(samples / (bestRunner / 1000)),
        claimToCompleteMsBest: Math.min(...runnerRuns.map((r) => r.wallMs)),
        submitToDoneMsBest: Math.min(...runnerRuns.map((r) => r.submitToDoneMs)),
      },
      runnerVsKilnRun: Number((bestLocal / bestRunner).toFixed(3)),
    };

    console.log(JSON.stringify(results, null, 2));
    if (args.json) await writeFile(args.json, `${JSON.stringify(results, null, 2)}\n`);
    await server.proc.stop();
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.kill9();
    await pgDb?.drop().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench:queue: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
