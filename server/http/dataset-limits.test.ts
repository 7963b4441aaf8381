/**
 * Bounded dataset uploads over a real socket (issue 12): a 1,000,000-column header, a 200 MB cell
 * and JSON nested a million levels deep are refused with a 4xx naming file, row and column soon
 * after the limit is reached, with nothing left in the store; invalid UTF-8 is a 400 naming the
 * row; a BOM and `;`/tab separators still work; columns named `__proto__`, `constructor` and
 * `prototype` are columns like any other; listings and previews cut long cell text; and parsing
 * a large legal file leaves the event loop free for health checks and tRPC calls.
 */
import { connect } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapOwner } from '../auth/bootstrap';
import { loadConfig } from '../config';
import { TEST_OWNER_TOKEN } from '../runner/harness';
import { createServer, get, type Server } from 'node:http';
import { summarizeDataset } from '../data/dataset-summary';
import { nodeHandler } from './node-adapter';
import { openApiRuntime, type ApiRuntime } from './runtime';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const owner = { authorization: `Bearer ${TEST_OWNER_TOKEN}` };
const enc = new TextEncoder();

let runtime: ApiRuntime;
let server: Server;
let base: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kiln-limits-'));
  runtime = await openApiRuntime({ dataDir, config: loadConfig({ KILN_MAX_UPLOAD_BYTES: String(512 * 1024 * 1024) }), reapIntervalMs: 0, log: () => undefined });
  server = createServer(nodeHandler((req) => runtime.api.handleApi(req)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await bootstrapOwner(runtime.db.db, { bootstrapToken: TEST_OWNER_TOKEN });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await runtime?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const uploadUrl = (name: string, format = 'csv') => `/api/datasets?project=limits&name=${encodeURIComponent(name)}&format=${format}`;

async function datasetFiles(): Promise<string[]> {
  try {
    return await readdir(join(dataDir, 'artifacts', 'datasets'));
  } catch {
    return [];
  }
}

/**
 * PUTs the chunks of `body` (chunked encoding, with back-pressure) over a raw socket until the
 * server answers; returns the answer, how many bytes had been sent when it came, and how long it
 * took. A raw socket, because once the server has answered early it closes the connection and
 * our next write fails, which would make an HTTP client drop the answer it already received.
 */
function streamUpload(path: string, body: Iterable<Uint8Array>): Promise<{ status: number; json: Json; sent: number; ms: number }> {
  const t0 = performance.now();
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = Buffer.alloc(0);
    let answered = false;
    const sock = connect(Number(port), '127.0.0.1');
    const tryAnswer = () => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.subarray(0, end).toString('latin1');
      let rest = received.subarray(end + 4);
      let text: string | undefined;
      if (/transfer-encoding: chunked/i.test(head)) {
        const parts: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) return;
          const n = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
          if (n === 0) break;
          if (rest.length < nl + 2 + n + 2) return;
          parts.push(rest.subarray(nl + 2, nl + 2 + n));
          rest = rest.subarray(nl + 2 + n + 2);
        }
        text = Buffer.concat(parts).toString('utf8');
      } else {
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
        if (len < 0 || rest.length < len) return;
        text = rest.subarray(0, len).toString('utf8');
      }
      answered = true;
      sock.destroy();
      resolve({ status: Number(head.split(' ')[1]), json: JSON.parse(text), sent, ms: performance.now() - t0 });
    };
    sock.on('data', (c: Buffer) => {
      received = Buffer.concat([received, c]);
      tryAnswer();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (!answered) reject(new Error(`no answer (${sent} bytes sent, got ${JSON.stringify(received.toString('latin1').slice(0, 200))})`));
    });
    sock.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${owner.authorization}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const it = body[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        if (answered || sock.destroyed || !sock.writable) return;
        const n = it.next();
        if (n.done) {
          sock.write('0\r\n\r\n');
          return;
        }
        sent += n.value.length;
        sock.write(`${n.value.length.toString(16)}\r\n`);
        sock.write(n.value);
        if (!sock.write('\r\n')) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

function* chunked(bytes: Uint8Array, size = 64 * 1024): Generator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, o + size);
}

/** `first`, then `fill` repeated to `totalBytes`, generated as it is sent (never held whole). */
function* repeated(first: string, fill: string, totalBytes: number): Generator<Uint8Array> {
  yield enc.encode(first);
  const block = enc.encode(fill.repeat(64 * 1024));
  for (let n = 0; n < totalBytes; n += block.length) yield block;
}

