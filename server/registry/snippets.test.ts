import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAnswer, KilnError } from '../../lib/errors';
import { MANIFEST_FILE } from '../../lib/package/manifest';
import { buildSnippets, manifestFromZip, pythonLiteral } from './snippets';

const run = promisify(execFile);

/** A stand-in for the serving process: checks what a snippet sends and answers like TF Serving. */
let server: Server;
let base: string;
const seen: { path: string; auth: string | undefined; type: string | undefined; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // recorded as null; the assertions below fail on it
      }
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, type: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ predictions: [21.5] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

// Quotes, an apostrophe, a backslash and non-ASCII: what breaks naive shell or Python quoting.
const record = { Horsepower: 130, Origin: "O'Brien \"quoted\" \\ é", Cylinders: 8, flag: true, missing: null };

describe('endpoint snippets work as pasted', () => {
  for (const needsKey of [false, true]) {
    const env = { ...process.env, KILN_API_KEY: 'kiln_ek_test-key' };
    const check = () => {
      const last = seen.at(-1)!;
      expect(last.path).toBe('/v1/models/cars:predict');
      expect(last.type).toBe('application/json');
      expect(last.body).toEqual({ instances: [record] });
      expect(last.auth).toBe(needsKey ? 'Bearer kiln_ek_test-key' : undefined);
    };
    it(`curl${needsKey ? ' with a key' : ''}`, async () => {
      const s = buildSnippets(`${base}/v1/models/cars:predict`, record, needsKey);
      const { stdout } = await run('bash', ['-c', s.curl], { env });
      expect(JSON.parse(stdout)).toEqual({ predictions: [21.5] });
      check();
    });
    it(`python${needsKey ? ' with a key' : ''}`, async () => {
      const s = buildSnippets(`${base}/v1/models/cars:predict`, record, needsKey);
      const { stdout } = await run('python3', ['-c', s.python], { env });
      expect(JSON.parse(stdout)).toEqual([21.5]);
      check();
    });
    it(`javascript${needsKey ? ' with a key' : ''}`, async () => {
      const s = buildSnippets(`${base}/v1/models/cars:predict`, record, needsKey);
      const { stdout } = await run(process.execPath, ['-e', s.javascript], { env });
      expect(JSON.parse(stdout)).toEqual([21.5]);
      check();
    });
  }

  it('writes Python literals, not JSON', () => {
    expect(pythonLiteral({ a: true, b: null, c: [1, 'x'] })).toBe('{\n    "a": True,\n    "b": None,\n    "c": [1, "x"],\n}');
  });
});

describe('manifestFromZip', () => {
  it('answers a package whose manifest is not JSON as a 400 KilnError, not a bare 500', () => {
    let caught: unknown;
    try {
      manifestFromZip(zipSync({ [MANIFEST_FILE]: new TextEncoder().encode('{ not json') }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KilnError);
    expect(errorAnswer(caught)).toMatchObject({ status: 400, code: 'PACKAGE_BAD_JSON', internal: false });
  });
});
