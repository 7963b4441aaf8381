import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../lib/nodes/catalog';
import { ERROR_CATALOG, type ErrorCode } from '../../lib/errors';
import { PackagePredictor, type PackageFiles, type RegressionPrediction } from '../../lib/package/package';
import { rawRecords } from '../../lib/package/test-utils';
import { v2RequestRecords } from './protocol';
import { createServingServer, type ServingServer } from './server';
import { TestSource, classifierPackage, endpoint, http, regressionPackage } from './test-utils';

let reg: PackageFiles;
let reg2: PackageFiles;
let cls: PackageFiles;
let server: ServingServer;
let source: TestSource;
let base: string;

const KEY = 'sk-test-123';
const keyHash = createHash('sha256').update(KEY).digest('hex');
const METRICS_TOKEN = 'metrics-secret';
const operator = { authorization: `Bearer ${METRICS_TOKEN}` };

beforeAll(async () => {
  await tf.setBackend('cpu');
  reg = await regressionPackage('cars');
  reg2 = await regressionPackage('cars', 2);
  cls = await classifierPackage('kinds');
  source = new TestSource([
    endpoint('cars', [{ version: 1, files: reg, aliases: ['production'] }]),
    endpoint('kinds', [{ version: 1, files: cls }]),
    endpoint('secure', [{ version: 1, files: reg }], { access: 'keys', keyHashes: [keyHash] }),
  ]);
  server = await createServingServer({ source, port: 0, maxInstances: 50, maxBodyBytes: 4_000_000, log: () => undefined, logSample: 1, metricsToken: METRICS_TOKEN });
  base = server.url;
});
afterAll(async () => {
  await server?.close();
});

const record = () => ({ hp: 150, weight: 3500, origin: 'USA' });
const predict = (body: unknown, path = '/v1/models/cars:predict', headers?: Record<string, string>) =>
  http(`${base}${path}`, { body: typeof body === 'string' ? body : JSON.stringify(body), ...(headers ? { headers } : {}) });

async function expectStillServing() {
  const r = await predict({ instances: [record()] });
  expect(r.status).toBe(200);
  expect(typeof r.json.predictions[0]).toBe('number');
}