/** A GET on a new connection each time (as a load balancer's health check), so no keep-alive race. */
function getFresh(path: string): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { agent: false, headers: owner }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(parts).toString('utf8')) }));
    }).on('error', reject);
  });
}

const put = (name: string, body: string | Uint8Array, format = 'csv') => fetch(`${base}${uploadUrl(name, format)}`, { method: 'PUT', headers: owner, body: body as BodyInit });
const query = async (proc: string, input: unknown): Promise<Json> => {
  const r = await fetch(`${base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: owner });
  return ((await r.json()) as Json).result?.data;
};

describe('dataset uploads are bounded while they stream', () => {
  it('refuses a 9.9 MB CSV with 1,000,000 header columns within a second (413 naming row 1 and column 10001)', async () => {
    const csv = enc.encode(Array.from({ length: 1_000_000 }, (_, i) => `col${i}`).join(',') + '\n' + '1,'.repeat(999_999) + '1\n');
    expect(csv.length).toBeGreaterThan(9_000_000);
    const r = await streamUpload(uploadUrl('wide.csv'), chunked(csv));
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'DATA_LIMIT', error: 'wide.csv row 1 column 10001: more than 10000 columns (the limit, KILN_MAX_COLUMNS)' });
    expect(r.ms).toBeLessThan(1000);
    expect(await datasetFiles()).toEqual([]);
  });

  it('refuses a 200 MB cell after about 1 MiB of it (413 naming row and column), leaving nothing stored', async () => {
    const r = await streamUpload(uploadUrl('cell.csv'), repeated('id,note\n1,"', 'x', 200 * 1024 * 1024));
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('cell.csv row 2 column "note": a cell over 1048576 bytes (the limit, KILN_MAX_CELL_BYTES)');
    // the answer came long before the file was sent: sockets buffer a few MB at most
    expect(r.sent).toBeLessThan(24 * 1024 * 1024);
    expect(r.ms).toBeLessThan(3000);
    expect(await datasetFiles()).toEqual([]);
  });

  it('answers the refusal to a streaming fetch client too (as `kiln submit --data` uploads)', async () => {
    const gen = repeated('id,note\n1,"', 'x', 50 * 1024 * 1024);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const n = gen.next();
        if (n.done) c.close();
        else c.enqueue(n.value);
      },
    });
    const r = await fetch(`${base}${uploadUrl('cli.csv')}`, { method: 'PUT', headers: owner, body, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(413);
    expect(((await r.json()) as Json).error).toMatch(/^cli\.csv row 2 column "note": a cell over 1048576 bytes/);
  });

  it('refuses JSON nested a million levels deep (413, not a stack overflow 500)', async () => {
    const r = await streamUpload(uploadUrl('deep.json', 'json'), repeated('[{"a":', '[', 1_000_000));
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('deep.json record [0] column "a": JSON nested deeper than 64 levels (the limit, KILN_MAX_JSON_DEPTH)');
  });

  it('refuses invalid UTF-8 with a 400 naming the row', async () => {
    const latin1 = new Uint8Array([...enc.encode('city,n\nParis,1\nK'), 0xf6, ...enc.encode('ln,2\n')]);
    const r = await put('latin1.csv', latin1);
    expect(r.status).toBe(400);
    expect(((await r.json()) as Json).error).toMatch(/^latin1\.csv row 3: not valid UTF-8/);
  });

  it('keeps a UTF-8 BOM, `;` and tab separators working', async () => {
    for (const [name, text] of [
      ['bom.csv', '\ufeffa,b\r\n1,x\r\n2,y\r\n'],
      ['semi.csv', 'a;b\n1;x\n2;y\n'],
      ['tab.csv', 'a\tb\n1\tx\n2\ty\n'],
    ] as const) {
      const r = await put(name, text);
      expect(r.status, name).toBe(200);
      const d = (await r.json()) as Json;
      expect(d.schema.map((c: { name: string; type: string }) => [c.name, c.type]), name).toEqual([
        ['a', 'numeric'],
        ['b', 'categorical'],
      ]);
    }
  });
});

describe('user-named columns and long cells', () => {
  it('treats columns named __proto__, constructor and prototype like any other, in the schema and the preview', async () => {
    const r = await put('proto.csv', '__proto__,constructor,prototype,y\na,1,x,2\nb,3,z,4\n');
    expect(r.status).toBe(200);
    const d = (await r.json()) as Json;
    expect(d.schema.map((c: { name: string }) => c.name)).toEqual(['__proto__', 'constructor', 'prototype', 'y']);
    const p = (await query('datasets.preview', { id: d.id, rows: 5 })) as Json;
    expect(p.columns.map((c: { name: string }) => c.name)).toEqual(['__proto__', 'constructor', 'prototype', 'y']);
    // JSON.parse keeps "__proto__" as an own key
    expect(p.rows.map((row: object) => Object.entries(row))).toEqual([
      [['__proto__', 'a'], ['constructor', 1], ['prototype', 'x'], ['y', 2]],
      [['__proto__', 'b'], ['constructor', 3], ['prototype', 'z'], ['y', 4]],
    ]);
  });

  it('cuts long cell text in listings, statistics and previews, and says so', async () => {
    const long = 'L'.repeat(50_000);
    const r = await put('long.csv', `k,v\n${long},1\nshort,2\n`);
    expect(r.status).toBe(200);
    const d = (await r.json()) as Json;
    expect(d.truncated).toBe(true);
    expect(d.schema[0].categories).toEqual(expect.arrayContaining(['short', `${'L'.repeat(999)}…`]));
    const list = (await query('datasets.list', { projectName: 'limits', name: 'long.csv' })) as Json;
    expect(JSON.stringify(list).length).toBeLessThan(5000);
    expect(list[0].truncated).toBe(true);
    const got = (await query('datasets.get', { id: d.id })) as Json;
    expect(JSON.stringify(got).length).toBeLessThan(10_000);
    expect(got.stats.columns[0].top.map((t: { value: string }) => t.value.length)).toEqual([1000, 5]);
    const p = (await query('datasets.preview', { id: d.id })) as Json;
    expect(p.truncated).toBe(true);
    expect(p.rows[0].k).toBe(`${'L'.repeat(999)}…`);
    expect(p.rows[1].k).toBe('short');
  });
});

describe('parsing off the event loop', () => {
  it('keeps /api/health and a tRPC call answering within 100 ms while a large upload is parsed', async () => {
    // ~24 MB, 400k rows
    const rows = 400_000;
    const lines = ['id,price,city,when'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 0.37).toFixed(2)},city${i % 500},2024-01-${String((i % 28) + 1).padStart(2, '0')}`);
    const csv = enc.encode(lines.join('\n') + '\n');
    // the project exists (tRPC answers for it) and the parse worker has started
    expect((await put('small.csv', 'a,b\n1,2\n')).status).toBe(200);
    // What the upload did before: parse and summarise on the event loop, which stalls it this long.
    const t0 = performance.now();
    expect(summarizeDataset('big.csv', 'csv', csv).rows).toBe(rows);
    const inThreadMs = performance.now() - t0;
    expect(inThreadMs).toBeGreaterThan(300);
    const h = monitorEventLoopDelay({ resolution: 10 });
    // sent from this process in 64 KiB chunks (a single 24 MB write would stall the loop on the client's side)
    const upload = streamUpload(uploadUrl('big.csv'), chunked(csv));
    h.enable();
    const latencies: number[] = [];
    let done = false;
    upload.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      const t1 = performance.now();
      const [health, list] = await Promise.all([getFresh('/api/health'), getFresh(`/api/trpc/datasets.list?input=${encodeURIComponent(JSON.stringify({ projectName: 'limits' }))}`)]);
      expect(health.status).toBe(200);
      expect(Array.isArray(list.json.result.data)).toBe(true);
      latencies.push(performance.now() - t1);
      await new Promise((r) => setTimeout(r, 20));
    }
    h.disable();
    const r = await upload;
    expect(r.status).toBe(200);
    expect(r.json.rows).toBe(rows);
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)]!;
    const loop = { inThreadMs: Math.round(inThreadMs), median: Math.round(median), max: Math.round(latencies.at(-1)!), loopP99: Math.round(h.percentile(99) / 1e6), loopMax: Math.round(h.max / 1e6), calls: latencies.length };
    expect(latencies.length, JSON.stringify(loop)).toBeGreaterThan(3);
    // Health and tRPC answer within 100 ms while the worker parses. This 2-core machine is shared
    // (load 5–7 while these tests were written, an idle loop here already shows 50–90 ms stalls
    // from the OS scheduler), so the median carries the 100 ms bound and no stall may come near
    // the in-thread parse's; bench/upload-loop.ts measures the 200 MB case from another process.
    expect(median, JSON.stringify(loop)).toBeLessThan(100);
    expect(loop.loopMax, JSON.stringify(loop)).toBeLessThan(inThreadMs / 2);
  }, 60_000);
});
