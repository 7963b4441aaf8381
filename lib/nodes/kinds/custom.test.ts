import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { applySteps } from '../../package/predictor';
import type { RunCustom } from '../types';
import { columnsOf, makeCtx, makeFrame, makeTable, runKind } from './test-utils';
import { custom, runCustomInline, tableToRecords } from './custom';
import { customNodeDefSchema, customNodeParams } from '../custom-def';
import { preservesRows } from '../graph-queries';

const DOUBLE = '(rows, config) => rows.map((r) => ({ ...r, x2: r.x * config.k }))';

function frame(split?: number[]) {
  return makeFrame(
    { x: [1, 2, NaN, 4], code: ['1', '2', '3', null], flag: { type: 'boolean', values: [1, 0, 1, NaN] }, y: [10, 20, 30, 40] },
    { target: 'y', ...(split ? { split } : {}) },
  );
}

const params = (code: string, config: Record<string, number | string | boolean> = { k: 2 }) => ({ name: 'doubler', label: 'Doubler', code, config });

function ctx(runCustom: RunCustom = runCustomInline) {
  return makeCtx('c1', { runCustom });
}

async function fail(code: string, f = frame(), runCustom?: RunCustom): Promise<KilnError> {
  const e = await runKind(custom, f, params(code), ctx(runCustom)).catch((x: unknown) => x);
  if (!(e instanceof KilnError)) throw new Error(`expected KilnError, got ${String(e)}`);
  return e;
}

