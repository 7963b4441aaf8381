/**
 * runs.submit refuses what it can check before queueing (issue 12): a built-in dataset that does
 * not exist, an input named `constructor` given no version (`in` found Object.prototype's), a
 * target or declared column missing from the stored version; and an input named `__proto__`
 * (dropped by zod's record) is an input like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferSchema, parseTable } from '../../lib/data/infer';
import { initGraph } from '../../lib/graph/templates';
import type { Graph } from '../../lib/graph/schema';
import { ensureProject, insertDatasetVersion } from '../db/catalog';
import { runs } from '../db/schema';
import { openTestCaller, rejectionOf } from './test-utils';

const CSV = 'x,z,y\n' + Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${2 * i}`).join('\n') + '\n';
const table = parseTable({ name: 't.csv', text: CSV, format: 'csv' });

function graph(source: { source: 'builtin' | 'input'; name: string }, target = 'y'): Graph {
  return initGraph({ schema: inferSchema(table), target, model: 'linear', source, file: 't.csv' }).graph;
}

let t: Awaited<ReturnType<typeof openTestCaller>>;
let datasetId: string;
const queued = async () => (await t.kdb.db.select().from(runs)).length;

beforeAll(async () => {
  t = await openTestCaller('pglite');
  const p = await ensureProject(t.kdb.db, 'checks');
  const d = await insertDatasetVersion(t.kdb.db, { projectId: p.id, name: 't.csv', hash: 'a'.repeat(64), format: 'csv', bytes: CSV.length, rows: 20, schema: inferSchema(table), stats: {}, storageKey: 'datasets/t.csv' });
  datasetId = d.id;
});
afterAll(async () => {
  await t?.kdb.close();
});

describe('runs.submit checks data before queueing', () => {
  it('refuses a built-in dataset that does not exist, naming node and param', async () => {
    const e = await rejectionOf(t.api.runs.submit({ projectName: 'checks', graph: graph({ source: 'builtin', name: 'carz' }) }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/^node "[^"]+" param "name": unknown built-in dataset "carz" \(try cars/);
    expect(await queued()).toBe(0);
  });

  it('refuses an input named constructor that was given no version', async () => {
    const e = await rejectionOf(t.api.runs.submit({ projectName: 'checks', graph: graph({ source: 'input', name: 'constructor' }), datasets: {} }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/reads input dataset "constructor", but no dataset version was given for it/);
    expect(await queued()).toBe(0);
  });

  it('refuses a target or a declared column that the stored version does not have', async () => {
    const priced = graph({ source: 'input', name: 'data' });
    const node = priced.nodes.find((n) => n.kind === 'dataset')!;
    node.params = { ...node.params, target: 'price' };
    const noTarget = await rejectionOf(t.api.runs.submit({ projectName: 'checks', graph: priced, datasets: { data: datasetId } }));
    expect(noTarget.message).toMatch(/^node "[^"]+" param "target": column "price" is not in dataset "t\.csv" \(columns: "x", "z", "y"\)/);
    const g = graph({ source: 'input', name: 'data' });
    const ds = g.nodes.find((n) => n.kind === 'dataset')!;
    ds.params = { ...ds.params, schema: [{ name: 'x', type: 'numeric' }, { name: 'w', type: 'numeric' }] };
    const noColumn = await rejectionOf(t.api.runs.submit({ projectName: 'checks', graph: g, datasets: { data: datasetId } }));
    expect(noColumn.message).toMatch(/param "schema": column "w" is not in dataset "t\.csv"/);
    expect(await queued()).toBe(0);
  });

  it('queues inputs named constructor and __proto__ like any other', async () => {
    for (const name of ['constructor', '__proto__']) {
      // as a client's JSON arrives: "__proto__" an own key
      const datasets = JSON.parse(`{${JSON.stringify(name)}: ${JSON.stringify(datasetId)}}`) as Record<string, string>;
      const r = await t.api.runs.submit({ projectName: 'checks', graph: graph({ source: 'input', name }), datasets });
      expect(r.status).toBe('queued');
      const [row] = await t.kdb.db.select().from(runs).where((await import('drizzle-orm')).eq(runs.id, r.runId));
      expect(Object.entries(row!.datasets as object)).toEqual([[name, datasetId]]);
    }
  });
});
