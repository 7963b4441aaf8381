/**
 * docs/data-validation.md, run: every `kiln …` line of its `sh` blocks is run in order (as a
 * process, in a folder holding the files it names) against a control plane on a fresh PostgreSQL
 * database, each `text` block is checked against the output of the command before it (its lines
 * in order; "…" stands for anything), the exported-schema example is read by the code that reads
 * what people hand in, and the 400 example is the body serving builds.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAnswer } from '../../lib/errors';
import { createRng } from '../../lib/rng';
import { createRecordChecker } from '../../lib/sketch/anomalies';
import { fromJsonSchema } from '../../lib/sketch/data-schema';
import { bootstrapOwner } from '../auth/bootstrap';
import { loadConfig } from '../config';
import { ensureProject, insertDatasetVersion } from '../db/catalog';
import { datasetSchemas, endpoints } from '../db/schema';
import { createTestDatabase, type TestDatabase } from '../db/testing';
import { summarizeDataset } from '../data/dataset-summary';
import { readSchemaDocument } from '../data/validation';
import { nodeHandler } from '../http/node-adapter';
import { openApiRuntime, type ApiRuntime } from '../http/runtime';
import { createOrBindEndpoint } from '../registry/endpoints';
import { moveAlias, registerVersion } from '../registry/registry';
import { seedRun } from '../registry/test-fixtures';
import { KILN, REPO, TEST_OWNER_TOKEN } from '../runner/harness';
import { rejectAnomalies } from '../serving/prediction-log';

const DOC = join(REPO, 'docs/data-validation.md');
const DOC_SERVER = 'http://127.0.0.1:3000';
const ORIGINS = ['USA', 'Europe', 'Japan'];

interface Block {
  lang: string;
  body: string;
}

function blocks(md: string): Block[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

/** March: hp 60..220 in steps of 10, three origins. April: the same cars with hp + 90, all from "Mars". */
function marchRows() {
  const r = createRng(5);
  return Array.from({ length: 300 }, () => ({ hp: 60 + 10 * Math.floor(r() * 17), weight: 2000 + 100 * Math.floor(r() * 26), origin: ORIGINS[Math.floor(r() * 3)]!, mpg: 10 + Math.floor(r() * 30) }));
}
const csv = (rows: ReturnType<typeof marchRows>) => `hp,weight,origin,mpg\n${rows.map((x) => `${x.hp},${x.weight},${x.origin},${x.mpg}`).join('\n')}\n`;

