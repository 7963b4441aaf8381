import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { makeFrame, makeTable, runKind, columnsOf, replaySteps } from './test-utils';
import { dropColumns } from './drop-columns';

const kinds = { drop_columns: dropColumns };

function base() {
  return makeFrame({ a: [1, 2], b: [3, 4], color: ['red', 'blue'], y: [0, 1] }, { target: 'y' });
}

describe('drop_columns', () => {
  it('drops columns, prunes the schema and replays tolerantly', async () => {
    const out = await runKind(dropColumns, base(), { columns: ['b', 'color'] });
    expect(out.table.columns.map((c) => c.name)).toEqual(['a', 'y']);
    expect(out.inputSchema.map((c) => c.name)).toEqual(['a']);
    // the serving record may omit the dropped columns altogether
    expect(columnsOf(replaySteps(out, makeTable({ a: [5] }), kinds))).toEqual({ a: [5] });
    expect(columnsOf(replaySteps(out, makeTable({ a: [5], b: [1] }), kinds))).toEqual({ a: [5] });
  });

  it('refuses to drop the target', async () => {
    const err = await runKind(dropColumns, base(), { columns: ['y'] }).catch((e: unknown) => e);
    expect((err as KilnError).code).toBe('DROP_TARGET');
    expect((err as KilnError).message).toBe('node "n1" param "columns": column "y" is the target and cannot be dropped');
  });

  it('fails on an unknown column', async () => {
    const err = await runKind(dropColumns, base(), { columns: ['zz'] }).catch((e: unknown) => e);
    expect((err as KilnError).where.column).toBe('zz');
  });
});
