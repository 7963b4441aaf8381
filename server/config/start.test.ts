/**
 * A bad value stops the real processes at start, in one line naming it: the server
 * (`server/main.ts`) and a `kiln` command. Before server/config, a bad KILN_SERVING_LOG_SAMPLE
 * became 0.01 and a bad KILN_CUSTOM_TIMEOUT_MS only failed the first custom node.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kiln-config-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `node <args>` in the repo; a process still running after `ms` is killed (and fails the test). */
function run(args: string[], env: Record<string, string>, ms = 60_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, KILN_DATA_DIR: dataDir, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const server = (env: Record<string, string>, flags: string[] = []) => run(['--import', 'tsx', 'server/main.ts', '--no-ui', ...flags], env);
const kiln = (args: string[], env: Record<string, string>) => run(['server/cli/kiln.mjs', ...args], env);

describe('a bad setting at start', () => {
  it.each([
    ['KILN_LEASE_SECONDS', 'abc', 'KILN_LEASE_SECONDS="abc": expected a positive integer (seconds)'],
    ['KILN_SERVING_LOG_SAMPLE', '2', 'KILN_SERVING_LOG_SAMPLE="2": expected a number from 0 to 1'],
    ['KILN_CUSTOM_TIMEOUT_MS', 'soon', 'KILN_CUSTOM_TIMEOUT_MS="soon": expected an integer ≥ 100 (milliseconds)'],
  ])('stops the server: %s=%s', async (name, value, line) => {
    const r = await server({ [name]: value });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`kiln server: error: ${line}\n`);
    // at start: before the database opens (a server that got further would still be listening)
    expect(r.ms).toBeLessThan(30_000);
  });

  it('stops the server on a bad flag with the same parser, naming the flag', async () => {
    const r = await server({}, ['--port', 'eighty']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('kiln server: error: --port="eighty": expected an integer from 0 to 65535\n');
  });

  it('stops a kiln command in one line', async () => {
    const r = await kiln(['validate', 'no-such-graph.json'], { KILN_RUNNER_BACKEND: 'gpu' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('kiln: error: KILN_RUNNER_BACKEND="gpu": expected webgpu, wasm, cpu, auto\n');
  });
});
