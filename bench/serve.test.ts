import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DOCS_END, DOCS_HEADING, DOCS_START, OVERLOAD_MARKERS, computeRatios, formatRatios, markdownTable, overloadMarkdown, parseWrkOutput, replaceDocsSection, type BenchRow, type LatencySummary, type TargetId, type WrkResult } from './serve';

const run = promisify(execFile);

// A real wrk 4.1.0 stdout with bench/wrk/post.lua's done() line at the end.
const WRK_STDOUT = `Running 3s test @ http://127.0.0.1:18599/v1/models/cars:predict
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.17ms    1.90ms  47.13ms   95.74%
    Req/Sec     8.56k     2.36k   16.43k    85.25%
  Latency Distribution
     50%    0.89ms
     99%    6.78ms
  51941 requests in 3.10s, 8.82MB read
Requests/sec:  16756.03
KILN_WRK {"requests":51941,"duration_us":3099840,"bytes":9245498,"p50_us":886,"p90_us":1442,"p99_us":6782,"max_us":47130,"mean_us":1166.8,"non2xx":3,"connect_errors":1,"read_errors":2,"write_errors":0,"timeouts":4}
`;

function result(rps: number, p99Ms = 1, non2xx = 0): WrkResult {
  return { requests: rps * 10, durationS: 10, rps, p50Ms: p99Ms / 2, p90Ms: p99Ms, p99Ms, maxMs: p99Ms * 2, non2xx, socketErrors: 0 };
}
const row = (target: TargetId, connections: number, run: number, r: WrkResult): BenchRow => ({ target, connections, run, result: r });

