/**
 * Overload with large bodies (issue 12): many connections each sending 1,000-instance bodies,
 * far past what the process can predict. Before admission counted work, every request was let
 * in (the concurrency limit counts requests, not instances), the admitted p99 grew to seconds
 * and `/healthz` waited behind the forward passes. Now: fast 429s with Retry-After for what
 * does not fit, admitted requests within 10× their unloaded p99, health within 50 ms.
 *
 * Timing on a shared 2-core machine: a run where other processes starve this one for a second
 * can miss by a few ms, so the test is retried twice; the fault it reproduces (no 429 at all,
 * health in the hundreds of ms to seconds) fails every attempt.
 *
 * The load runs in a worker thread (bench/load-client.mjs), so the server's event loop is the
 * one under test and the client's work is not counted in its latencies.
 */
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { createServingServer, type ServingServer } from './server';
import { TestSource, endpoint, regressionPackage } from './test-utils';

interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface LoadResult {
  seconds: number;
  statuses: Record<string, Summary>;
  errors: Record<string, number>;
  noRetryAfter: number;
  probe: Summary;
  probeErrors: unknown[];
  control: Summary;
}

const LOAD_CLIENT = new URL('../../bench/load-client.mjs', import.meta.url);

function load(o: { url: string; body: string; connections: number; durationMs: number; probeUrl?: string; probeEveryMs?: number; control?: boolean }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD_CLIENT, { workerData: o });
    w.once('message', (m: LoadResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

let server: ServingServer;
const N = 1000;
const body = JSON.stringify({ instances: Array.from({ length: N }, (_, i) => ({ hp: 90 + (i % 120), weight: 2000 + 3 * i, origin: ['USA', 'Japan', 'Europe'][i % 3] })) });

beforeAll(async () => {
  await tf.setBackend('cpu');
  const reg = await regressionPackage('cars');
  server = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, maxInstances: N, log: () => undefined });
});
afterAll(async () => {
  await server?.close();
});

describe('overload with 1,000-instance bodies', () => {
  it('answers what does not fit with fast 429s and Retry-After, keeps admitted requests within 10× their unloaded p99, and health within 50 ms', { timeout: 30_000, retry: 2 }, async () => {
    const url = `${server.url}/v1/models/cars:predict`;
    const unloaded = await load({ url, body, connections: 1, durationMs: 1000 });
    expect(Object.keys(unloaded.statuses)).toEqual(['200']);
    const gcs: number[] = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => gcs.push(e.duration)));
    obs.observe({ entryTypes: ['gc'] });
    const [over, probe] = await Promise.all([
      load({ url, body, connections: 32, durationMs: 1500 }),
      load({ url, body, connections: 0, durationMs: 1500, probeUrl: `${server.url}/healthz`, probeEveryMs: 10, control: true }),
    ]);
    const ok = over.statuses['200']!;
    const refused = over.statuses['429'];
    const base = unloaded.statuses['200']!;
    console.error(`overload: unloaded p50 ${base.p50.toFixed(1)} p99 ${base.p99.toFixed(1)} ms; admitted ${ok.count} p50 ${ok.p50.toFixed(1)} p99 ${ok.p99.toFixed(1)} ms; 429 ${refused?.count} p50 ${refused?.p50.toFixed(1)} ms; health p50 ${probe.probe.p50.toFixed(1)} p90 ${probe.probe.p90.toFixed(1)} p99 ${probe.probe.p99.toFixed(1)} max ${probe.probe.max.toFixed(1)} ms; an idle server on this machine meanwhile: p90 ${probe.control.p90.toFixed(1)} p99 ${probe.control.p99.toFixed(1)} ms`);
    // Before: the concurrency limit (256) never counted instances, so nothing was refused.
    expect(refused?.count ?? 0).toBeGreaterThan(ok.count);
    expect(over.noRetryAfter).toBe(0);
    expect(Object.keys(over.statuses).sort()).toEqual(['200', '429']);
    expect(over.errors).toEqual({});
    // Refusals come from the headers alone: they never wait for the work queue.
    expect(refused!.p50).toBeLessThan(ok.p99);
    // Admitted requests stay within 10× their unloaded p99 (measured a moment before, same machine).
    expect(ok.p99).toBeLessThan(10 * Math.max(base.p99, 5));
    // Health answers between slices of prediction work, never behind the queue: within 50 ms
    // of what an idle server probed alongside answers (this 2-core machine is shared; a
    // descheduled thread is the machine's latency, not the server's).
    expect(probe.probeErrors).toEqual([]);
    expect(probe.probe.count).toBeGreaterThan(20);
    expect(probe.probe.p90 - probe.control.p90).toBeLessThan(50);
    expect(probe.probe.p99 - probe.control.p99).toBeLessThan(50);
  });
});