/** Each piece of the expected line (split at "…") appears in order within one line of the output. */
function expectLines(expected: string, output: string): void {
  const lines = output.split('\n');
  let at = 0;
  for (const want of expected.trimEnd().split('\n')) {
    const pieces = want.split('…');
    const found = lines.findIndex((line, i) => {
      if (i < at) return false;
      let pos = 0;
      for (const p of pieces) {
        const k = line.indexOf(p, pos);
        if (k < 0 || (pos === 0 && pieces[0] !== '' && k !== 0)) return false;
        pos = k + p.length;
      }
      return true;
    });
    expect(found, `doc line ${JSON.stringify(want)} not in output:\n${output}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

describe('docs/data-validation.md examples', () => {
  let pg: TestDatabase;
  let runtime: ApiRuntime;
  let server: Server;
  let base: string;
  let dataDir: string;
  let work: string;

  beforeAll(async () => {
    pg = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-dv-docs-'));
    work = join(dataDir, 'work');
    runtime = await openApiRuntime({ dataDir, databaseUrl: pg.url, config: loadConfig({}), reapIntervalMs: 0, log: () => undefined });
    await bootstrapOwner(runtime.db.db, { bootstrapToken: TEST_OWNER_TOKEN });
    server = createServer(nodeHandler((req) => runtime.api.handleApi(req)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    // The files the commands name.
    const march = marchRows();
    await mkdir(join(work, 'march'), { recursive: true });
    await mkdir(join(work, 'april'), { recursive: true });
    await writeFile(join(work, 'march/cars.csv'), csv(march));
    await writeFile(join(work, 'april/cars.csv'), csv(march.map((x) => ({ ...x, hp: x.hp + 90, origin: 'Mars' }))));

    // Model "cars" in production, trained on March's data, served by endpoint "cars".
    const project = await ensureProject(runtime.db.db, 'registry-test');
    const bytes = new TextEncoder().encode(csv(march));
    await runtime.store.put('datasets/march.csv', bytes);
    const s = summarizeDataset('cars.csv', 'csv', bytes.slice());
    const ds = await insertDatasetVersion(runtime.db.db, { projectId: project.id, name: 'cars.csv', hash: 'f'.repeat(64), format: 'csv', bytes: bytes.length, rows: s.rows, schema: s.schema, stats: s.stats, sketch: s.sketch, dataSchema: s.dataSchema, storageKey: 'datasets/march.csv' });
    const runId = await seedRun(runtime.db.db, runtime.store, { datasets: { cars: ds.id } });
    await registerVersion(runtime.db.db, runtime.store, { modelName: 'cars', runId, actor: 'test' });
    await moveAlias(runtime.db.db, runtime.store, { modelName: 'cars', alias: 'production', version: 1, actor: 'test' });
    await createOrBindEndpoint(runtime.db.db, { name: 'cars', modelName: 'cars', target: { alias: 'production' } });
  }, 120_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await runtime?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function kilnIn(cwd: string, args: string[]) {
    const child = spawn(process.execPath, [KILN, ...args], { cwd, env: { ...process.env, KILN_TOKEN: TEST_OWNER_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('runs every kiln command in order; the outputs show what the doc shows', async () => {
    const doc = await readFile(DOC, 'utf8');
    const all = blocks(doc);
    const exported = JSON.parse(all.find((b) => b.lang === 'json')!.body) as { properties: Record<string, Record<string, unknown>> };
    const ran: { args: string[]; out: string }[] = [];
    for (const b of all) {
      if (b.lang === 'text') {
        expectLines(b.body, ran[ran.length - 1]!.out);
        continue;
      }
      if (b.lang !== 'sh') continue;
      for (const line of b.body.split('\n').filter((l) => l.startsWith('kiln '))) {
        const args = line.replace(DOC_SERVER, base).split(/\s+/).slice(1);
        if (args[0] === 'schema' && args[1] === 'set') {
          // The person's edit: the doc's example properties over the exported ones.
          const file = join(work, 'schema.json');
          const js = JSON.parse(await readFile(file, 'utf8')) as { properties: Record<string, Record<string, unknown>> };
          for (const [name, p] of Object.entries(exported.properties)) Object.assign(js.properties[name]!, { minimum: p.minimum, maximum: p.maximum, enum: p.enum });
          for (const p of Object.values(js.properties)) for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
          await writeFile(file, JSON.stringify(js, null, 2));
        }
        const r = await kilnIn(work, args);
        expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
        ran.push({ args, out: r.stderr + r.stdout }); // progress (stderr) comes before the result line
      }
    }
    const cmd = (pred: (a: string[]) => boolean) => ran.filter((r) => pred(r.args));
    expect(ran.length).toBe(9);
    expect((await stat(join(work, 'cars.graph.json'))).isFile()).toBe(true);
    // The export after `schema set` names the saved version; the edit took.
    const exportJson = JSON.parse(cmd((a) => a[0] === 'schema' && a.includes('--json'))[0]!.out.split('\n')[0]!) as { source: unknown; jsonSchema: { properties: { hp: { maximum: number } } } };
    expect(exportJson.source).toEqual({ kind: 'schema', version: 1 });
    expect(exportJson.jsonSchema.properties.hp.maximum).toBe(400);
    const [saved] = await runtime.db.db.select().from(datasetSchemas);
    expect(saved).toMatchObject({ datasetName: 'cars.csv', version: 1 });
    // `kiln endpoint monitoring` set, then cleared, the endpoint's rejected codes.
    const mon = cmd((a) => a[0] === 'endpoint');
    expect(mon[0]!.out).toContain('rejects OUT_OF_RANGE, UNKNOWN_CATEGORY');
    expect(mon[1]!.out).toContain('rejects no anomalies');
    expect((await runtime.db.db.select({ r: endpoints.rejectAnomalies }).from(endpoints).where(eq(endpoints.name, 'cars')))[0]!.r).toEqual([]);
  }, 300_000);

  it('the exported-schema example reads back; the 400 example is what serving answers', async () => {
    const json = blocks(await readFile(DOC, 'utf8')).filter((b) => b.lang === 'json');
    const schema = fromJsonSchema(JSON.parse(json[0]!.body));
    expect(schema.columns.find((c) => c.name === 'hp')).toMatchObject({ min: 0, max: 400 });
    expect(readSchemaDocument(JSON.parse(json[0]!.body))).toEqual(schema);

    const check = createRecordChecker({ version: 1, columns: [{ name: 'weight', type: 'numeric', required: true, nullable: false, maxMissingRate: 0, min: 1600, max: 5200 }] });
    let thrown: unknown;
    try {
      rejectAnomalies([{ weight: 3500 }, { weight: 9000 }], check, new Set(['OUT_OF_RANGE']), 'cars');
    } catch (e) {
      thrown = e;
    }
    const a = errorAnswer(thrown);
    expect(a.status).toBe(400);
    expect({ ...a.extra, error: a.message, code: a.code }).toEqual(JSON.parse(json[1]!.body));
  });
});