describe('parseWrkOutput', () => {
  it('reads the KILN_WRK line: req/s from requests over duration, latencies in ms, error counts', () => {
    const r = parseWrkOutput(WRK_STDOUT);
    expect(r.requests).toBe(51941);
    expect(r.durationS).toBeCloseTo(3.09984, 6);
    expect(r.rps).toBeCloseTo(16756.03, 1); // agrees with wrk's own Requests/sec
    expect(r.p50Ms).toBeCloseTo(0.886, 6);
    expect(r.p99Ms).toBeCloseTo(6.782, 6);
    expect(r.maxMs).toBeCloseTo(47.13, 6);
    expect(r.non2xx).toBe(3);
    expect(r.socketErrors).toBe(7);
  });

  it('fails loudly on output without the line, on broken JSON, and on a missing or non-numeric field', () => {
    expect(() => parseWrkOutput('Running 10s test @ x\nunable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no KILN_WRK line.*Connection refused/);
    expect(() => parseWrkOutput('KILN_WRK {"requests":1,')).toThrow(/not JSON/);
    expect(() => parseWrkOutput(WRK_STDOUT.replace('"p99_us":6782,', ''))).toThrow('field "p99_us" is undefined');
    expect(() => parseWrkOutput(WRK_STDOUT.replace('"non2xx":3', '"non2xx":"3"'))).toThrow('field "non2xx" is "3"');
    expect(() => parseWrkOutput(WRK_STDOUT.replace('"duration_us":3099840', '"duration_us":0'))).toThrow('"duration_us" is 0');
  });

  it('parses what bench/wrk/post.lua really prints, and the script POSTs the body file as JSON', async () => {
    const seen: { method?: string; type?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, type: req.headers['content-type'], body });
        // Every third answer is an error, so the non-2xx count has something to count.
        res.writeHead(seen.length % 3 === 0 ? 503 : 200, { 'content-type': 'application/json' }).end('{"predictions":[1]}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'kiln-wrk-test-'));
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, '{"instances":[{"Cylinders":8}]}');
    try {
      const { stdout } = await run('wrk', ['-t1', '-c2', '-d1s', '--latency', '-s', join(import.meta.dirname, 'wrk/post.lua'), `http://127.0.0.1:${port}/v1/models/cars:predict`, '--', bodyFile]);
      const r = parseWrkOutput(stdout);
      expect(r.requests).toBeGreaterThan(10);
      // wrk stops with up to one request per connection answered but not yet counted.
      expect(seen.length - r.requests).toBeGreaterThanOrEqual(0);
      expect(seen.length - r.requests).toBeLessThanOrEqual(2);
      expect(Math.abs(r.non2xx - r.requests / 3)).toBeLessThanOrEqual(3);
      expect(r.non2xx).toBeGreaterThan(0);
      expect(r.socketErrors).toBe(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
      expect(seen[0]).toEqual({ method: 'POST', type: 'application/json', body: '{"instances":[{"Cylinders":8}]}' });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('markdownTable', () => {
  it('prints one row per run with labels, thousands separators and ms with two decimals', () => {
    const t = markdownTable([{ ...row('kiln', 16, 1, { ...result(12345.6, 3.456, 0), p50Ms: 1.2 }), cpuUsPerRequest: 41.26 }, row('flask', 64, 2, result(412.4, 150, 7))]);
    const lines = t.split('\n');
    expect(lines[0]).toBe('| target | connections | run | req/s | p50 (ms) | p99 (ms) | non-2xx | socket errors | server CPU µs/request |');
    expect(lines[1]).toMatch(/^\|---\|(---:\|){8}$/);
    expect(lines[2]).toBe('| Kiln `kiln serve` | 16 | 1 | 12,346 | 1.20 | 3.46 | 0 | 0 | 41.3 |');
    expect(lines[3]).toBe('| Flask + gunicorn, 2 sync workers | 64 | 2 | 412 | 75.00 | 150.00 | 7 | 0 | — |');
    expect(lines).toHaveLength(4);
  });
});

describe('computeRatios / formatRatios', () => {
  const rows = [
    row('kiln', 16, 1, result(9000, 2)),
    row('kiln', 16, 2, result(8000, 6)),
    row('kiln', 64, 1, result(10000, 9)),
    row('fastapi', 16, 1, result(300)),
    row('flask', 16, 1, result(400)),
    row('flask', 64, 1, result(500)),
    row('bare', 16, 1, result(20000)),
  ];

  it('compares best req/s to best req/s and takes Kiln’s worst p99 at 16 connections', () => {
    const r = computeRatios(rows);
    expect(r.bestPython).toBe('flask');
    expect(r.kilnOverBestPython).toBeCloseTo(20, 9);
    expect(r.kilnOverBare).toBeCloseTo(0.5, 9);
    expect(r.kilnP99At16Ms).toBe(6); // not 2 (best run) nor 9 (64 connections)
    const text = formatRatios(r);
    expect(text).toContain('**20.00×** (target ≥ 5×: met)');
    expect(text).toContain('**50%** (target ≥ 50%: met)');
    expect(text).toContain('**6.00 ms** (target ≤ 5 ms: **not met**)');
  });

  it('says n/a instead of dividing by a missing side', () => {
    const r = computeRatios(rows.filter((x) => x.target !== 'kiln'));
    expect(r).toEqual({ kilnOverBestPython: null, kilnOverBare: null, kilnP99At16Ms: null, bestPython: 'flask' });
    expect(formatRatios(r).match(/n\/a/g)).toHaveLength(3);
    expect(computeRatios(rows.filter((x) => x.target === 'kiln')).kilnOverBestPython).toBeNull();
  });

  it('logging: best req/s with over without, and the median server CPU per request without over with', () => {
    const logRows: BenchRow[] = [
      { ...row('kiln-nolog', 16, 1, result(20000)), cpuUsPerRequest: 40 },
      { ...row('kiln-nolog', 16, 2, result(22000)), cpuUsPerRequest: 44 },
      { ...row('kiln-nolog', 64, 1, result(21000)), cpuUsPerRequest: 100 },
      { ...row('kiln-log', 16, 1, result(19800)), cpuUsPerRequest: 50 },
      { ...row('kiln-log', 16, 2, result(18000)), cpuUsPerRequest: 55 },
      { ...row('kiln-log', 64, 1, result(17000)), cpuUsPerRequest: null },
    ];
    const r = computeRatios(logRows);
    expect(r.loggedOverUnlogged).toBeCloseTo(0.9, 9);
    expect(r.cpuUnloggedOverLogged).toBeCloseTo(44 / 52.5, 9); // medians 44 (of 40, 44, 100) and 52.5 (of 50, 55; null skipped)
    expect(formatRatios(r)).toContain('**90%** (target ≥ 90%: met)');
    expect(formatRatios(r)).toContain('without logging / with it (medians): **84%**');
    // Pairs: 19800/20000 (0.99), 18000/22000 (0.818), 17000/21000 (0.810) → median 0.818.
    expect(r.loggedOverUnloggedPaired).toBeCloseTo(18000 / 22000, 9);
    expect(formatRatios(r)).toContain('median over back-to-back run pairs: **82%**');
  });
});

describe('replaceDocsSection', () => {
  it('appends heading and markers to a document that has none', () => {
    const out = replaceDocsSection('# Benchmarks\n\ntext\n\n', 'table v1\n');
    expect(out).toBe(`# Benchmarks\n\ntext\n\n${DOCS_HEADING}\n\n${DOCS_START}\ntable v1\n${DOCS_END}\n`);
  });

  it('replaces only what lies between the markers, keeping the text around them', () => {
    const once = replaceDocsSection('# B\n', 'v1');
    const doc = `${once}\n## Later section\n`;
    const out = replaceDocsSection(doc, 'v2');
    expect(out).toBe(`# B\n\n${DOCS_HEADING}\n\n${DOCS_START}\nv2\n${DOCS_END}\n\n## Later section\n`);
    expect(out).not.toContain('v1');
  });

  it('refuses a lone, doubled or reversed marker rather than guessing', () => {
    expect(() => replaceDocsSection(`a\n${DOCS_START}\nb`, 'x')).toThrow('found 1 and 0');
    expect(() => replaceDocsSection(`${DOCS_START}${DOCS_END}${DOCS_START}${DOCS_END}`, 'x')).toThrow('found 2 and 2');
    expect(() => replaceDocsSection(`${DOCS_END}\n${DOCS_START}`, 'x')).toThrow('comes before');
  });
});

describe('overloadMarkdown', () => {
  const sum = (count: number, p50: number, p99: number, max = p99): LatencySummary => ({ count, p50, p90: (p50 + p99) / 2, p99, max });
  const none = sum(0, 0, 0);

  it('reports admitted p99 against 10× the unloaded p99, the 429 share, Retry-After, errors and health', () => {
    const text = overloadMarkdown({
      connections: 512,
      capacityRps: 100,
      offeredRps: 1000,
      instances: 1000,
      unloaded: sum(100, 2, 4),
      load: { seconds: 10, statuses: { '200': sum(300, 10, 30), '429': sum(700, 1, 3), '503': sum(2, 5, 5) }, errors: { ECONNRESET: 1 }, noRetryAfter: 0, probe: none, probeErrors: [], control: none },
      health: { seconds: 10, statuses: {}, errors: {}, noRetryAfter: 0, probe: sum(400, 3, 20, 45), probeErrors: [], control: sum(400, 1, 5) },
    });
    expect(text).toContain('Capacity 100 req/s of 1000 instances; load: 1000 req/s offered (10× capacity).');
    expect(text).toContain('| 512 connections: admitted (200) | 300 | 10.00 |');
    expect(text).toContain('Admitted p99 / unloaded p99: **7.5×** (target < 10×: met)');
    expect(text).toContain('429 share: **69.9%** of 1002 answers; 429s without Retry-After: 0; other statuses: 503 ×2; socket errors: ECONNRESET ×1');
    expect(text).toContain('`/healthz` p99 under overload: **20.00 ms**, max 45.00 ms (target ≤ 50 ms: met)');
  });

  it('says not met when admitted requests waited, nothing was refused, or health was slow', () => {
    const text = overloadMarkdown({
      connections: 512,
      capacityRps: 100,
      offeredRps: null,
      instances: 1000,
      unloaded: sum(100, 2, 4),
      load: { seconds: 10, statuses: { '200': sum(1000, 2500, 5200) }, errors: {}, noRetryAfter: 0, probe: none, probeErrors: [], control: none },
      health: { seconds: 10, statuses: {}, errors: {}, noRetryAfter: 0, probe: sum(5, 6000, 12000), probeErrors: [], control: sum(5, 1, 5) },
    });
    expect(text).toContain('**1300.0×** (target < 10×: **not met**)');
    expect(text).toContain('load: closed loop (100 req/s offered, 1× capacity)');
    expect(text).toContain('429 share: **0.0%** of 1000 answers');
    expect(text).toContain('(target ≤ 50 ms: **not met**)');
  });

  it('has its own docs section beside the bench:serve one', () => {
    const doc = replaceDocsSection(replaceDocsSection('# B\n', 'table'), 'overload v1', OVERLOAD_MARKERS);
    const again = replaceDocsSection(doc, 'overload v2', OVERLOAD_MARKERS);
    expect(again).toContain(`${DOCS_START}\ntable\n${DOCS_END}`);
    expect(again).toContain(`${OVERLOAD_MARKERS.start}\noverload v2\n${OVERLOAD_MARKERS.end}`);
    expect(again).not.toContain('overload v1');
  });
});
