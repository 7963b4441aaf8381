/**
 * The parts of the serving request path, each alone: admission (slots, deadlines), API keys,
 * model paths and the responder. The server's own tests (server.test.ts) run them together.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../lib/errors';
import { ADMITTED, Admission, estimateInstances, overloadMessages } from './admission';
import { ApiKeyGate } from './api-keys';
import type { LoadedVersion } from './loaded-version';
import { sha256Hex, type EndpointAccess, type EndpointPolicy, type Route } from './model-host';
import { parseModelPath, pickVersion } from './model-path';
import { RequestLog, ServingMetrics } from './observability';
import { newExchange, Responder, type ServingState } from './responder';

/** A version with a reference count, as admission sees it. */
function fakeVersion(version: number): LoadedVersion & { refs: number } {
  const v = {
    version,
    refs: 0,
    acquire() {
      v.refs++;
    },
    release() {
      v.refs--;
    },
  };
  return v as unknown as LoadedVersion & { refs: number };
}

function fakeRoute(name: string, versions: number[], opts: { labels?: Record<string, number>; defaultVersion?: number | null } = {}): Route {
  const map = new Map(versions.map((n) => [n, fakeVersion(n)]));
  const labels = new Map(Object.entries(opts.labels ?? {}).map(([l, n]) => [l, map.get(n)!]));
  const def = opts.defaultVersion === null ? null : (map.get(opts.defaultVersion ?? versions[versions.length - 1]!) ?? null);
  return { name, model: name, versions: map, labels, default: def, split: null };
}

function policy(name: string, access: EndpointAccess, keys: string[] = []): EndpointPolicy {
  return { name, access, keyHashes: new Set(keys.map(sha256Hex)), corsOrigins: new Set(), sampleRate: 1, rejectAnomalies: new Set() };
}

/** What a `ServerResponse` was asked to write. */
function fakeRes() {
  const r = {
    destroyed: false,
    status: 0,
    headers: [] as string[],
    body: '',
    writeHead(status: number, headers: string[]) {
      r.status = status;
      r.headers = headers;
    },
    end(body?: string) {
      r.body = body ?? '';
    },
    header(name: string): string | undefined {
      const i = r.headers.indexOf(name);
      return i >= 0 ? r.headers[i + 1] : undefined;
    },
  };
  return r;
}

