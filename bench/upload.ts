/**
 * `npm run bench:upload`: does a large legal dataset upload stall the control plane for other
 * users? Starts `server/main.ts --no-ui` on a fresh data dir, uploads a generated CSV (default
 * 200 MB) with curl from another process, and meanwhile calls `/api/health` and the tRPC query
 * `datasets.list` every 20 ms, each on a new connection. Prints their latencies while the upload
 * streams and is parsed, and, for comparison, how long parsing the same file takes in-thread
 * (what the upload did on the event loop before the parse worker).
 *
 *   npm run bench:upload [-- --mb 200 --port 3341]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeDataset } from '../server/data/dataset-summary';

const TOKEN = 'kiln-bench-upload-token-0123456789';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '200' }, port: { type: 'string', default: '3341' }, 'skip-in-thread': { type: 'boolean', default: false } } });
const targetBytes = Number(values.mb) * 1024 * 1024;
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;

/** Writes rows `id,price,qty,city,when,flag,note` until the file reaches `bytes`; returns the row count. */
async function writeCsv(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  out.write('id,price,qty,city,when,flag,note\n');
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    const lines: string[] = [];
    for (let k = 0; k < 10_000; k++, rows++) {
      const i = rows;
      lines.push(`${i},${((i * 37) % 100_000) / 100},${i % 97},city${i % 500},2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')},${i % 2 ? 'true' : 'false'},note number ${i % 1000}`);
    }
    const chunk = lines.join('\n') + '\n';
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return rows;
}

function getFresh(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject);
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function startServer(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--no-ui', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, KILN_BOOTSTRAP_TOKEN: TOKEN, KILN_MAX_UPLOAD_BYTES: String(1024 * 1024 * 1024) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return child;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-upload-'));
  const server = await startServer(join(dir, 'data'));
  try {
    const file = join(dir, 'big.csv');
    const rows = await writeCsv(file, targetBytes);
    const size = (await stat(file)).size;
    console.log(`file: ${(size / 1e6).toFixed(1)} MB, ${rows} rows × 7 columns`);
    // A first small upload creates the project (tRPC answers for it) and starts the parse worker.
    await new Promise<void>((r, j) => spawn('curl', ['-sf', '-o', '/dev/null', '-T', '-', '-H', `authorization: Bearer ${TOKEN}`, `${base}/api/datasets?project=bench&name=small.csv`], { stdio: ['pipe', 'inherit', 'inherit'] }).on('exit', (c) => (c === 0 ? r() : j(new Error(`curl ${c}`)))).stdin!.end('a,b\n1,2\n'));

    const listPath = `/api/trpc/datasets.list?input=${encodeURIComponent(JSON.stringify({ projectName: 'bench' }))}`;
    // Baseline: the same calls for 3 s with no upload (this machine is shared; its noise shows here).
    const idleHealth: number[] = [];
    const idleTrpc: number[] = [];
    for (const end = performance.now() + 3000; performance.now() < end; ) {
      const a = performance.now();
      await Promise.all([getFresh('/api/health').then(() => idleHealth.push(performance.now() - a)), getFresh(listPath).then(() => idleTrpc.push(performance.now() - a))]);
      await new Promise((r) => setTimeout(r, 20));
    }

    const t0 = performance.now();
    let uploadMs = 0;
    let answer = '';
    const curl = spawn('curl', ['-s', '-T', file, '-H', `authorization: Bearer ${TOKEN}`, `${base}/api/datasets?project=bench&name=big.csv`], { stdio: ['ignore', 'pipe', 'inherit'] });
    curl.stdout.on('data', (c: Buffer) => (answer += c.toString()));
    const done = new Promise<void>((r) => curl.on('exit', () => ((uploadMs = performance.now() - t0), r())));
    let finished = false;
    void done.then(() => (finished = true));
    const health: number[] = [];
    const trpc: number[] = [];
    while (!finished) {
      const a = performance.now();
      const [h, l] = await Promise.all([
        getFresh('/api/health').then((s) => [s, performance.now() - a] as const),
        getFresh(listPath).then((s) => [s, performance.now() - a] as const),
      ]);
      if (h[0] !== 200 || l[0] !== 200) throw new Error(`health ${h[0]}, datasets.list ${l[0]}`);
      health.push(h[1]);
      if (h[1] > 300 || l[1] > 300) console.log(`  slow call at ${((a - t0) / 1000).toFixed(1)} s: health ${h[1].toFixed(0)} ms, tRPC ${l[1].toFixed(0)} ms`);
      trpc.push(l[1]);
      await new Promise((r) => setTimeout(r, 20));
    }
    const parsed = JSON.parse(answer) as { rows?: number; error?: string };
    if (parsed.rows !== rows) throw new Error(`upload answered ${answer.slice(0, 300)}`);
    for (const xs of [health, trpc, idleHealth, idleTrpc]) xs.sort((x, y) => x - y);
    const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${xs.at(-1)!.toFixed(1)} ms (${xs.length} calls)`;
    console.log(`idle /api/health: ${fmt(idleHealth)}`);
    console.log(`idle tRPC datasets.list: ${fmt(idleTrpc)}`);
    console.log(`upload + parse: ${(uploadMs / 1000).toFixed(1)} s (${(size / 1e6 / (uploadMs / 1000)).toFixed(1)} MB/s)`);
    console.log(`/api/health during it: ${fmt(health)}`);
    console.log(`tRPC datasets.list during it: ${fmt(trpc)}`);
    if (!values['skip-in-thread']) {
      const bytes = await readFile(file);
      const p0 = performance.now();
      summarizeDataset('big.csv', 'csv', bytes);
      console.log(`the same parse in-thread (the event-loop stall before the worker): ${((performance.now() - p0) / 1000).toFixed(1)} s`);
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
