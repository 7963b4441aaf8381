import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { impute } from './impute';

const kinds = { impute };

// the last row is a test row with an extreme value: it must not move any fitted statistic
function frame() {
  return makeFrame(
    {
      x: [1, 2, NaN, 4, 1000],
      z: [5, 5, 7, NaN, NaN],
      c: ['b', null, 'a', 'b', 'zzz'],
      y: [0, 1, 0, 1, 0],
    },
    { target: 'y', split: [0, 0, 0, 0, 1] },
  );
}

describe('impute', () => {
  it('mean: fills numeric columns with the training mean only', async () => {
    const out = await runKind(impute, frame(), { strategy: 'mean' });
    expect(columnsOf(out.table)).toEqual({
      x: [1, 2, 7 / 3, 4, 1000],
      z: [5, 5, 7, 17 / 3, 17 / 3],
      c: ['b', null, 'a', 'b', 'zzz'], // categorical untouched by mean
      y: [0, 1, 0, 1, 0],
    });
    expect(out.steps[0]!.state).toEqual({
      strategy: 'mean',
      fills: [
        { column: 'x', value: 7 / 3 },
        { column: 'z', value: 17 / 3 },
      ],
      reads: ['x', 'z'],
    });
  });

  it('median: numpy-style middle of the training values', async () => {
    const out = await runKind(impute, frame(), { strategy: 'median', columns: ['x'] });
    expect(columnsOf(out.table).x).toEqual([1, 2, 2, 4, 1000]);
    const odd = await runKind(impute, makeFrame({ v: [3, NaN, 1, 2] }), { strategy: 'median' });
    expect(columnsOf(odd.table).v).toEqual([3, 2, 1, 2]);
  });

  it('most_frequent: numeric and categorical, ties to the smallest value', async () => {
    const out = await runKind(impute, frame(), { strategy: 'most_frequent' });
    const cols = columnsOf(out.table);
    expect(cols.x).toEqual([1, 2, 1, 4, 1000]); // 1, 2, 4 tie → 1
    expect(cols.z).toEqual([5, 5, 7, 5, 5]);
    expect(cols.c).toEqual(['b', 'b', 'a', 'b', 'zzz']);
    expect(cols.y).toEqual([0, 1, 0, 1, 0]); // target untouched
    const tie = await runKind(impute, makeFrame({ c: ['q', 'p', null] }), { strategy: 'most_frequent' });
    expect(columnsOf(tie.table).c).toEqual(['q', 'p', 'p']);
  });

  it('constant: fillValue or per-type defaults', async () => {
    const out = await runKind(impute, frame(), { strategy: 'constant' });
    expect(columnsOf(out.table).x).toEqual([1, 2, 0, 4, 1000]);
    expect(columnsOf(out.table).c).toEqual(['b', 'missing', 'a', 'b', 'zzz']);
    const v = await runKind(impute, frame(), { strategy: 'constant', fillValue: '-1', columns: ['x', 'c'] });
    expect(columnsOf(v.table).x).toEqual([1, 2, -1, 4, 1000]);
    expect(columnsOf(v.table).c).toEqual(['b', '-1', 'a', 'b', 'zzz']);
    expect(columnsOf(v.table).z).toEqual([5, 5, 7, NaN, NaN]);
  });

  it('apply reproduces run on a raw table, after a JSON round trip of the state', async () => {
    for (const strategy of ['mean', 'median', 'most_frequent', 'constant']) {
      const f = frame();
      const out = await runKind(impute, f, { strategy });
      const replayed = replaySteps(out, f.table, kinds);
      expect(columnsOf(replayed)).toEqual(columnsOf(out.table));
    }
    const served = replaySteps(
      await runKind(impute, frame(), { strategy: 'most_frequent' }),
      makeTable({ x: [NaN], z: [NaN], c: [null] }),
      kinds,
    );
    expect(columnsOf(served)).toEqual({ x: [1], z: [5], c: ['b'] });
  });

  it('fails on a categorical column for mean, naming it', async () => {
    const e = await runKind(impute, frame(), { strategy: 'mean', columns: ['c'] }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('COLUMN_TYPE');
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'c' });
  });

  it('fails on a column with no training values', async () => {
    const f = makeFrame({ x: [NaN, NaN, 3] }, { split: [0, 0, 1] });
    const e = await runKind(impute, f, { strategy: 'median' }).catch((x: unknown) => x);
    expect((e as KilnError).message).toBe(
      'node "n1" param "strategy": column "x" has no values in the training rows, so median is undefined; use strategy "constant"',
    );
  });

  it('fails on a non-numeric fillValue for a numeric column', async () => {
    const e = await runKind(impute, frame(), { strategy: 'constant', fillValue: 'abc', columns: ['x'] }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'fillValue', column: 'x' });
  });

  it('refuses to impute the target and fails at serving on a missing column', async () => {
    const e = await runKind(impute, frame(), { strategy: 'mean', columns: ['y'] }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('TARGET_COLUMN');
    const out = await runKind(impute, frame(), { strategy: 'mean' });
    expect(() => replaySteps(out, makeTable({ x: [1] }), kinds)).toThrow('column "z" is missing (needed by the fitted impute step)');
  });
});
