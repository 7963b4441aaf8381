/**
 * The custom-node sandbox: limits (time, memory) fail with a clear reason, and user code cannot
 * reach the server's files, environment, network or Node APIs through any of the usual doors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../lib/errors';
import '../../lib/nodes/catalog';
import { custom } from '../../lib/nodes/kinds/custom';
import { makeCtx, makeFrame, runKind } from '../../lib/nodes/kinds/test-utils';
import { CHILD_SOURCE } from './child-source';
import { describeIsolation, detectIsolation } from './isolation';
import { childCommand, DEFAULT_SANDBOX_LIMITS, runInSandbox, sandboxLimits, sandboxRunCustom, SandboxError, type SandboxLimits } from './sandbox';
import { loadConfig } from '../config';

const SECRET = `kiln-secret-${Math.random().toString(36).slice(2)}`;
let dir: string;
let secretFile: string;

beforeAll(async () => {
  process.env.KILN_SANDBOX_TEST_SECRET = SECRET;
  dir = await mkdtemp(join(tmpdir(), 'kiln-sandbox-test-'));
  secretFile = join(dir, 'secret.txt');
  await writeFile(secretFile, SECRET);
});
afterAll(async () => {
  delete process.env.KILN_SANDBOX_TEST_SECRET;
  await rm(dir, { recursive: true, force: true });
});

const FAST: SandboxLimits = { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 1000 };
const rows = [{ a: 1 }, { a: 2 }];

/** What a call produced, as text: the result on success, the message on failure. */
async function outcome(code: string, limits: SandboxLimits = FAST): Promise<{ ok: boolean; text: string; error?: unknown }> {
  try {
    const r = await runInSandbox({ code, rows, config: { k: 3 } }, limits);
    return { ok: true, text: JSON.stringify(r) ?? 'undefined' };
  } catch (e) {
    return { ok: false, text: (e as Error).message, error: e };
  }
}

describe('sandbox: results and errors', () => {
  it('runs a function on the rows with its config, sync or async, and passes console.log out', async () => {
    const logs: string[] = [];
    const r = await runInSandbox({ code: 'async (rows, config) => { console.log("n", rows.length); return rows.map((r) => ({ b: r.a * config.k })); }', rows, config: { k: 3 }, onLog: (l) => logs.push(l) }, FAST);
    expect(r).toEqual([{ b: 3 }, { b: 6 }]);
    expect(logs).toEqual(['n 2']);
  });

  it('reports syntax errors and throws with their line', async () => {
    expect(await outcome('(rows) => {\n  return rows +\n}')).toMatchObject({ ok: false, text: expect.stringMatching(/^SyntaxError: .* \(line 3\)$/) });
    expect((await outcome('(rows) => {\n  null.x;\n}')).text).toMatch(/^TypeError: Cannot read properties of null .* \(line 2\)$/);
    expect((await outcome('() => { throw "plain" }')).text).toBe('threw plain');
  });

  it('reports a promise that never settles instead of hanging', async () => {
    expect((await outcome('() => new Promise(() => {})')).text).toMatch(/never settled/);
  });
});

