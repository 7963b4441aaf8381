import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeCtx, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { binEdges, binning } from './binning';

const kinds = { binning };

function frame() {
  return makeFrame(
    { v: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, NaN, 1000], y: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1] },
    { target: 'y', split: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
  );
}

describe('binEdges', () => {
  it('matches numpy quantiles and linspace', () => {
    // reference: np.quantile([1,2,3,4,10], [0, 1/3, 2/3, 1])
    const q = binEdges([10, 1, 3, 2, 4], 3, 'quantile');
    expect(q).toHaveLength(4);
    [1, 2.333333333333333, 3.6666666666666665, 10].forEach((x, i) => expect(q[i]).toBeCloseTo(x, 14));
    expect(binEdges([0, 10], 4, 'uniform')).toEqual([0, 2.5, 5, 7.5, 10]);
    // repeated values merge bins; constant columns get one bin
    expect(binEdges([1, 1, 1, 1, 2], 4, 'quantile')).toEqual([1, 2]);
    expect(binEdges([3, 3], 5, 'uniform')).toEqual([3, 3]);
  });
});

describe('binning', () => {
  it('uniform + ordinal, fitted on training rows; outliers go to the outer bins, NaN stays missing', async () => {
    const out = await runKind(binning, frame(), { columns: ['v'], bins: 3, strategy: 'uniform' });
    // edges from the training range [0, 9]: 0, 3, 6, 9
    expect((out.steps[0]!.state as { columns: { edges: number[] }[] }).columns[0]!.edges).toEqual([0, 3, 6, 9]);
    expect(columnsOf(out.table).v).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, NaN, 2]);
  });

  it('quantile + onehot, in place', async () => {
    const out = await runKind(binning, frame(), { columns: ['v'], bins: 2, encode: 'onehot' });
    expect(out.table.columns.map((c) => c.name)).toEqual(['v_bin0', 'v_bin1', 'y']);
    // median of 0..9 = 4.5
    expect(columnsOf(out.table).v_bin0).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(columnsOf(out.table).v_bin1).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1]);
  });

  it('apply reproduces run, for serving values below and above the range', async () => {
    const f = frame();
    for (const encode of ['ordinal', 'onehot']) {
      const out = await runKind(binning, f, { columns: ['v'], bins: 4, encode });
      expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    }
    const out = await runKind(binning, f, { columns: ['v'], bins: 4, strategy: 'uniform' });
    expect(columnsOf(replaySteps(out, makeTable({ v: [-5, 2.25, 2.2, 99] }), kinds))).toEqual({ v: [0, 1, 0, 3] });
  });

  it('warns when bins merge', async () => {
    const ctx = makeCtx();
    await runKind(binning, makeFrame({ v: [1, 1, 1, 1, 2] }), { columns: ['v'], bins: 4 }, ctx);
    expect(ctx.logs).toEqual([{ message: 'column "v": 3 empty bins merged, 1 left', level: 'warn' }]);
  });

  it('validates params and columns', async () => {
    expect(binning.params.safeParse({ columns: ['v'], bins: 1 }).success).toBe(false);
    expect(binning.params.safeParse({ columns: ['v'], bins: 1001 }).success).toBe(false);
    expect(binning.params.safeParse({ columns: [] }).success).toBe(false);
    const e = await runKind(binning, makeFrame({ v: [1, 2], c: ['a', 'b'] }), { columns: ['c'] }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'c' });
    const e2 = await runKind(binning, makeFrame({ v: [NaN, 2] }, { split: [0, 1] }), { columns: ['v'] }).catch((x: unknown) => x);
    expect((e2 as KilnError).code).toBe('BINNING_EMPTY');
  });
});