describe('Admission', () => {
  it('admits up to maxConcurrency, refuses past it (a reason, no exception), and frees a slot once per release', () => {
    const a = new Admission({ maxConcurrency: 2, maxInstances: 1e6, maxQueueWaitMs: 1e6, timeoutMs: 1000 });
    const lv = fakeVersion(1);
    const ex = [0, 1, 2].map(() => newExchange('POST', '/p', {} as ServerResponse));
    expect(a.admit(ex[0]!, lv)).toBe(ADMITTED);
    expect(a.admit(ex[1]!, lv)).toBe(ADMITTED);
    expect(a.inFlight).toBe(2);
    expect(lv.refs).toBe(2);
    const why = a.admit(ex[2]!, lv);
    expect(why).not.toBe(ADMITTED);
    expect(overloadMessages(a.limits)[why as 1]).toBe('over the limit of 2 requests in flight; retry later');
    expect(ex[2]!.lv).toBeNull();
    a.release(ex[0]!);
    a.release(ex[0]!);
    expect(a.inFlight).toBe(1);
    expect(lv.refs).toBe(1);
    expect(a.admit(ex[2]!, lv)).toBe(ADMITTED);
    expect(a.inFlight).toBe(2);
  });

  it('counts instances in flight: refuses a request that would pass the budget, lets one in alone whatever its size, and corrects an estimate once the body is parsed', () => {
    const a = new Admission({ maxConcurrency: 100, maxInstances: 2000, maxQueueWaitMs: 1e6, timeoutMs: 1000 });
    const lv = fakeVersion(1);
    const ex = [0, 1, 2, 3].map(() => newExchange('POST', '/p', {} as ServerResponse));
    expect(a.admit(ex[0]!, lv, 5000)).toBe(ADMITTED); // alone: admitted, or it could never be served
    expect(a.admit(ex[1]!, lv, 1)).not.toBe(ADMITTED);
    a.resize(ex[0]!, 1000); // the body held 1,000
    expect(a.instances).toBe(1000);
    expect(a.admit(ex[1]!, lv, 1000)).toBe(ADMITTED);
    const why = a.admit(ex[2]!, lv, 1);
    expect(overloadMessages(a.limits)[why as 2]).toContain('over the limit of 2000 instances in flight');
    a.release(ex[0]!);
    expect(a.instances).toBe(1000);
    expect(a.admit(ex[2]!, lv, 1000)).toBe(ADMITTED);
    expect(a.instances).toBe(2000);
  });

  it('refuses when the measured rate says the work in flight would wait past maxQueueWaitMs', () => {
    const rate = { msPerInstance: 0 };
    const a = new Admission({ maxConcurrency: 100, maxInstances: 1e6, maxQueueWaitMs: 20, timeoutMs: 1000 }, rate);
    const lv = fakeVersion(1);
    const ex = [0, 1, 2].map(() => newExchange('POST', '/p', {} as ServerResponse));
    expect(a.admit(ex[0]!, lv, 1000)).toBe(ADMITTED);
    expect(a.admit(ex[1]!, lv, 1000)).toBe(ADMITTED); // not measured yet: only the budget counts
    rate.msPerInstance = 0.015; // 2,000 instances ahead ≈ 30 ms
    const why = a.admit(ex[2]!, lv, 10);
    expect(overloadMessages(a.limits)[why as 3]).toBe('the work in flight would keep this request waiting over the 20 ms limit; retry later');
    a.release(ex[0]!); // 1,000 ahead ≈ 15 ms
    expect(a.admit(ex[2]!, lv, 10)).toBe(ADMITTED);
  });

  it('estimates instances from Content-Length and the bytes per instance, within [1, the per-request cap]', () => {
    expect(estimateInstances('10000', 100, 1000)).toBe(100);
    expect(estimateInstances('10', 100, 1000)).toBe(1);
    expect(estimateInstances('10000000', 100, 1000)).toBe(1000);
    expect(estimateInstances(undefined, 100, 1000)).toBe(1);
  });

  it('times out only exchanges past their deadline, and keeps the slot of a running prediction', () => {
    const a = new Admission({ maxConcurrency: 10, maxInstances: 1e6, maxQueueWaitMs: 1e6, timeoutMs: 100 });
    const lv = fakeVersion(1);
    const waiting = newExchange('POST', '/a', {} as ServerResponse);
    const running = newExchange('POST', '/b', {} as ServerResponse);
    const fresh = newExchange('POST', '/c', {} as ServerResponse);
    waiting.t0 = running.t0 = 0;
    fresh.t0 = 1000;
    for (const x of [waiting, running, fresh]) a.admit(x, lv);
    running.working = true;
    const timedOut: string[] = [];
    a.sweep(500, (x) => timedOut.push(x.path));
    expect(timedOut.sort()).toEqual(['/a', '/b']);
    expect(waiting.close && running.close).toBe(true);
    expect(waiting.released).toBe(true);
    expect(running.released).toBe(false);
    expect(a.inFlight).toBe(2);
  });
});

describe('ApiKeyGate', () => {
  it('lets anyone through a public endpoint, keys or not', () => {
    expect(new ApiKeyGate().check({}, policy('open', 'public'))).toBeUndefined();
    expect(new ApiKeyGate().check({}, policy('open', 'public', ['k']))).toBeUndefined();
  });

  it('refuses every request to a keyed endpoint with no live key (closed, never public)', () => {
    const gate = new ApiKeyGate();
    for (const headers of [{}, { authorization: 'Bearer k-old' }, { 'x-api-key': 'k-old' }]) {
      const e = gate.check(headers, policy('cars', 'keys'))!;
      expect([e.code, e.status, e.headers]).toEqual(['ENDPOINT_CLOSED', 401, { 'www-authenticate': 'Bearer' }]);
    }
  });

  it('answers 401 with WWW-Authenticate without a key, 403 for a wrong one, and accepts either header', () => {
    const gate = new ApiKeyGate();
    const route = policy('cars', 'keys', ['k-good']);
    const none = gate.check({}, route)!;
    expect([none.code, none.status, none.headers]).toEqual(['UNAUTHORIZED', 401, { 'www-authenticate': 'Bearer' }]);
    const wrong = gate.check({ authorization: 'Bearer k-bad' }, route)!;
    expect([wrong.code, wrong.status]).toEqual(['FORBIDDEN', 403]);
    expect(gate.check({ authorization: 'bearer  k-good ' }, route)).toBeUndefined();
    expect(gate.check({ 'x-api-key': 'k-good' }, route)).toBeUndefined();
    // A policy replaced without the key (revoked) does not inherit the accepted-key memory.
    expect(gate.check({ 'x-api-key': 'k-good' }, policy('cars', 'keys', ['other']))?.code).toBe('FORBIDDEN');
  });
});