describe('sandbox: limits', () => {
  it.each([
    ['a synchronous infinite loop', '() => { for (;;) {} }'],
    ['an asynchronous infinite loop', 'async () => { for (;;) await null; }'],
  ])('stops %s with the time limit as reason', async (_what, code) => {
    const t0 = Date.now();
    const o = await outcome(code);
    expect(o.text).toBe('exceeded the time limit (1 s)');
    expect((o.error as SandboxError).reason).toBe('time');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it.each([
    ['new Array(1e10)', '() => new Array(1e10).fill(0)'],
    ['a 10 GB typed array', '() => new Float64Array(1.25e9)'],
    ['growing arrays', '() => { const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random())); }'],
    ['growing buffers', '() => { const keep = []; for (;;) keep.push(new Uint8Array(1e8).fill(1)); }'],
    ['a huge string', '() => { let s = "x"; for (;;) s += s; }'],
  ])('fails %s with the memory limit (512 MiB) as reason', async (_what, code) => {
    const o = await outcome(code, { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 8000 });
    expect(o.ok).toBe(false);
    expect(o.text).toMatch(/^exceeded the memory limit \(512 MiB\)/);
    expect((o.error as SandboxError).reason).toBe('memory');
  }, 20_000);

  it('reads limits from the environment and refuses bad values in one line', () => {
    expect(sandboxLimits(loadConfig({}))).toEqual(DEFAULT_SANDBOX_LIMITS);
    expect(sandboxLimits(loadConfig({ KILN_CUSTOM_TIMEOUT_MS: '2500', KILN_CUSTOM_MEMORY_MB: '256' }))).toMatchObject({ timeoutMs: 2500, memoryMiB: 256 });
    expect(() => loadConfig({ KILN_CUSTOM_TIMEOUT_MS: 'soon' })).toThrow('KILN_CUSTOM_TIMEOUT_MS="soon": expected an integer ≥ 100 (milliseconds)');
  });

  it('stops at once on abort', async () => {
    const ac = new AbortController();
    const p = runInSandbox({ code: '() => { for (;;) {} }', rows, config: {}, signal: ac.signal }, { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 30_000 });
    setTimeout(() => ac.abort(new KilnError('CANCELLED', 'run cancelled')), 200);
    const t0 = Date.now();
    await expect(p).rejects.toThrow('run cancelled');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('sandbox: no way out', () => {
  const attempts: [string, string][] = [
    ['require("fs")', `() => require("fs").readFileSync(${JSON.stringify('SECRET_FILE')}, "utf8")`],
    ['process.env', '() => process.env.KILN_SANDBOX_TEST_SECRET'],
    ['globalThis.process', '() => globalThis.process && globalThis.process.env.KILN_SANDBOX_TEST_SECRET'],
    ['this.constructor.constructor', 'function () { return this.constructor.constructor("return process")().env.KILN_SANDBOX_TEST_SECRET }'],
    ['rows.constructor.constructor', '(rows) => rows.constructor.constructor("return process")().env.KILN_SANDBOX_TEST_SECRET'],
    ['import("fs")', `async () => (await import("fs")).readFileSync(${JSON.stringify('SECRET_FILE')}, "utf8")`],
    [
      "a Node error's constructor",
      'async () => { try { await import("fs") } catch (e) { return e.constructor.constructor("return process")().env.KILN_SANDBOX_TEST_SECRET } }',
    ],
    ['fetch', '() => fetch("http://127.0.0.1:1/")'],
    ['eval', '() => eval("process.env.KILN_SANDBOX_TEST_SECRET")'],
    ['Function', '() => Function("return process")().env.KILN_SANDBOX_TEST_SECRET'],
    ['WebAssembly', '() => typeof WebAssembly.compile'],
    ['a leaked global listing', '() => Object.getOwnPropertyNames(globalThis).filter((k) => /^(process|require|Buffer|fetch|setTimeout|module|global)$/.test(k))'],
  ];

  it.each(attempts)('%s reads no file and no env var', async (_what, template) => {
    const o = await outcome(template.replaceAll('SECRET_FILE', secretFile));
    expect(o.text).not.toContain(SECRET);
    if (o.ok) expect(['[]', 'null', 'undefined', '"undefined"']).toContain(o.text);
    else expect(o.text).toMatch(/ReferenceError|EvalError|TypeError|dynamic import/);
  });

  it('starts the child with an empty environment, no file access and no child processes (defence in depth)', () => {
    const iso = detectIsolation();
    const argv = childCommand(FAST, iso);
    const probe = `const out = { env: Object.keys(process.env) };
      try { require('fs').readFileSync(${JSON.stringify(secretFile)}, 'utf8'); out.fs = 'read'; } catch (e) { out.fs = e.code; }
      try { require('child_process').execSync('true'); out.child = 'ran'; } catch (e) { out.child = e.code; }
      out.cwd = require('path').basename(process.cwd());
      console.log(JSON.stringify(out));`;
    const args = argv.slice(1);
    args[args.indexOf(CHILD_SOURCE)] = probe;
    const r = spawnSync(argv[0]!, args, { cwd: dir, env: {} as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout).not.toContain(SECRET);
    const out = JSON.parse(r.stdout) as { env: string[]; fs: string; child: string };
    expect(out.env).toEqual([]);
    if (iso.permissionFlag) {
      expect(out.fs).toBe('ERR_ACCESS_DENIED');
      expect(out.child).toBe('ERR_ACCESS_DENIED');
    }
    expect(describeIsolation(iso)).toMatch(/^custom node sandbox: separate process/);
  });
});

describe('custom kind through the sandbox', () => {
  const frame = () => makeFrame({ x: [1, 2, 3], y: [2, 4, 6] }, { target: 'y' });
  const runCustom = sandboxRunCustom({ limits: FAST });
  const run = (code: string) => runKind(custom, frame(), { name: 'probe', label: 'Probe', code, config: {} }, makeCtx('c9', { runCustom }));

  it('transforms rows', async () => {
    const out = await run('(rows) => rows.map((r) => ({ ...r, x: r.x * 10 }))');
    expect(Array.from(out.table.columns[0]!.values as Float64Array)).toEqual([10, 20, 30]);
  });

  it.each([
    ['() => { for (;;) {} }', 'custom node "c9" (probe): exceeded the time limit (1 s)'],
    ['(rows) => rows.map(r => {\n  r.x.y.z = 1\n})', 'custom node "c9" (probe): TypeError: Cannot set properties of undefined (setting \'z\') (line 2)'],
    ['(rows) => "rows"', 'custom node "c9" (probe): the function must return an array of records, got a string'],
  ])('fails %j with a reason naming the node', async (code, message) => {
    await expect(run(code)).rejects.toThrow(message);
  });
});
