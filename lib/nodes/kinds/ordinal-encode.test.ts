import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeCtx, makeFrame, makeTable, replaySteps, runKind } from './test-utils';
import { ordinalEncode } from './ordinal-encode';

const kinds = { ordinal_encode: ordinalEncode };

function frame() {
  return makeFrame(
    { city: ['oslo', 'rome', 'oslo', null, 'lima', 'oslo', 'rome', 'paris'], y: [1, 2, 3, 4, 5, 6, 7, 8] },
    { target: 'y', split: [0, 0, 0, 0, 0, 0, 0, 1] },
  );
}

describe('ordinal_encode', () => {
  it('lexical order; unknown (test-only "paris") and missing get the reserved code K', async () => {
    const out = await runKind(ordinalEncode, frame(), {});
    // training vocabulary: lima, oslo, rome → K = 3
    expect(columnsOf(out.table).city).toEqual([1, 2, 1, 3, 0, 1, 2, 3]);
    expect(out.table.columns[0]!.type).toBe('numeric');
    expect(out.steps[0]).toEqual({
      kind: 'ordinal_encode',
      nodeId: 'n1',
      state: {
        columns: [{ column: 'city', numeric: false, categories: ['lima', 'oslo', 'rome'] }],
        cardinality: { city: 4 },
        reads: ['city'],
      },
    });
  });

  it('frequency order, ties sorted; maxCategories sends rare values to the unknown code', async () => {
    const out = await runKind(ordinalEncode, frame(), { order: 'frequency' });
    expect(columnsOf(out.table).city).toEqual([0, 1, 0, 3, 2, 0, 1, 3]);
    const ctx = makeCtx();
    const capped = await runKind(ordinalEncode, frame(), { order: 'frequency', maxCategories: 2 }, ctx);
    expect(columnsOf(capped.table).city).toEqual([0, 1, 0, 2, 2, 0, 1, 2]);
    expect((capped.steps[0]!.state as { cardinality: Record<string, number> }).cardinality).toEqual({ city: 3 });
    expect(ctx.logs[0]!.level).toBe('warn');
  });

  it('apply reproduces run; serving maps unseen values to the unknown code', async () => {
    const f = frame();
    const out = await runKind(ordinalEncode, f, {});
    expect(columnsOf(replaySteps(out, f.table, kinds))).toEqual(columnsOf(out.table));
    expect(columnsOf(replaySteps(out, makeTable({ city: ['rome', 'tokyo', null] }), kinds))).toEqual({ city: [2, 3, 3] });
  });

  it('encodes named numeric columns, and a column literally named __proto__', async () => {
    const f = makeFrame(JSON.parse('{"__proto__":["b","a"],"k":[10,5]}') as Record<string, string[] | number[]>);
    const out = await runKind(ordinalEncode, f, { columns: ['__proto__', 'k'] });
    expect(columnsOf(out.table)).toEqual(JSON.parse('{"__proto__":[1,0],"k":[1,0]}'));
    const state = JSON.parse(JSON.stringify(out.steps[0]!.state)) as { cardinality: Record<string, number> };
    expect(Object.keys(state.cardinality)).toEqual(['__proto__', 'k']);
  });

  it('fails on unknown columns and on the target', async () => {
    const e = await runKind(ordinalEncode, frame(), { columns: ['town'] }).catch((x: unknown) => x);
    expect((e as KilnError).where).toEqual({ nodeId: 'n1', param: 'columns', column: 'town' });
    const t = await runKind(ordinalEncode, frame(), { columns: ['y'] }).catch((x: unknown) => x);
    expect((t as KilnError).code).toBe('TARGET_COLUMN');
  });
});
