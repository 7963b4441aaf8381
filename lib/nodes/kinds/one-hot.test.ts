import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { oneHot } from './one-hot';

const kinds = { one_hot: oneHot };

// row 4 is a test row whose category 'teal' never appears in training
function frame() {
  return makeFrame(
    { color: ['red', 'blue', null, 'red', 'teal'], n: [1, 2, 3, 2, 9], y: ['a', 'b', 'a', 'b', 'a'] },
    { target: 'y', split: [0, 0, 0, 0, 1] },
  );
}

describe('one_hot', () => {
  it('encodes training categories, sorted, in place; missing and unknown give zeros', async () => {
    const out = await runKind(oneHot, frame(), {});
    expect(columnsOf(out.table)).toEqual({
      'color=blue': [0, 1, 0, 0, 0],
      'color=red': [1, 0, 0, 1, 0],
      n: [1, 2, 3, 2, 9],
      y: ['a', 'b', 'a', 'b', 'a'],
    });
    expect(out.steps[0]!.state).toEqual({
      columns: [{ column: 'color', numeric: false, categories: ['blue', 'red'] }],
      handleUnknown: 'ignore',
      dropOriginal: true,
      reads: ['color'],
    });
  });

  it('encodes named numeric columns and can keep the original', async () => {
    const out = await runKind(oneHot, frame(), { columns: ['n'], dropOriginal: false });
    expect(out.table.columns.map((c) => c.name)).toEqual(['color', 'n', 'n=1', 'n=2', 'n=3', 'y']);
    expect(columnsOf(out.table)['n=2']).toEqual([0, 1, 0, 1, 0]);
    expect(columnsOf(out.table)['n=3']).toEqual([0, 0, 1, 0, 0]);
  });

  it('apply reproduces run and handles unknowns at serving', async () => {
    const f = frame();
    const out = await runKind(oneHot, f, { columns: ['color', 'n'] });
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    const served = replaySteps(out, makeTable({ color: ['blue', 'purple'], n: [3, 4] }), kinds);
    expect(columnsOf(served)).toEqual({
      'color=blue': [1, 0],
      'color=red': [0, 0],
      'n=1': [0, 0],
      'n=2': [0, 0],
      'n=3': [1, 0],
    });
  });

  it('handleUnknown "error": fails on an unseen category naming column, value and row', async () => {
    const e = await runKind(oneHot, frame(), { handleUnknown: 'error' }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('UNKNOWN_CATEGORY');
    expect((e as KilnError).message).toBe(
      'node "n1" param "handleUnknown": column "color" has category "teal" at row 5, which was not seen in training',
    );
    const f = frame();
    f.split = undefined;
    const out = await runKind(oneHot, f, { handleUnknown: 'error' });
    expect(() => replaySteps(out, makeTable({ color: ['blue', 'mauve'] }), kinds)).toThrow(
      'column "color" has category "mauve" at row 2, which was not seen in training',
    );
    // missing is not unknown: it encodes as zeros even in error mode
    expect(columnsOf(replaySteps(out, makeTable({ color: [null] }), kinds))['color=red']).toEqual([0]);
  });

  it('fails when a column has too many categories', async () => {
    const e = await runKind(oneHot, frame(), { maxCategories: 1 }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'maxCategories', column: 'color' });
    expect((e as KilnError).message).toContain('column "color" has 2 categories in the training rows, more than 1');
  });

  it('fails when an output name clashes with an existing column', async () => {
    const f = makeFrame({ c: ['x', 'y'], 'c=x': [1, 2] });
    const e = await runKind(oneHot, f, { columns: ['c'] }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('DUPLICATE_COLUMN');
    expect((e as KilnError).message).toContain('output column "c=x" already exists');
  });

  it('fails on unknown columns and rejects the target', async () => {
    const e1 = await runKind(oneHot, frame(), { columns: ['nope'] }).catch((x: unknown) => x);
    expect((e1 as KilnError).where.column).toBe('nope');
    const e2 = await runKind(oneHot, frame(), { columns: ['y'] }).catch((x: unknown) => x);
    expect((e2 as KilnError).code).toBe('TARGET_COLUMN');
  });
});
