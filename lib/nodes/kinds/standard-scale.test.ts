import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { standardScale } from './standard-scale';

const kinds = { standard_scale: standardScale };

// row 4 is a test row with an extreme value: it must not move the fitted mean or std
function frame() {
  return makeFrame(
    { a: [1, 2, 3, 4, 1e9], b: [5, 5, 5, 5, 7], c: ['p', 'q', 'p', 'q', 'p'], y: [1, 2, 3, 4, 5] },
    { target: 'y', split: [0, 0, 0, 0, 1] },
  );
}

describe('standard_scale', () => {
  it('uses the training mean and population std; constant columns keep scale 1', async () => {
    const out = await runKind(standardScale, frame(), {});
    const std = Math.sqrt(1.25);
    expect(out.steps[0]!.state).toEqual({
      columns: [
        { column: 'a', mean: 2.5, scale: std },
        { column: 'b', mean: 5, scale: 1 },
      ],
      reads: ['a', 'b'],
    });
    const cols = columnsOf(out.table);
    expect(cols.a).toEqual([-1.5 / std, -0.5 / std, 0.5 / std, 1.5 / std, (1e9 - 2.5) / std]);
    expect(cols.b).toEqual([0, 0, 0, 0, 2]);
    expect(cols.y).toEqual([1, 2, 3, 4, 5]); // the target is not a feature
    expect(cols.c).toEqual(['p', 'q', 'p', 'q', 'p']);
  });

  it('ignores NaN when fitting and keeps it', async () => {
    const out = await runKind(standardScale, makeFrame({ a: [0, NaN, 2] }), {});
    expect(columnsOf(out.table).a).toEqual([-1, NaN, 1]);
  });

  it('withMean / withStd switches', async () => {
    const noMean = await runKind(standardScale, frame(), { columns: ['a'], withMean: false });
    expect(columnsOf(noMean.table).a![0]).toBe(1 / Math.sqrt(1.25));
    const noStd = await runKind(standardScale, frame(), { columns: ['a'], withStd: false });
    expect(columnsOf(noStd.table).a!.slice(0, 4)).toEqual([-1.5, -0.5, 0.5, 1.5]);
  });

  it('apply reproduces run exactly', async () => {
    const f = frame();
    const out = await runKind(standardScale, f, {});
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    expect(columnsOf(replaySteps(out, makeTable({ a: [2.5], b: [6] }), kinds))).toEqual({ a: [0], b: [1] });
  });

  it('errors name node, param and column', async () => {
    const e1 = await runKind(standardScale, frame(), { columns: ['c'] }).catch((x: unknown) => x);
    expect((e1 as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'c' });
    const e2 = await runKind(standardScale, makeFrame({ a: [NaN, 1] }, { split: [0, 1] }), {}).catch((x: unknown) => x);
    expect((e2 as KilnError).message).toBe(
      'node "n1" param "columns": column "a" has no values in the training rows; impute or drop it first',
    );
    const out = await runKind(standardScale, frame(), {});
    expect(() => replaySteps(out, makeTable({ a: [1], b: ['x'] }), kinds)).toThrow('column "b" is categorical');
  });
});
