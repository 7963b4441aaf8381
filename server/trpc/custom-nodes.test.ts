/** The customNodes router through a server-side caller, on PGlite and on PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../db/testing';
import { codeSyntaxError } from './custom-nodes';
import { openTestCaller, rejectionOf } from './test-utils';

const messageOf = async (p: Promise<unknown>): Promise<string> => (await rejectionOf(p)).message;

const def = (over: Record<string, unknown> = {}) => ({ name: 'clip', label: 'Clip', code: '(rows, config) => rows.map((r) => ({ ...r, x: Math.min(r.x, config.max) }))', config: { max: 10 }, ...over });

describe('codeSyntaxError', () => {
  it('accepts function expressions and declarations, reports the line otherwise, and never runs the code', () => {
    expect(codeSyntaxError('(rows) => rows')).toBeNull();
    expect(codeSyntaxError('async function f(rows) { return rows }')).toBeNull();
    expect(codeSyntaxError('(rows) => {\n  rows +\n}')).toMatch(/\(line 3\)$/);
    expect(codeSyntaxError('(process.exit(3), (rows) => rows)')).toBeNull(); // compiled, not run: we are still here
  });
});

describe.each(DB_KINDS)('customNodes router on %s', (kind) => {
  let kdb: Awaited<ReturnType<typeof openTestCaller>>['kdb'];
  let api: Awaited<ReturnType<typeof openTestCaller>>['api'];

  beforeAll(async () => {
    ({ kdb, api } = await openTestCaller(kind, { poolMax: 4 }));
  }, 60_000);
  afterAll(async () => {
    await kdb?.dispose();
  });

  it('answers not found for an unknown project', async () => {
    expect((await rejectionOf(api.customNodes.list({ projectName: 'nobody-here' }))).code).toBe('NOT_FOUND');
  });

  it('defines (upserts), lists by name per project, and removes', async () => {
    const a = await api.customNodes.define({ projectName: 'p1', def: def() });
    expect(a).toMatchObject({ name: 'clip', label: 'Clip', description: '', config: { max: 10 } });
    expect(new Date(a.updatedAt).getTime()).toBeGreaterThan(0);
    await api.customNodes.define({ projectName: 'p1', def: def({ name: 'add_one', label: 'Add one', code: '(rows) => rows' }) });
    await api.customNodes.define({ projectName: 'p1', def: def({ label: 'Clip v2', description: 'caps x' }) });
    await api.customNodes.define({ projectName: 'p2', def: def({ label: 'Other project' }) });

    const list = await api.customNodes.list({ projectName: 'p1' });
    expect(list.map((d) => [d.name, d.label])).toEqual([
      ['add_one', 'Add one'],
      ['clip', 'Clip v2'],
    ]);
    expect(list[1]!.description).toBe('caps x');
    expect((await api.customNodes.list({ projectName: 'p2' })).map((d) => d.label)).toEqual(['Other project']);

    expect(await api.customNodes.remove({ projectName: 'p1', name: 'clip' })).toEqual({ removed: true });
    expect(await api.customNodes.remove({ projectName: 'p1', name: 'clip' })).toEqual({ removed: false });
    expect((await api.customNodes.list({ projectName: 'p1' })).map((d) => d.name)).toEqual(['add_one']);
    expect((await api.customNodes.list({ projectName: 'p2' })).map((d) => d.name)).toEqual(['clip']);
  });

  it('refuses bad definitions in one line naming the field or the line', async () => {
    expect(await messageOf(api.customNodes.define({ projectName: 'p3', def: def({ name: 'Bad Name' }) }))).toMatch(/^custom node: def\.name: a custom node name is a lowercase letter/);
    expect(await messageOf(api.customNodes.define({ projectName: 'p3', def: def({ code: '' }) }))).toMatch(/^custom node: def\.code: /);
    expect(await messageOf(api.customNodes.define({ projectName: 'p3', def: def({ config: { nested: { a: 1 } } }) }))).toMatch(/^custom node: def\.config\.nested: /);
    expect(await messageOf(api.customNodes.define({ projectName: 'p3', def: def({ code: '(rows) => {\n  return rows +\n}' }) }))).toMatch(
      /^custom node "clip": the code does not parse as a function: .* \(line 3\)$/,
    );
    expect(await api.customNodes.list({ projectName: 'p3' })).toEqual([]);
  });
});
