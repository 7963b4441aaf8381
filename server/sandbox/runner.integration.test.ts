/**
 * Custom nodes on a real server and a real `kiln runner` process: an infinite loop or a 10 GB
 * allocation fails its run with the limit as reason and the same runner goes on to train the next
 * run; code reaching for the runner's environment gets nothing; a model trained
 * after a custom node registers as FAILED (serving never runs user code), naming the node.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataChain, trainEdges } from '../../lib/graph/wiring';
import { mintRunnerToken, Proc, startRunnerProc, startServer, trpcClient, waitForRuns, type StartedServer } from '../runner/harness';

let work: string;
let server: StartedServer;
let runner: Proc;

const TIMEOUT_MS = 1500;
const SECRET = `runner-secret-${Math.random().toString(36).slice(2)}`;

function graph(code: string, name: string) {
  return {
    version: 1,
    name,
    seed: 7,
    nodes: [
      { id: 'data', kind: 'dataset', params: { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' } },
      { id: 'drop', kind: 'drop_columns', params: { columns: ['Name', 'Year', 'Origin'] } },
      { id: 'clean', kind: 'custom', params: { name: 'clean', label: 'Clean', code, config: { min: 40 } } },
      { id: 'split', kind: 'split', params: { testFraction: 0.2, seed: 3 } },
      { id: 'impute', kind: 'impute', params: { strategy: 'mean' } },
      { id: 'model', kind: 'linear_regression', params: {} },
      { id: 'train', kind: 'train', params: { epochs: 3, batchSize: 32, learningRate: 0.03, validationFraction: 0.1, patience: 0 } },
      { id: 'evaluate', kind: 'evaluate', params: {} },
    ],
    edges: [...dataChain(['data', 'drop', 'clean', 'split', 'impute']), ...trainEdges({ data: 'impute', model: 'model', train: 'train', evaluate: 'evaluate' })],
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-custom-runner-'));
  server = await startServer({ dataDir: join(work, 'data') });
  const token = await mintRunnerToken(server.url, 'custom-test');
  // The runner reads its sandbox limits from the environment it is started with.
  process.env.KILN_CUSTOM_TIMEOUT_MS = String(TIMEOUT_MS);
  process.env.KILN_RUNNER_TEST_SECRET = SECRET;
  runner = await startRunnerProc({ url: server.url, token, name: 'custom-test', cacheDir: join(work, 'cache') });
}, 180_000);

afterAll(async () => {
  delete process.env.KILN_CUSTOM_TIMEOUT_MS;
  delete process.env.KILN_RUNNER_TEST_SECRET;
  await runner?.stop(10_000);
  await server?.proc.stop(10_000);
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('custom nodes on the runner', () => {
  it('fails an infinite loop and a huge allocation with their limits, then runs the next graph on the same runner', async () => {
    const api = trpcClient(server.url);
    const bad = await api.runs.submit.mutate({ projectName: 'custom-runner', graph: graph('(rows) => { for (;;) {} }', 'loop'), datasets: {}, options: { backend: 'cpu' } });
    const good = await api.runs.submit.mutate({
      projectName: 'custom-runner',
      graph: graph('(rows, config) => rows.map((r) => ({ ...r, Horsepower: r.Horsepower === null ? null : Math.min(r.Horsepower, 1000) }))', 'clamp'),
      datasets: {},
      options: { backend: 'cpu' },
    });
    const huge = await api.runs.submit.mutate({
      projectName: 'custom-runner',
      graph: graph('(rows) => { const keep = []; for (;;) keep.push(new Float64Array(1.25e8).fill(1)); }', 'memory'),
      datasets: {},
      options: { backend: 'cpu' },
    });
    const leak = await api.runs.submit.mutate({
      projectName: 'custom-runner',
      graph: graph(
        `(rows) => { let env = 'none'; try { env = JSON.stringify(this.constructor.constructor('return process')().env); } catch (e) { env = String(e); } throw new Error('env: ' + env + ' ' + typeof process); }`,
        'leak',
      ),
      datasets: {},
      options: { backend: 'cpu' },
    });
    const [b, g, h, l] = await waitForRuns(server.url, [bad.runId, good.runId, huge.runId, leak.runId], 120_000);
    expect(h!.status).toBe('failed');
    expect(h!.error).toMatch(/^custom node "clean" \(clean\): exceeded the memory limit \(512 MiB\)/);
    expect(l!.status).toBe('failed');
    expect(l!.error).toMatch(/^custom node "clean" \(clean\): Error: env: EvalError: Code generation from strings disallowed for this context undefined/);
    expect(JSON.stringify([b, g, h, l])).not.toContain(SECRET);
    expect(b!.status).toBe('failed');
    expect(b!.error).toBe(`custom node "clean" (clean): exceeded the time limit (${TIMEOUT_MS / 1000} s)`);
    expect(g!.status, g!.error ?? '').toBe('succeeded');
    expect(runner.output).toMatch(/custom node sandbox: separate process/);
    expect(runner.child.exitCode).toBeNull();
    // The runner holds the secret in its environment; nothing it logged carries it.
    expect(runner.output).not.toContain(SECRET);

    // The trained package replays a custom step, which serving refuses: FAILED, naming the node.
    const v = await api.registry.register.mutate({ model: 'custom-cars', runId: good.runId });
    expect(v.status).toBe('FAILED');
    expect(v.statusReason).toMatch(/custom node "clean" \(clean\): serving never runs custom code/);
  }, 180_000);
});
