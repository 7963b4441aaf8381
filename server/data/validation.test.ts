/**
 * Data validation on the upload path, over a real socket and a fresh PostgreSQL database: a stored
 * version keeps its sketches (equal to the merge of sketches of its parts) and inferred schema; a
 * new version of the name answers its anomalies against the previous version's schema; the
 * schema exports as JSON Schema, an edited copy is saved as a schema version (bad ones refused
 * naming the column and field), and the next upload is checked against it.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTable } from '../../lib/data/infer';
import { createRng } from '../../lib/rng';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { sketchTable, tableSketchFromJson, tableSketchToJson, type TableSketch } from '../../lib/sketch/table-sketch';
import { bootstrapOwner } from '../auth/bootstrap';
import { loadConfig } from '../config';
import { datasets } from '../db/schema';
import { createTestDatabase, type TestDatabase } from '../db/testing';
import { nodeHandler } from '../http/node-adapter';
import { openApiRuntime, type ApiRuntime } from '../http/runtime';
import { TEST_OWNER_TOKEN } from '../runner/harness';
import { SKETCH_PART_ROWS, sketchInParts, summarizeDataset } from './dataset-summary';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const ORIGINS = ['USA', 'Europe', 'Japan'];

function carsCsv(n: number, seed: number, o: { hpShift?: number; origin?: string; extra?: boolean } = {}): string {
  const r = createRng(seed);
  const lines = [`hp,weight,origin,mpg${o.extra ? ',color' : ''}`];
  for (let i = 0; i < n; i++) {
    const hp = Math.round(60 + r() * 160) + (o.hpShift ?? 0);
    // Few distinct weights and targets: every sample reaches the same range, so only what a test shifts is out of it.
    const weight = 2000 + 100 * Math.floor(r() * 26);
    const origin = o.origin ?? ORIGINS[Math.floor(r() * 3)]!;
    const mpg = 10 + Math.floor(r() * 30);
    lines.push(`${hp},${weight},${origin},${mpg}${o.extra ? ',red' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Everything but each numeric column's running mean and m2 must be identical; those within 1e-12 relative. */
function expectSameSketch(a: TableSketch, b: TableSketch): void {
  const strip = (t: TableSketch) => JSON.stringify(tableSketchToJson(t), (k, v: unknown) => (k === 'mean' || k === 'm2' ? undefined : v));
  expect(strip(a)).toBe(strip(b));
  for (const [i, c] of a.columns.entries()) {
    if (!c.numeric) continue;
    const w = b.columns[i]!.numeric as NumericSketch;
    expect(Math.abs(c.numeric.mean - w.mean)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w.mean)));
    expect(Math.abs(c.numeric.variance - w.variance)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w.variance)));
  }
}

describe('sketches on the upload path', () => {
  it('sketches merged over parts equal the sketch of the whole (numeric, categorical, missing)', () => {
    const r = createRng(11);
    const lines = ['x,c,d'];
    for (let i = 0; i < 2500; i++) lines.push(`${r() < 0.05 ? '' : (r() * 1000).toFixed(3)},${r() < 0.02 ? '' : `k${Math.floor(r() * 40)}`},${Math.floor(r() * 5)}`);
    const table = parseTable({ name: 'p.csv', text: lines.join('\n'), format: 'csv' });
    const whole = sketchTable(table);
    for (const part of [13, 333, 2499, 2500, 10_000]) expectSameSketch(sketchInParts(table, part), whole);
    // One row a part (each merge copies the running sketch, so on fewer rows).
    const small = parseTable({ name: 'p.csv', text: lines.slice(0, 301).join('\n'), format: 'csv' });
    expectSameSketch(sketchInParts(small, 1), sketchTable(small));
    expect(() => sketchInParts(table, 0)).toThrow(/at least 1 row/);
  });

  it('the upload summary stores the parts-merged sketch and the schema inferred from it', () => {
    // Over one part's worth of rows, so the stored sketch really is a merge.
    const csv = carsCsv(SKETCH_PART_ROWS + 1234, 3);
    const s = summarizeDataset('cars.csv', 'csv', new TextEncoder().encode(csv));
    const whole = sketchTable(parseTable({ name: 'cars.csv', text: csv, format: 'csv' }));
    expectSameSketch(tableSketchFromJson(s.sketch), whole);
    const hp = s.dataSchema.columns.find((c) => c.name === 'hp')!;
    expect(hp).toMatchObject({ type: 'numeric', required: true, nullable: false, min: whole.columns[0]!.numeric!.min, max: whole.columns[0]!.numeric!.max });
    expect(s.dataSchema.columns.find((c) => c.name === 'origin')!.categories).toEqual(['Europe', 'Japan', 'USA']);
  });
});

