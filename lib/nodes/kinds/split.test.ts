import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { makeCtx, makeFrame, makeTable, runKind } from './test-utils';
import { split, splitRows } from './split';

function frame(n = 10) {
  return makeFrame(
    { x: Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, (_, i) => (i < n * 0.7 ? 'a' : 'b')) },
    { target: 'y' },
  );
}

const ones = (s: Uint8Array): number[] => [...s.keys()].filter((i) => s[i] === 1);

describe('split', () => {
  it('marks ceil(n × testFraction) test rows, seeded and reproducible, recording no step', async () => {
    const input = frame();
    const a = await runKind(split, input, { testFraction: 0.25, seed: 7 });
    const b = await runKind(split, frame(), { testFraction: 0.25, seed: 7 });
    const c = await runKind(split, frame(), { testFraction: 0.25, seed: 8 });
    expect(ones(a.split!)).toHaveLength(3);
    expect(ones(a.split!)).toEqual(ones(b.split!));
    expect(ones(a.split!)).not.toEqual(ones(c.split!));
    expect(a.steps).toEqual([]);
    expect(a.table).toBe(input.table); // rows are marked, not moved
  });

  it('uses the context seed when no seed param is given', async () => {
    const a = await runKind(split, frame(50), {}, makeCtx('s', { seed: 1 }));
    const b = await runKind(split, frame(50), {}, makeCtx('s', { seed: 1 }));
    const c = await runKind(split, frame(50), {}, makeCtx('s', { seed: 2 }));
    expect(ones(a.split!)).toEqual(ones(b.split!));
    expect(ones(a.split!)).not.toEqual(ones(c.split!));
    expect(ones(a.split!)).toHaveLength(10);
  });

  it('without shuffle the last rows are the test rows', async () => {
    const out = await runKind(split, frame(), { testFraction: 0.3, shuffle: false });
    expect(Array.from(out.split!)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it('stratifies by the target with proportional allocation', async () => {
    const f = makeFrame({ y: [...Array(60).fill('a'), ...Array(30).fill('b'), ...Array(10).fill('c')] }, { target: 'y' });
    const out = await runKind(split, f, { testFraction: 0.25, stratify: true, seed: 3 });
    const test = ones(out.split!);
    expect(test).toHaveLength(25);
    const count = (lo: number, hi: number) => test.filter((i) => i >= lo && i < hi).length;
    // quotas 15, 7.5, 2.5 → floors 15, 7, 2 (24); the one extra row goes to the largest remainder, b before c on ties
    expect([count(0, 60), count(60, 90), count(90, 100)]).toEqual([15, 8, 2]);
  });

  it('splitRows: largest remainders get the extra rows', () => {
    const groups = ['a', 'a', 'a', 'b', 'b', 'c'];
    const s = splitRows(6, 3, { shuffle: false, seed: 1, groups });
    // quotas a 1.5, b 1, c 0.5 → floors 1, 1, 0; one extra → a (remainder .5, ties by class order)
    expect(Array.from(s)).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it('keeps every row for training when an external test table is set', async () => {
    const ctx = makeCtx('s', { testData: makeTable({ x: [1, 2] }) });
    const out = await runKind(split, frame(), {}, ctx);
    expect(Array.from(out.split!)).toEqual(new Array(10).fill(0));
    expect(ctx.logs[0]!.message).toBe('an external test table (2 rows) is set: all 10 rows are training rows');
  });

  it('fails when a part would be empty, naming node and param', async () => {
    const e = await runKind(split, frame(1), { testFraction: 0.5 }).catch((x: unknown) => x);
    expect((e as KilnError).code).toBe('SPLIT_EMPTY');
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'testFraction' });
    expect(split.params.safeParse({ testFraction: 0 }).success).toBe(false);
    expect(split.params.safeParse({ testFraction: 1 }).success).toBe(false);
    expect(split.params.safeParse({ seed: 1.5 }).success).toBe(false);
  });

  it('stratify needs a classification target', async () => {
    const noTarget = makeFrame({ x: [1, 2, 3, 4] });
    const e1 = await runKind(split, noTarget, { stratify: true }).catch((x: unknown) => x);
    expect((e1 as KilnError).where).toEqual({ nodeId: 'n1', param: 'stratify' });
    const continuous = makeFrame({ y: [1.5, 2.5, 3.5, 4.5, 5.5] }, { target: 'y' });
    const e2 = await runKind(split, continuous, { stratify: true }).catch((x: unknown) => x);
    expect((e2 as KilnError).message).toContain('target "y" has 5 distinct values in 5 rows');
  });
});