describe('TF Serving REST API', () => {
  it('predicts from records, arrays, columnar and row inputs, equal to the tfjs PackagePredictor', async () => {
    const recs = rawRecords();
    const predictor = await PackagePredictor.load(tf, reg);
    const want = ((await predictor.predict(recs)) as RegressionPrediction[]).map((p) => p.prediction);
    predictor.dispose();
    const a = await predict({ instances: recs });
    expect(a.status).toBe(200);
    expect(a.json.predictions).toHaveLength(recs.length);
    a.json.predictions.forEach((p: number, i: number) => expect(Math.abs(p - want[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]!))));
    // arrays in input-schema order (hp, weight, origin)
    const b = await predict({ instances: recs.map((r) => [r.hp, r.weight, r.origin]) });
    expect(b.json.predictions).toEqual(a.json.predictions);
    const c = await predict({ inputs: { hp: recs.map((r) => r.hp), weight: recs.map((r) => r.weight), origin: recs.map((r) => r.origin) } });
    expect(c.json.predictions).toEqual(a.json.predictions);
    const d = await predict({ inputs: recs });
    expect(d.json.predictions).toEqual(a.json.predictions);
    // versions/N and labels/L address the same version
    expect((await predict({ instances: recs }, '/v1/models/cars/versions/1:predict')).json.predictions).toEqual(a.json.predictions);
    expect((await predict({ instances: recs }, '/v1/models/cars/labels/production:predict')).json.predictions).toEqual(a.json.predictions);
  });

  it('classifies with label and probabilities', async () => {
    const r = await predict({ instances: [record(), { hp: null, weight: 4000, origin: 'Japan' }] }, '/v1/models/kinds:predict');
    expect(r.status).toBe(200);
    expect(r.json.predictions).toHaveLength(2);
    const p = r.json.predictions[0];
    expect(['a', 'b', 'c']).toContain(p.label);
    expect(Object.values(p.probabilities as Record<string, number>).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
  });

  it('answers status, metadata and OpenAPI whose example predicts as pasted', async () => {
    const s = await http(`${base}/v1/models/cars`);
    expect(s.json).toEqual({ model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    expect((await http(`${base}/v1/models/cars/versions/1`)).status).toBe(200);
    expect((await http(`${base}/v1/models/cars/versions/7`)).status).toBe(404);
    const m = await http(`${base}/v1/models/cars/metadata`);
    const sig = m.json.metadata.signature_def.signature_def.serving_default;
    expect(Object.keys(sig.inputs)).toEqual(['hp', 'weight', 'origin']);
    expect(sig.inputs.origin.dtype).toBe('DT_STRING');
    expect(sig.inputs.hp.dtype).toBe('DT_FLOAT');
    const o = await http(`${base}/v1/models/cars/openapi.json`);
    expect(o.json.openapi).toBe('3.1.0');
    const op = o.json.paths['/v1/models/cars:predict'].post;
    expect(o.json.components.schemas.Record.required).toEqual(['hp', 'weight', 'origin']);
    const example = op.requestBody.content['application/json'].example;
    const r = await predict(example);
    expect(r.status).toBe(200);
    expect(r.json.predictions).toHaveLength(1);
  });
});

describe('KServe V2', () => {
  it('infers from named tensors and answers health and metadata', async () => {
    const r = await predict(
      {
        id: 'req-1',
        inputs: [
          { name: 'hp', datatype: 'FP32', shape: [2], data: [150, 90] },
          { name: 'weight', datatype: 'FP32', shape: [2, 1], data: [[3500], [2200]] },
          { name: 'origin', datatype: 'BYTES', shape: [2], data: ['USA', 'Japan'] },
        ],
      },
      '/v2/models/cars/infer',
    );
    expect(r.status).toBe(200);
    expect(r.json.id).toBe('req-1');
    expect(r.json.model_version).toBe('1');
    const tfr = await predict({ instances: [record(), { hp: 90, weight: 2200, origin: 'Japan' }] });
    expect(r.json.outputs[0].shape).toEqual([2]);
    expect(r.json.outputs[0].data).toEqual(tfr.json.predictions);
    const c = await predict({ inputs: [{ name: 'hp', datatype: 'INT64', shape: [1], data: [150] }, { name: 'weight', datatype: 'FP64', shape: [1], data: [3500] }, { name: 'origin', datatype: 'BYTES', shape: [1], data: ['USA'] }] }, '/v2/models/kinds/versions/1/infer');
    expect(c.json.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities']);
    expect(c.json.outputs[1].shape).toEqual([1, 3]);
    expect((await http(`${base}/v2/health/live`)).json).toEqual({ live: true });
    expect((await http(`${base}/v2/health/ready`)).json).toEqual({ ready: true });
    const meta = await http(`${base}/v2/models/cars`);
    expect(meta.json.inputs.map((i: { name: string; datatype: string }) => `${i.name}:${i.datatype}`)).toEqual(['hp:FP32', 'weight:FP32', 'origin:BYTES']);
    expect((await http(`${base}/v2/models/cars/ready`)).json).toEqual({ name: 'cars', ready: true });
  });

  it('names the tensor of a bad V2 input', async () => {
    const good = (over: Record<string, unknown>) => [
      { name: 'hp', datatype: 'FP32', shape: [1], data: [150], ...over },
      { name: 'weight', datatype: 'FP32', shape: [1], data: [3500] },
      { name: 'origin', datatype: 'BYTES', shape: [1], data: ['USA'] },
    ];
    const cases: [unknown, string][] = [
      [{ inputs: good({ datatype: 'BYTES' }) }, '"hp": datatype "BYTES"'],
      [{ inputs: good({ shape: [2] }) }, '"hp": data has 1 values but shape [2]'],
      [{ inputs: good({ shape: [2], data: [1, 2] }) }, 'ragged'],
      [{ inputs: good({}).slice(1) }, 'missing tensor "hp"'],
      [{ inputs: good({ name: 'nope' }) }, '"nope" is not an input'],
    ];
    for (const [body, msg] of cases) {
      const r = await predict(body, '/v2/models/cars/infer');
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error).toContain(msg);
      await expectStillServing();
    }
  });
});

describe('KServe V2 datatypes are enforced', () => {
  // hp is numeric (any INT*/UINT*/FP* datatype), origin categorical (BYTES).
  const body = (hp: Record<string, unknown>, origin: Record<string, unknown> = {}) => ({
    inputs: [
      { name: 'hp', shape: [3], ...hp },
      { name: 'weight', datatype: 'FP32', shape: [3], data: [3500, 2200, 3000] },
      { name: 'origin', datatype: 'BYTES', shape: [3], data: ['USA', 'Japan', 'USA'], ...origin },
    ],
  });
  const cases: [string, unknown, string][] = [
    ['300 as INT8', body({ datatype: 'INT8', data: [100, 300, 1] }), 'inputs[0] "hp".data[1]: 300 is out of range for INT8 (-128 to 127)'],
    ['-129 as INT8', body({ datatype: 'INT8', data: [-129, 1, 1] }), 'inputs[0] "hp".data[0]: -129 is out of range for INT8'],
    ['-1 as UINT8', body({ datatype: 'UINT8', data: [1, 2, -1] }), 'inputs[0] "hp".data[2]: -1 is out of range for UINT8 (0 to 255)'],
    ['70000 as INT16', body({ datatype: 'INT16', data: [1, 70000, 1] }), 'inputs[0] "hp".data[1]: 70000 is out of range for INT16'],
    ['1.5 as INT32', body({ datatype: 'INT32', data: [1, 2, 1.5] }), 'inputs[0] "hp".data[2]: 1.5 is not an integer (INT32)'],
    ['2^53 as INT64', body({ datatype: 'INT64', data: [1, 9007199254740992, 1] }), 'inputs[0] "hp".data[1]: 9007199254740992 is out of range for INT64'],
    ['a string as INT32', body({ datatype: 'INT32', data: [1, '2', 3] }), 'inputs[0] "hp".data[1]: expected an integer for INT32, got string'],
    ['"x" as FP32', body({ datatype: 'FP32', data: ['x', 1, 2] }), 'inputs[0] "hp".data[0]: expected a number for FP32, got string'],
    ['true as FP64', body({ datatype: 'FP64', data: [1, 2, true] }), 'inputs[0] "hp".data[2]: expected a number for FP64, got boolean'],
    ['1e39 as FP32', body({ datatype: 'FP32', data: [1, 1e39, 2] }), 'inputs[0] "hp".data[1]: 1e+39 is out of range for FP32'],
    ['70000 as FP16', body({ datatype: 'FP16', data: [1, 2, 70000] }), 'inputs[0] "hp".data[2]: 70000 is out of range for FP16 (±65504)'],
    ['a number as BYTES', body({ datatype: 'FP32', data: [1, 2, 3] }, { data: ['USA', 7, 'USA'] }), 'inputs[2] "origin".data[1]: expected a string for BYTES, got number'],
    ['[n, 1] names the flat index', body({ datatype: 'UINT8', shape: [3, 1], data: [[1], [2], [256]] }), 'inputs[0] "hp".data[2]: 256 is out of range for UINT8'],
  ];
  for (const [name, b, msg] of cases) {
    it(`refuses ${name} with a 400 naming the input and the index`, async () => {
      const r = await predict(b, '/v2/models/cars/infer');
      expect(r.status).toBe(400);
      expect(r.json.error).toContain(msg);
    });
  }

  it('refuses a non-bool as BOOL (a boolean field) with the input and the index', () => {
    const schema = [{ name: 'on', type: 'boolean' as const, nullable: true }];
    for (const bad of [1, 'true', 0]) {
      expect(() => v2RequestRecords({ inputs: [{ name: 'on', datatype: 'BOOL', shape: [2], data: [true, bad] }] }, schema, 10)).toThrow(`inputs[0] "on".data[1]: expected true or false for BOOL, got ${typeof bad}`);
    }
    expect(v2RequestRecords({ inputs: [{ name: 'on', datatype: 'BOOL', shape: [3], data: [true, false, null] }] }, schema, 10).records).toEqual([{ on: true }, { on: false }, { on: null }]);
  });

  it('accepts the ends of each range, and null as a missing value', async () => {
    for (const [datatype, data] of [['INT8', [-128, 127, null]], ['UINT8', [0, 255, 7]], ['INT64', [-9007199254740991, 9007199254740991, 0]], ['FP16', [-65504, 0.5, 65504]], ['UINT32', [0, 4294967295, 1]]] as const) {
      const r = await predict(body({ datatype, data }), '/v2/models/cars/infer');
      expect(r.status, `${datatype} ${JSON.stringify(data)}: ${r.body}`).toBe(200);
    }
  });
});

describe('bad input: a 4xx naming the field, and the server keeps serving', () => {
  const cases: [string, unknown, number, string][] = [
    ['missing field', { instances: [{ hp: 150, origin: 'USA' }] }, 400, 'missing field "weight"'],
    ['wrong type', { instances: [{ ...record(), weight: 'heavy' }] }, 400, 'field "weight": expected number, got string'],
    ['Infinity', '{"instances":[{"hp":1e999,"weight":3500,"origin":"USA"}]}', 400, 'field "hp": expected number, got number Infinity'],
    ['NaN literal', '{"instances":[{"hp":NaN,"weight":3500,"origin":"USA"}]}', 400, 'invalid JSON'],
    ['nested value', { instances: [{ ...record(), hp: [150] }] }, 400, 'field "hp": expected number, got array'],
    ['ragged instance arrays', { instances: [[150, 3500, 'USA'], [150, 3500]] }, 400, 'instances[1]: has 2 values; expected 3'],
    ['ragged columns', { inputs: { hp: [1, 2], weight: [3500], origin: ['USA', 'USA'] } }, 400, 'inputs.weight: 1 values, but inputs.hp has 2 values'],
    ['columns missing a field', { inputs: { hp: [1], weight: [3500] } }, 400, 'inputs.origin: missing field'],
    ['instance not an object', { instances: [42] }, 400, 'instances[0]: expected an object'],
    ['instances not a list', { instances: { hp: 1 } }, 400, 'instances: expected an array'],
    ['neither instances nor inputs', { rows: [] }, 400, '"instances"'],
    ['both', { instances: [], inputs: [] }, 400, 'not both'],
    ['invalid JSON', '{"instances": [', 400, 'invalid JSON'],
    ['empty body', '', 400, 'empty'],
    ['body not an object', '[1,2]', 400, 'expected a JSON object'],
    ['too many instances', { instances: Array.from({ length: 51 }, record) }, 413, '51 instances is more than the 50'],
    ['deep nesting', `{"instances":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, 400, 'nested deeper than 32'],
    ['unknown model', { instances: [record()] }, 404, 'model "nope"'],
  ];
  for (const [name, body, status, msg] of cases) {
    it(name, async () => {
      const r = await predict(body, name === 'unknown model' ? '/v1/models/nope:predict' : undefined);
      expect(r.status).toBe(status);
      expect(r.json.error).toContain(msg);
      expect(r.json.error).not.toContain('\n');
      // Beside TF Serving's `error`, the catalog code whose status this is.
      expect(typeof r.json.code).toBe('string');
      expect(ERROR_CATALOG[r.json.code as ErrorCode].status).toBe(status);
      await expectStillServing();
    });
  }

  it('an unknown category is handled as trained (one-hot ignore → zeros), a null is imputed', async () => {
    const r = await predict({ instances: [{ ...record(), origin: 'Atlantis' }, { ...record(), hp: null }] });
    expect(r.status).toBe(200);
    expect(r.json.predictions.every((p: number) => Number.isFinite(p))).toBe(true);
  });

  it('tolerates a wrong content type and no content type', async () => {
    const r = await http(`${base}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [record()] }), headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(200);
  });

  it('answers 413 to a huge declared Content-Length without reading the body', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(server.port, '127.0.0.1');
      let got = '';
      const timer = setInterval(() => sock.writable && sock.write('x'.repeat(1024)), 5);
      sock.on('connect', () => sock.write(`POST /v1/models/cars:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{"instances":[`));
      sock.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n') && got.includes('}')) {
          clearInterval(timer);
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', (e) => {
        clearInterval(timer);
        if (got) resolve(got);
        else reject(e);
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('over the 4000000-byte limit');
    await expectStillServing();
  });

  it('answers 413 to a streamed (chunked) body that grows past the limit', async () => {
    const answer = await new Promise<string>((resolve) => {
      const sock = connect(server.port, '127.0.0.1');
      let got = '';
      const chunk = 'x'.repeat(64 * 1024);
      const timer = setInterval(() => sock.writable && sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`), 2);
      sock.on('connect', () => sock.write('POST /v1/models/cars:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'));
      sock.on('data', (d) => {
        got += d.toString();
        if (got.includes('}')) {
          clearInterval(timer);
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', () => {
        clearInterval(timer);
        resolve(got);
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    await expectStillServing();
  });
});

describe('micro-batching', () => {
  it('answers concurrent requests each with its own predictions, and a bad one alone with its error', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => (i === 5 ? { instances: [{ hp: 1, weight: 'x', origin: 'USA' }] } : { instances: [{ ...record(), hp: 100 + i }, { ...record(), weight: 2000 + i }] }));
    const alone: unknown[] = [];
    for (const [i, b] of bodies.entries()) alone.push(i === 5 ? null : (await predict(b)).json.predictions);
    const together = await Promise.all(bodies.map((b) => predict(b)));
    together.forEach((r, i) => {
      if (i === 5) {
        expect(r.status).toBe(400);
        expect(r.json.error).toContain('record 0 field "weight"');
      } else {
        expect(r.status).toBe(200);
        expect(r.json.predictions).toEqual(alone[i]);
      }
    });
  });
});

describe('API keys', () => {
  it('401 without a key, 403 with a wrong one, 200 with Bearer or X-API-Key', async () => {
    const body = { instances: [record()] };
    const none = await predict(body, '/v1/models/secure:predict');
    expect(none.status).toBe(401);
    expect(none.json.error).toContain('needs an API key');
    expect((await predict(body, '/v1/models/secure:predict', { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await predict(body, '/v1/models/secure:predict', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await predict(body, '/v1/models/secure:predict', { 'x-api-key': KEY })).status).toBe(200);
    expect((await http(`${base}/v1/models/secure/metadata`)).status).toBe(401);
  });
});

describe('observability', () => {
  it('exposes Prometheus metrics per endpoint and version, and the recent requests', async () => {
    await predict({ instances: [record()] });
    await predict({ instances: [{}] });
    const m = await http(`${base}/metrics`, { headers: operator });
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/kiln_serving_requests_total\{endpoint="cars",version="1",code="200"\} \d+/);
    expect(m.body).toMatch(/kiln_serving_requests_total\{endpoint="cars",version="1",code="400"\} \d+/);
    expect(m.body).toMatch(/kiln_serving_request_duration_seconds_bucket\{le="0.005",endpoint="cars",version="1"\} \d+/);
    expect(m.body).toMatch(/kiln_serving_errors_total\{endpoint="cars",version="1",reason="bad_request"\} \d+/);
    expect(m.body).toMatch(/kiln_serving_in_flight_requests 0/);
    const recent = await http(`${base}/v1/requests/recent`, { headers: operator });
    expect(recent.json.requests.length).toBeGreaterThan(0);
    expect(recent.json.requests.some((e: { status: number; error?: string }) => e.status === 400 && e.error?.includes('missing field'))).toBe(true);
    expect((await http(`${base}/healthz`)).status).toBe(200);
    expect((await http(`${base}/readyz`)).status).toBe(200);
  });
});

describe('version swaps', () => {
  it('swaps versions 3 times under continuous load with zero non-2xx, then serves the last', async () => {
    const statuses = new Map<number, number>();
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const r = await predict({ instances: [record()] });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    const files = [reg2, reg, reg2];
    for (let v = 2; v <= 4; v++) {
      await new Promise((r) => setTimeout(r, 150));
      const report = await source.set([
        endpoint('cars', [{ version: v, files: files[v - 2]!, aliases: ['production'] }]),
        endpoint('kinds', [{ version: 1, files: cls }]),
        endpoint('secure', [{ version: 1, files: reg }], { access: 'keys', keyHashes: [keyHash] }),
      ]);
      expect(report.failed).toEqual([]);
    }
    while ([...statuses.values()].reduce((a, b) => a + b, 0) < 2000) await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await Promise.all(workers);
    expect([...statuses.keys()]).toEqual([200]);
    expect((await http(`${base}/v1/models/cars`)).json.model_version_status[0]).toMatchObject({ version: '4', state: 'AVAILABLE' });
  });

  it('keeps the old version serving when the new one fails to load, and reports why', async () => {
    const broken = new Map(reg);
    broken.set('kiln-model.json', new TextEncoder().encode('{"formatVersion": 1'));
    const report = await source.set([
      endpoint('cars', [{ version: 4, files: reg2 }, { version: 5, files: broken }], { default: 5 }),
      endpoint('kinds', [{ version: 1, files: cls }]),
      endpoint('secure', [{ version: 1, files: reg }], { access: 'keys', keyHashes: [keyHash] }),
    ]);
    expect(report.failed.map((f) => f.version)).toEqual([5]);
    const r = await predict({ instances: [record()] });
    expect(r.status).toBe(200);
    const st = (await http(`${base}/v1/models/cars`)).json.model_version_status;
    const v5 = st.find((s: { version: string }) => s.version === '5');
    expect(v5.state).toBe('END');
    expect(v5.status.error_code).toBe('UNKNOWN');
    expect(v5.status.error_message).toContain('kiln-model.json');
    expect(st.find((s: { version: string }) => s.version === '4').state).toBe('AVAILABLE');
    expect((await predict({ instances: [record()] }, '/v1/models/cars/versions/5:predict')).status).toBe(404);
  });

  it('splits traffic by weight deterministically; an explicit version or label bypasses it', async () => {
    await source.set([
      endpoint('cars', [{ version: 6, files: reg, aliases: ['production'] }, { version: 7, files: reg2, aliases: ['canary'] }], { default: 6, traffic: [{ version: 6, weight: 3 }, { version: 7, weight: 1 }] }),
    ]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await predict({ inputs: [{ name: 'hp', datatype: 'FP32', shape: [1], data: [150] }, { name: 'weight', datatype: 'FP32', shape: [1], data: [3500] }, { name: 'origin', datatype: 'BYTES', shape: [1], data: ['USA'] }] }, '/v2/models/cars/infer');
      counts.set(r.json.model_version, (counts.get(r.json.model_version) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ '6': 30, '7': 10 });
    const viaLabel = await predict({ inputs: [{ name: 'hp', datatype: 'FP32', shape: [1], data: [150] }, { name: 'weight', datatype: 'FP32', shape: [1], data: [3500] }, { name: 'origin', datatype: 'BYTES', shape: [1], data: ['USA'] }] }, '/v2/models/cars/versions/7/infer');
    expect(viaLabel.json.model_version).toBe('7');
    expect((await predict({ instances: [record()] }, '/v1/models/cars/labels/canary:predict')).status).toBe(200);
    expect((await predict({ instances: [record()] }, '/v1/models/cars/labels/nope:predict')).status).toBe(404);
    // the endpoints that left the config are gone
    expect((await predict({ instances: [record()] }, '/v1/models/kinds:predict')).status).toBe(404);
  });
});

describe('overload', () => {
  it('answers 429 with Retry-After past maxConcurrency, and 503 with Retry-After on a timeout', async () => {
    const s = await createServingServer({ source: new TestSource([endpoint('cars', [{ version: 1, files: reg }])]), port: 0, maxConcurrency: 1, requestTimeoutMs: 300, log: () => undefined });
    try {
      // One request holds the only slot: its body never finishes.
      const sock = connect(s.port, '127.0.0.1');
      let held = '';
      sock.on('data', (d) => (held += d.toString()));
      sock.on('error', () => undefined);
      await new Promise<void>((r) => sock.on('connect', () => r()));
      sock.write('POST /v1/models/cars:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"inst');
      await new Promise((r) => setTimeout(r, 50));
      const over = await http(`${s.url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [record()] }) });
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toBe('1');
      // The held request times out: 503 with Retry-After, and its slot is free again.
      await new Promise((r) => setTimeout(r, 500));
      expect(held).toMatch(/^HTTP\/1\.1 503/);
      expect(held.toLowerCase()).toContain('retry-after: 1');
      sock.destroy();
      expect((await http(`${s.url}/v1/models/cars:predict`, { body: JSON.stringify({ instances: [record()] }) })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
