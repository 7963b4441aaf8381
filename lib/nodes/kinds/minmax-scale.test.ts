import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { minmaxScale } from './minmax-scale';

const kinds = { minmax_scale: minmaxScale };

function frame() {
  return makeFrame(
    { a: [2, 4, 6, NaN, 100], k: [3, 3, 3, 3, -50], y: [0, 0, 1, 1, 0] },
    { target: 'y', split: [0, 0, 0, 0, 1] },
  );
}

describe('minmax_scale', () => {
  it('maps the training range to [0, 1]; test rows extrapolate; constant columns map to min', async () => {
    const out = await runKind(minmaxScale, frame(), {});
    expect(columnsOf(out.table)).toEqual({ a: [0, 0.5, 1, NaN, 24.5], k: [0, 0, 0, 0, 0], y: [0, 0, 1, 1, 0] });
    expect(out.steps[0]!.state).toEqual({
      columns: [
        { column: 'a', dataMin: 2, dataMax: 6 },
        { column: 'k', dataMin: 3, dataMax: 3 },
      ],
      min: 0,
      max: 1,
      clip: false,
      reads: ['a', 'k'],
    });
  });

  it('custom range and clipping', async () => {
    const out = await runKind(minmaxScale, frame(), { columns: ['a'], featureRange: [-1, 1], clip: true });
    expect(columnsOf(out.table).a).toEqual([-1, 0, 1, NaN, 1]);
    expect(columnsOf(out.table).k).toEqual([3, 3, 3, 3, -50]);
  });

  it('apply reproduces run', async () => {
    const f = frame();
    const out = await runKind(minmaxScale, f, { featureRange: [-2, 3] });
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    expect(columnsOf(replaySteps(out, makeTable({ a: [5], k: [1] }), kinds))).toEqual({ a: [1.75], k: [-2] });
  });

  it('rejects an empty feature range and unknown columns', async () => {
    const r = minmaxScale.params.safeParse({ featureRange: [1, 1] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['featureRange', 1]);
    const e = await runKind(minmaxScale, frame(), { columns: ['b'] }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'b' });
  });
});