describe('parseModelPath and pickVersion', () => {
  it('splits TF Serving paths: versions, URL-encoded labels, tails and the verb', () => {
    expect(parseModelPath('cars:predict', true)).toEqual({ name: 'cars', version: undefined, label: undefined, tail: '', verb: 'predict' });
    expect(parseModelPath('cars/versions/2/metadata', true)).toMatchObject({ name: 'cars', version: '2', tail: 'metadata', verb: '' });
    expect(parseModelPath('my%20model/labels/can%2Fary:predict', true)).toMatchObject({ name: 'my model', label: 'can/ary', verb: 'predict' });
    expect(parseModelPath('cars/a/b', true).tail).toBe('a/b');
    expect(parseModelPath('bad%zz', true).name).toBe('');
  });

  it('splits KServe V2 paths, where labels and colons mean nothing', () => {
    expect(parseModelPath('cars/versions/3/infer', false)).toMatchObject({ name: 'cars', version: '3', tail: 'infer', verb: '' });
    expect(parseModelPath('cars/labels/x', false)).toMatchObject({ label: undefined, tail: 'labels/x' });
  });

  it('picks the named version or label, else the default, and names what exists when not found', () => {
    const route = fakeRoute('cars', [1, 3], { labels: { stable: 1 } });
    expect(pickVersion(route, parseModelPath('cars/versions/3', true)).version).toBe(3);
    expect(pickVersion(route, parseModelPath('cars/labels/stable', true)).version).toBe(1);
    expect(pickVersion(route, parseModelPath('cars', true)).version).toBe(3);
    const missing = (path: string): KilnError => {
      try {
        pickVersion(route, parseModelPath(path, true));
      } catch (e) {
        return e as KilnError;
      }
      throw new Error('expected a throw');
    };
    expect(missing('cars/versions/2')).toMatchObject({ code: 'NOT_FOUND', message: 'model "cars" version 2: not found (available: 1, 3)' });
    expect(missing('cars/labels/x')).toMatchObject({ code: 'NOT_FOUND', message: 'model "cars" label "x": not found (labels: stable)' });
    let empty: unknown;
    try {
      pickVersion(fakeRoute('new', [], { defaultVersion: null }), parseModelPath('new', true));
    } catch (e) {
      empty = e;
    }
    expect(empty).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  });
});

describe('Responder', () => {
  const make = () => {
    const state: ServingState = { draining: false, sourceStarted: true };
    const log: string[] = [];
    const requestLog = new RequestLog(10, 0);
    const r = new Responder(state, new ServingMetrics(), requestLog, (l) => log.push(l));
    return { state, log, requestLog, r };
  };
  const exchange = () => {
    const res = fakeRes();
    return { res, ex: newExchange('POST', '/v1/models/cars:predict', res as unknown as ServerResponse) };
  };

  it('answers a KilnError with its catalog status and code in the TF Serving error shape', () => {
    const { r } = make();
    const { res, ex } = exchange();
    r.error(ex, new KilnError('INVALID_RECORD', 'record 0 field "x": expected a number'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'record 0 field "x": expected a number', code: 'INVALID_RECORD' });
  });

  it('adds Retry-After to 429 and 503, closes the connection after a 413, and passes the error headers', () => {
    const { r } = make();
    const a = exchange();
    r.error(a.ex, new KilnError('OVERLOADED', 'over the limit'));
    expect([a.res.status, a.res.header('retry-after')]).toEqual([429, '1']);
    const b = exchange();
    r.error(b.ex, new KilnError('PAYLOAD_TOO_LARGE', 'body: over the 10-byte limit'));
    expect([b.res.status, b.res.header('connection')]).toEqual([413, 'close']);
    const c = exchange();
    r.error(c.ex, new KilnError('METHOD_NOT_ALLOWED', ':predict takes POST, not GET', {}, { headers: { allow: 'POST' } }));
    expect([c.res.status, c.res.header('allow')]).toEqual([405, 'POST']);
  });

  it('answers an unexpected error 500 with its first line and logs the stack', () => {
    const { r, log } = make();
    const { res, ex } = exchange();
    r.error(ex, new TypeError('x is not a function\nmore detail'));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: 'internal error: x is not a function', code: 'INTERNAL' });
    expect(log.join('\n')).toMatch(/internal error on POST \/v1\/models\/cars:predict: TypeError: x is not a function[\s\S]*\n\s+at /);
  });

  it('answers once, asks to close while draining, and keeps failures in the request log', () => {
    const { r, state, requestLog } = make();
    const { res, ex } = exchange();
    state.draining = true;
    r.send(ex, 200, '{"predictions":[1]}');
    r.error(ex, new KilnError('TIMEOUT', 'late'));
    expect(res.status).toBe(200);
    expect(res.header('connection')).toBe('close');
    const failed = exchange();
    r.error(failed.ex, new KilnError('NOT_FOUND', 'model "x": not found'));
    expect(requestLog.recent().map((e) => [e.status, e.error])).toEqual([[404, 'model "x": not found']]);
  });
});