describe('custom node kind', () => {
  it('hands the function plain records (missing = null, booleans, dates as ISO) with its config', () => {
    const t = makeTable({ d: { type: 'date', values: [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 2, 5, 6)] }, b: { type: 'boolean', values: [1, NaN] } });
    expect(tableToRecords(makeTable(JSON.parse('{"__proto__": [1]}') as Record<string, number[]>))[0]).toEqual(JSON.parse('{"__proto__": 1}'));
    expect(tableToRecords(t)).toEqual([
      { d: '2024-01-02', b: true },
      { d: '2024-01-02T05:06:00.000Z', b: null },
    ]);
  });

  it('transforms the table, keeps column types, target, split, schema, and records a step', async () => {
    const f = frame([0, 1, 0, 1]);
    const out = await runKind(custom, f, params(DOUBLE), ctx());
    expect(columnsOf(out.table)).toEqual({ x: [1, 2, NaN, 4], code: ['1', '2', '3', null], flag: [1, 0, 1, NaN], y: [10, 20, 30, 40], x2: [2, 4, 0, 8] }); // null * 2 is 0 in JS
    // "1","2","3" stays categorical: the input said so; the new column is inferred
    expect(out.table.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'boolean', 'numeric', 'numeric']);
    expect(out.target).toBe('y');
    expect(Array.from(out.split!)).toEqual([0, 1, 0, 1]);
    expect(out.inputSchema).toEqual(f.inputSchema);
    expect(out.steps).toEqual([{ kind: 'custom', nodeId: 'c1', state: { nodeId: 'c1', name: 'doubler', label: 'Doubler' } }]);
  });

  it('may filter rows when there is no split, and re-infers a column whose values changed type', async () => {
    const c = ctx();
    const out = await runKind(custom, frame(), params('(rows) => rows.filter((r) => r.x !== null).map((r) => ({ ...r, x: "v" + r.x }))'), c);
    expect(columnsOf(out.table).x).toEqual(['v1', 'v2', 'v4']);
    expect(out.table.columns[0]!.type).toBe('categorical');
    expect(c.logs.map((l) => l.message)).toContain('3 of 4 rows out');
  });

  it('accepts async functions and function declarations', async () => {
    const a = await runKind(custom, frame(), params('async function keep(rows) { await null; return rows; }'), ctx());
    expect(a.table.nRows).toBe(4);
  });

  it('fails naming the node when the environment cannot run custom code', async () => {
    const e = (await runKind(custom, frame(), params(DOUBLE), makeCtx('c1')).catch((x: unknown) => x)) as KilnError;
    expect(e.message).toBe('custom node "c1" (doubler): this environment cannot run custom code');
    expect(e.where.nodeId).toBe('c1');
  });

  it.each([
    ['a syntax error', '(rows) => {{', /^custom node "c1" \(doubler\): SyntaxError: /],
    ['a throw', '(rows) => { throw new Error("no way") }', /^custom node "c1" \(doubler\): Error: no way$/],
    ['a non-array', '(rows) => ({ rows })', /^custom node "c1" \(doubler\): the function must return an array of records, got an object$/],
    ['nothing', '(rows) => { rows.length }', /got undefined \(did the function forget to return\?\)/],
    ['no rows', '(rows) => []', /the function returned no rows/],
    ['a non-record', '(rows) => [1, 2]', /^custom node "c1" \(doubler\) output record \[0\]: expected an object, got a number$/],
    ['not a function', '42', /the code must be a function/],
    ['a dropped target', '(rows) => rows.map(({ y, ...r }) => r)', /the output has no target column "y"; keep it in every record/],
  ])('fails clearly on %s', async (_what, code, re) => {
    const e = await fail(code);
    expect(e.message).toMatch(re);
    expect(e.where.nodeId).toBe('c1');
  });

  it('refuses a row count change after a split', async () => {
    const e = await fail('(rows) => rows.slice(1)', frame([0, 1, 0, 1]));
    expect(e.code).toBe('CUSTOM_ROWS');
    expect(e.message).toBe(
      'custom node "c1" (doubler): the function returned 3 rows for 4; after a train/test split it must keep every row, in order (filter before the split)',
    );
  });

  it('passes a runner failure through as one line naming the node', async () => {
    const e = await fail(DOUBLE, frame(), () => Promise.reject(new Error('exceeded the time limit (10 s)\nstack')));
    expect(e.message).toBe('custom node "c1" (doubler): exceeded the time limit (10 s)');
  });

  it('cannot be replayed by serving: the step fails naming the node', async () => {
    const out = await runKind(custom, frame(), params(DOUBLE), ctx());
    expect(() => applySteps(JSON.parse(JSON.stringify(out.steps)), frame().table)).toThrow(
      /custom node "c1" \(doubler\): serving never runs custom code/,
    );
  });

  it('stops on abort while the code awaits', async () => {
    const ac = new AbortController();
    const p = runCustomInline({ code: '() => new Promise(() => {})', rows: [], config: {}, nodeId: 'c1', signal: ac.signal });
    ac.abort(new KilnError('CANCELLED', 'run cancelled'));
    await expect(p).rejects.toThrow('run cancelled');
  });

  it('rejects bad params in the schema', () => {
    expect(custom.params.safeParse({ name: 'Bad Name', label: 'x', code: 'x' }).success).toBe(false);
    expect(custom.params.safeParse({ name: 'ok', label: 'x', code: '' }).success).toBe(false);
    expect(custom.params.parse({ name: 'ok', label: 'x', code: '(r) => r' }).config).toEqual({});
  });

  it('a definition declares whether it keeps every row, like a built-in kind; the run holds it to that', async () => {
    const def = customNodeDefSchema.parse({ name: 'dropper', label: 'Dropper', code: '(rows) => rows.slice(1)' });
    expect(customNodeParams(def)).not.toHaveProperty('preservesRows'); // nodes made before the field keep their hash
    const keeping = customNodeParams({ ...def, preservesRows: true });
    expect(preservesRows({ id: 'n', kind: 'custom', params: customNodeParams(def) })).toBe(false);
    expect(preservesRows({ id: 'n', kind: 'custom', params: keeping })).toBe(true);
    // no split, so only the declaration forbids dropping a row
    const e = await runKind(custom, frame(), keeping, ctx()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KilnError);
    expect((e as KilnError).code).toBe('CUSTOM_ROWS');
    expect((e as KilnError).message).toContain('declares that it keeps every row');
    expect((await runKind(custom, frame(), { ...keeping, preservesRows: undefined }, ctx())).table.nRows).toBe(3);
  });
});
