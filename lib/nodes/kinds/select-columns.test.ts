import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { makeFrame, makeTable, runKind, columnsOf, replaySteps } from './test-utils';
import { selectColumns } from './select-columns';
import { dropColumns } from './drop-columns';
import { oneHot } from './one-hot';

const kinds = { select_columns: selectColumns, drop_columns: dropColumns, one_hot: oneHot };

function base() {
  return makeFrame({ a: [1, 2], b: [3, 4], color: ['red', 'blue'], y: [0, 1] }, { target: 'y' });
}

describe('select_columns', () => {
  it('keeps the listed columns in order, plus the target, and prunes the input schema', async () => {
    const out = await runKind(selectColumns, base(), { columns: ['b', 'a'] });
    expect(out.table.columns.map((c) => c.name)).toEqual(['b', 'a', 'y']);
    expect(columnsOf(out.table)).toEqual({ b: [3, 4], a: [1, 2], y: [0, 1] });
    expect(out.inputSchema.map((c) => c.name)).toEqual(['a', 'b']);
    expect(out.steps).toEqual([{ kind: 'select_columns', nodeId: 'n1', state: { keep: ['b', 'a', 'y'], reads: [] } }]);
  });

  it('replays at serving time on a raw record without the target', async () => {
    const out = await runKind(selectColumns, base(), { columns: ['color'] });
    const raw = makeTable({ a: [9], color: ['green'], b: [1], extra: [5] });
    expect(columnsOf(replaySteps(out, raw, kinds))).toEqual({ color: ['green'] });
  });

  it('keeps raw columns that an earlier step still reads in the input schema', async () => {
    const encoded = await runKind(oneHot, base(), {});
    const out = await runKind(selectColumns, encoded, { columns: ['color=red', 'a'] });
    expect(out.table.columns.map((c) => c.name)).toEqual(['color=red', 'a', 'y']);
    // b is gone for good; color is still needed to compute color=red at serving time
    expect(out.inputSchema.map((c) => c.name)).toEqual(['a', 'color']);
    const served = replaySteps(out, makeTable({ a: [7], b: [0], color: ['red'] }), kinds);
    expect(columnsOf(served)).toEqual({ 'color=red': [1], a: [7] });
  });

  it('keeps the whole schema after a step that does not declare what it reads', async () => {
    const f = base();
    f.steps.push({ kind: 'custom', nodeId: 'c', state: { anything: 1 } });
    const out = await runKind(selectColumns, f, { columns: ['a'] });
    expect(out.inputSchema.map((c) => c.name)).toEqual(['a', 'b', 'color']);
  });

  it('fails on an unknown column, naming node, param and column', async () => {
    const err = await runKind(selectColumns, base(), { columns: ['a', 'nope'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).message).toContain('node "n1" param "columns": column "nope" does not exist');
    expect((err as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'nope' });
  });

  it('rejects an empty column list', () => {
    expect(selectColumns.params.safeParse({ columns: [] }).success).toBe(false);
  });
});