describe('data validation of uploads (PostgreSQL)', () => {
  let pg: TestDatabase;
  let runtime: ApiRuntime;
  let server: Server;
  let base: string;
  let dataDir: string;
  const owner = { authorization: `Bearer ${TEST_OWNER_TOKEN}` };

  const upload = async (name: string, csv: string) => {
    const r = await fetch(`${base}/api/datasets?project=dv&name=${encodeURIComponent(name)}&format=csv`, { method: 'PUT', headers: owner, body: csv });
    return { status: r.status, body: (await r.json()) as Json };
  };
  const trpcQuery = async (proc: string, input: unknown) => {
    const r = await fetch(`${base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: owner });
    return (await r.json()) as { result?: { data: Json }; error?: { message: string; data: Json } };
  };
  const trpcMutate = async (proc: string, input: unknown) => {
    const r = await fetch(`${base}/api/trpc/${proc}`, { method: 'POST', headers: { 'content-type': 'application/json', ...owner }, body: JSON.stringify(input) });
    return (await r.json()) as { result?: { data: Json }; error?: { message: string; data: Json } };
  };

  beforeAll(async () => {
    pg = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'kiln-validation-'));
    runtime = await openApiRuntime({ dataDir, databaseUrl: pg.url, config: loadConfig({}), reapIntervalMs: 0, log: () => undefined });
    await bootstrapOwner(runtime.db.db, { bootstrapToken: TEST_OWNER_TOKEN });
    server = createServer(nodeHandler((req) => runtime.api.handleApi(req)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await runtime?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores sketches and a schema with the first version, which has nothing to be checked against', async () => {
    const csv = carsCsv(400, 1);
    const v1 = await upload('cars.csv', csv);
    expect(v1.status).toBe(200);
    expect(v1.body.anomalies).toEqual([]);
    expect(v1.body.validatedAgainst).toBeNull();
    const [row] = await runtime.db.db.select().from(datasets).where(eq(datasets.id, v1.body.id));
    expectSameSketch(tableSketchFromJson(row!.sketch), sketchTable(parseTable({ name: 'cars.csv', text: csv, format: 'csv' })));
    expect((row!.dataSchema as Json).columns.map((c: Json) => c.name)).toEqual(['hp', 'weight', 'origin', 'mpg']);
  });

  it('checks a new version against the previous version: each anomaly names column, constraint and observed value', async () => {
    const v2 = await upload('cars.csv', carsCsv(300, 2, { hpShift: 100, origin: 'Mars', extra: true }));
    expect(v2.status).toBe(200);
    expect(v2.body.validatedAgainst).toMatchObject({ kind: 'dataset' });
    const byKey = new Map((v2.body.anomalies as Json[]).map((a) => [`${a.code}:${a.column}`, a]));
    expect(byKey.get('OUT_OF_RANGE:hp')).toMatchObject({ constraint: expect.stringMatching(/^range \[60, 220\]$/), observed: expect.stringMatching(/^max 3\d\d/) });
    expect(byKey.get('UNKNOWN_CATEGORY:origin')).toMatchObject({ constraint: 'domain of 3 categories', observed: '"Mars" (300)' });
    expect(byKey.get('SCHEMA_NEW_COLUMN:color')).toMatchObject({ observed: 'a categorical column with 300 values' });
    expect(byKey.get('DRIFT:hp')).toBeDefined();
    expect(byKey.get('DRIFT:origin')).toBeDefined();
    // weight and mpg come from the same generator: no anomaly names them.
    expect([...byKey.keys()].filter((k) => k.endsWith(':weight') || k.endsWith(':mpg'))).toEqual([]);
    for (const a of v2.body.anomalies as Json[]) expect(a.message).toBe(`${a.code} column "${a.column}": expected ${a.constraint}, observed ${a.observed}`);
    // The studio lists them with the version.
    const list = await trpcQuery('datasets.list', { projectName: 'dv', name: 'cars.csv' });
    expect(list.result!.data[0].anomalies).toEqual(v2.body.anomalies);
    expect(list.result!.data[0].sketch).toBeUndefined();
  });

  it('exports the schema as JSON Schema; an edited one becomes a schema version that later uploads are checked against', async () => {
    const exported = await trpcQuery('datasets.schema', { projectName: 'dv', name: 'cars.csv' });
    const js = exported.result!.data.jsonSchema as Json;
    expect(exported.result!.data.source.kind).toBe('dataset');
    expect(js.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    // Newest version (v2): hp 160..320, origin only "Mars", with a color column.
    expect(js.properties.hp).toMatchObject({ type: 'number', minimum: expect.any(Number), maximum: expect.any(Number) });
    expect(js.properties.origin.enum).toEqual(['Mars']);

    // Relax hp's range and allow every origin; drop color.
    js.properties.hp.minimum = 0;
    js.properties.hp.maximum = 400;
    js.properties.origin.enum = ['Europe', 'Japan', 'Mars', 'USA'];
    delete js.properties.color;
    js.required = js.required.filter((c: string) => c !== 'color');
    const saved = await trpcMutate('datasets.setSchema', { projectName: 'dv', name: 'cars.csv', schema: js });
    expect(saved.result!.data).toMatchObject({ dataset: 'cars.csv', version: 1, columns: 4 });

    const v3 = await upload('cars.csv', carsCsv(300, 4, { hpShift: 50 }));
    expect(v3.body.validatedAgainst).toMatchObject({ kind: 'schema', version: 1 });
    const codes = (v3.body.anomalies as Json[]).map((a) => `${a.code}:${a.column}`);
    expect(codes.filter((c) => c.startsWith('OUT_OF_RANGE') || c.startsWith('UNKNOWN_CATEGORY') || c.startsWith('SCHEMA_'))).toEqual([]);

    const again = await trpcQuery('datasets.schema', { projectName: 'dv', name: 'cars.csv' });
    expect(again.result!.data.source).toEqual({ kind: 'schema', version: 1 });
    expect(again.result!.data.jsonSchema.properties.hp.maximum).toBe(400);
    expect(again.result!.data.versions.map((v: Json) => v.version)).toEqual([1]);
  });

  it('cuts a long observed category in the stored anomalies', async () => {
    await upload('long.csv', 'c,x\na,1\nb,2\n');
    const long = 'z'.repeat(5000);
    const v2 = await upload('long.csv', `c,x\n${long},1\nb,2\n`);
    const unknown = (v2.body.anomalies as Json[]).find((a) => a.code === 'UNKNOWN_CATEGORY')!;
    expect(unknown.observed).toHaveLength(1000);
    expect(unknown.observed.endsWith('…')).toBe(true);
  });

  it('a version whose validation fails is still stored, and the answer says why', async () => {
    const v1 = await upload('broken.csv', 'a\n1\n2\n');
    await runtime.db.db.update(datasets).set({ sketch: { version: 9 } }).where(eq(datasets.id, v1.body.id));
    const v2 = await upload('broken.csv', 'a\n3\n4\n');
    expect(v2.status).toBe(200);
    expect(v2.body.created).toBe(true);
    expect(v2.body.anomalies).toEqual([]);
    expect(v2.body.validationError).toMatch(/^dataset "broken\.csv" sketch at version: /);
  });

    it('refuses a bad schema naming the column and field, and a schema for a dataset the project lacks', async () => {
    const exported = (await trpcQuery('datasets.schema', { projectName: 'dv', name: 'cars.csv' })).result!.data.jsonSchema as Json;
    const bad = structuredClone(exported);
    bad.properties.hp.minimum = 500;
    const r1 = await trpcMutate('datasets.setSchema', { projectName: 'dv', name: 'cars.csv', schema: bad });
    expect(r1.error!.message).toBe('schema at properties.hp.minimum: 500 is above maximum 400');
    const bad2 = structuredClone(exported);
    bad2.properties.origin.enum = ['USA', 3];
    const r2 = await trpcMutate('datasets.setSchema', { projectName: 'dv', name: 'cars.csv', schema: bad2 });
    expect(r2.error!.message).toBe('schema at properties.origin.enum: expected an array of strings');
    const r3 = await trpcMutate('datasets.setSchema', { projectName: 'dv', name: 'nope.csv', schema: exported });
    expect(r3.error!.message).toBe('project "dv" has no dataset named "nope.csv"');
    expect((await trpcQuery('datasets.schema', { projectName: 'dv', name: 'cars.csv', version: 7 })).error!.message).toBe('dataset "cars.csv" has no saved schema version 7');
  });
});
