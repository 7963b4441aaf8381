/**
 * Issue 4's acceptance, end to end through the CLI and real processes: `kiln submit --wait` →
 * `kiln register` → `kiln alias set` → `kiln endpoint bind cars` → the local `kiln serving`
 * child predicts from raw records with curl; a version that fails a gate never takes the alias
 * (the endpoint keeps serving the old one, the block is in the history); moving the alias under
 * continuous load gives zero non-2xx answers.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carsGraph, freePort, kiln, Proc, REPO, TEST_OWNER_TOKEN, trpcClient } from '../runner/harness';

const run = promisify(execFile);
let dir: string;
let server: Proc;
let url: string;
let serving: string;

async function json(args: string[]) {
  const r = await kiln([...args, '--server', url, '--json']);
  return { code: r.code, out: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').at(-1)!) : null, stderr: r.stderr };
}

async function submit(graph: unknown, name: string) {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(graph));
  return json(['submit', file, '--data', `cars=${join(dir, 'cars.json')}`, '--wait']);
}

async function servedVersion(): Promise<string | null> {
  const r = await fetch(`${serving}/v1/models/cars`).catch(() => null);
  if (!r || r.status !== 200) return null;
  const b = (await r.json()) as { model_version_status: { version: string; state: string }[] };
  return b.model_version_status.find((s) => s.state === 'AVAILABLE')?.version ?? null;
}

async function waitForServed(version: string, timeoutMs = 60_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await servedVersion()) === version) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serving did not switch to version ${version}:\n${server.output.slice(-2000)}`);
}

const records = [
  { Name: 'ford pinto', Cylinders: 4, Displacement: 122, Horsepower: 86, Weight_in_lbs: 2220, Acceleration: 14, Year: '1971-01-01', Origin: 'USA' },
  { Name: 'mystery car', Cylinders: 8, Displacement: 350, Horsepower: null, Weight_in_lbs: 4100, Acceleration: 12, Year: '1975-01-01', Origin: 'Mars' },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-accept-'));
  await copyFile(join(REPO, 'node_modules/vega-datasets/data/cars.json'), join(dir, 'cars.json'));
  const servingPort = await freePort();
  server = new Proc('server', ['--import', 'tsx', 'server/main.ts', '--no-ui', '--port', '0', '--local-runner', '--serving-port', String(servingPort)], {
    KILN_DATA_DIR: join(dir, 'data'),
    DATABASE_URL: '',
    KILN_BOOTSTRAP_TOKEN: TEST_OWNER_TOKEN,
  });
  const m = await server.waitFor(/listening on (http:\/\/[^\s]+?):(\d+)/, 90_000);
  url = `http://127.0.0.1:${m[2]}`;
  serving = `http://127.0.0.1:${servingPort}`;
  await server.waitFor(/registered as /, 90_000);
}, 180_000);

afterAll(async () => {
  await server?.stop(30_000);
  await rm(dir, { recursive: true, force: true });
});

describe('submit → register → deploy → predict', () => {
  let firstPrediction: number[];

  it('deploys a trained run as endpoint "cars" and curl predicts from raw records', async () => {
    const s = await submit(carsGraph(40, 'linear', 'cars v1'), 'v1');
    expect(s.code, s.stderr).toBe(0);
    expect(s.out.status).toBe('succeeded');
    const reg = await json(['register', s.out.runId, '--model', 'cars']);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.out).toMatchObject({ version: 1, status: 'READY' });
    const alias = await json(['alias', 'set', 'cars', 'production', '1', '--reason', 'first model']);
    expect(alias.code, alias.stderr).toBe(0);
    expect(alias.out.moved).toBe(true);
    const bind = await json(['endpoint', 'bind', 'cars', '--model', 'cars', '--alias', 'production']);
    expect(bind.code, bind.stderr).toBe(0);
    await waitForServed('1');

    const { stdout } = await run('curl', ['-sS', '-X', 'POST', `${serving}/v1/models/cars:predict`, '-H', 'content-type: application/json', '-d', JSON.stringify({ instances: records })]);
    const body = JSON.parse(stdout) as { predictions: number[] };
    expect(body.predictions).toHaveLength(2);
    for (const p of body.predictions) {
      expect(p).toBeGreaterThan(5);
      expect(p).toBeLessThan(50);
    }
    firstPrediction = body.predictions;
  }, 240_000);

  it('a version that fails a gate never takes the alias; the endpoint keeps serving the old one', async () => {
    const bad = carsGraph(40, 'linear', 'cars v2 with a gate it cannot pass');
    bad.nodes.find((n) => n.id === 'evaluate')!.params = { gates: ['r2 >= 0.999'] };
    const s = await submit(bad, 'v2');
    expect(s.out.status).toBe('succeeded');
    expect(s.out.gates[0].passed).toBe(false);
    const reg = await json(['register', s.out.runId, '--model', 'cars']);
    expect(reg.out).toMatchObject({ version: 2, status: 'READY' });
    const alias = await json(['alias', 'set', 'cars', 'production', '2', '--reason', 'try v2']);
    expect(alias.code).toBe(3);
    expect(alias.out.moved).toBe(false);
    const failed = alias.out.gates.filter((g: { passed: boolean }) => !g.passed);
    expect(failed.map((g: { gate: string; detail: string }) => g.detail).join(' ')).toContain('r2 >= 0.999');
    const history = await trpcClient(url).registry.aliasHistory.query({ model: 'cars', alias: 'production' });
    expect(history.map((h: { outcome: string; toVersion: number }) => [h.outcome, h.toVersion])).toEqual(expect.arrayContaining([['blocked', 2], ['moved', 1]]));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await servedVersion()).toBe('1');
    const r = await fetch(`${serving}/v1/models/cars:predict`, { method: 'POST', body: JSON.stringify({ instances: records }) });
    expect(((await r.json()) as { predictions: number[] }).predictions).toEqual(firstPrediction);
  }, 240_000);

  it('moving the alias under continuous load gives zero non-2xx answers', async () => {
    const s = await submit(carsGraph(60, 'linear', 'cars v3'), 'v3');
    expect(s.out.status).toBe('succeeded');
    const reg = await json(['register', s.out.runId, '--model', 'cars']);
    expect(reg.out).toMatchObject({ version: 3, status: 'READY' });

    let stop = false;
    let ok = 0;
    const bad: string[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const r = await fetch(`${serving}/v1/models/cars:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [records[0]] }) });
          if (r.status >= 200 && r.status < 300) ok++;
          else bad.push(`${r.status} ${await r.text()}`);
          await r.arrayBuffer().catch(() => undefined);
        } catch (e) {
          bad.push(String(e));
        }
      }
    };
    const load = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 500));
    const alias = await json(['alias', 'set', 'cars', 'production', '3', '--reason', 'v3 under load', '--force']);
    expect(alias.code, JSON.stringify(alias.out)).toBe(0);
    await waitForServed('3');
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(load);
    expect(bad).toEqual([]);
    expect(ok).toBeGreaterThan(200);
  }, 240_000);
});
