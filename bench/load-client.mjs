// A closed-loop HTTP load generator that keeps what wrk cannot: latency per status (so the
// admitted requests' p99 is told apart from the fast 429s), whether every 429/503 carried
// Retry-After, socket errors by code, and a health probe's latency under that load. Used by
// `npm run bench:serve -- --overload` and server/serving/overload.test.ts.
//
// Run it in a worker thread (`new Worker(URL, { workerData })`, it posts one result message)
// or on its own: `node bench/load-client.mjs '<json options>'` prints the result as JSON.
// Options: { url, body, connections, durationMs, rate?, probeUrl?, probeEveryMs?, control? }.
// `rate` (requests/s over all connections) paces the load: each connection sends at most every
// connections/rate seconds, so the offered load is `rate` (a client honouring nothing, but not
// re-sending faster than that); without it each connection sends again as soon as it is answered.
// `control: true` also probes, alternately, an idle bare server in this same thread: what the
// machine itself adds to a probe's latency (a shared, busy machine deschedules threads for tens
// of ms), so the target's own share can be told apart.
import { Agent, createServer, request } from 'node:http';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** p50/p99/max of a list of ms, and its length. */
export function summarize(ms) {
  const s = Float64Array.from(ms).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : 0);
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1] : 0 };
}

function once(agent, method, url, body) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, retryAfter: res.headers['retry-after'] }));
      res.on('error', (e) => resolve({ error: e.code ?? e.message, ms: performance.now() - t0 }));
    });
    req.on('error', (e) => resolve({ error: e.code ?? e.message, ms: performance.now() - t0 }));
    req.end(body);
  });
}

/** Runs the load; resolves to the per-status latencies, errors and the probe's latency. */
export async function runLoad(o) {
  // Encoded once: a 100 KB string re-encoded per request would be the client's main cost.
  const body = o.body === undefined ? undefined : Buffer.from(o.body);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const end = performance.now() + o.durationMs;
  const byStatus = new Map();
  const errors = {};
  let noRetryAfter = 0;
  const interval = o.rate ? (1000 * o.connections) / o.rate : 0;
  const worker = async (_, i) => {
    // Paced connections start spread over one interval, so the load is even from the start.
    let next = performance.now() + (interval * i) / Math.max(1, o.connections);
    while (performance.now() < end) {
      if (interval) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        next = Math.max(next + interval, performance.now());
        if (performance.now() >= end) break;
      }
      const r = await once(agent, 'POST', o.url, body);
      if (r.error) {
        errors[r.error] = (errors[r.error] ?? 0) + 1;
        continue;
      }
      if (!byStatus.has(r.status)) byStatus.set(r.status, []);
      byStatus.get(r.status).push(r.ms);
      if ((r.status === 429 || r.status === 503) && r.retryAfter === undefined) noRetryAfter++;
    }
  };
  const probe = [];
  const probeErrors = [];
  const control = [];
  let controlUrl;
  let controlServer;
  if (o.probeUrl && o.control) {
    controlServer = createServer((_q, r) => r.end('{"status":"ok"}'));
    await new Promise((res) => controlServer.listen(0, '127.0.0.1', res));
    controlUrl = `http://127.0.0.1:${controlServer.address().port}/healthz`;
  }
  const controlAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const prober = async () => {
    if (!o.probeUrl) return;
    while (performance.now() < end) {
      const r = await once(probeAgent, 'GET', o.probeUrl);
      if (r.error || r.status !== 200) probeErrors.push(r.error ?? r.status);
      else probe.push(r.ms);
      if (controlUrl) {
        const c = await once(controlAgent, 'GET', controlUrl);
        if (!c.error) control.push(c.ms);
      }
      await new Promise((res) => setTimeout(res, o.probeEveryMs ?? 20));
    }
  };
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: o.connections }, worker), prober()]);
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  probeAgent.destroy();
  controlAgent.destroy();
  controlServer?.close();
  const statuses = {};
  for (const [k, v] of byStatus) statuses[k] = summarize(v);
  return { seconds, statuses, errors, noRetryAfter, probe: summarize(probe), probeErrors, control: summarize(control) };
}

if (!isMainThread && parentPort && workerData) {
  runLoad(workerData).then((r) => parentPort.postMessage(r));
} else if (isMainThread && process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()) && process.argv[2]) {
  runLoad(JSON.parse(process.argv[2])).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
}
