import { describe, expect, it } from 'vitest';
import { KilnError } from '../../errors';
import { columnsOf, makeCtx, makeFrame, runKind } from './test-utils';
import { filterRows } from './filter-rows';

function frame() {
  return makeFrame(
    { age: [10, 20, NaN, 40, 50], 'home town': ['a', 'b', 'c', null, 'a'], y: [1, 2, 3, 4, 5] },
    { target: 'y', split: [0, 1, 0, 1, 0] },
  );
}

async function fail(params: Record<string, unknown>): Promise<KilnError> {
  const e = await runKind(filterRows, frame(), params).catch((x: unknown) => x);
  if (!(e instanceof KilnError)) throw new Error(`expected KilnError, got ${String(e)}`);
  return e;
}

describe('filter_rows', () => {
  it('keeps matching rows and filters the split along with them, recording no step', async () => {
    const ctx = makeCtx();
    const out = await runKind(filterRows, frame(), { expr: "age >= 20 or `home town` == 'a'" }, ctx);
    expect(columnsOf(out.table)).toEqual({ age: [10, 20, 40, 50], 'home town': ['a', 'b', null, 'a'], y: [1, 2, 4, 5] });
    expect(Array.from(out.split!)).toEqual([0, 1, 1, 0]);
    expect(out.steps).toEqual([]);
    expect(out.inputSchema).toEqual(frame().inputSchema);
    expect(ctx.logs[0]!.message).toBe('kept 4 of 5 rows');
  });

  it('may filter on the target and on missing values', async () => {
    const out = await runKind(filterRows, makeFrame({ x: [1, NaN, 3], y: [1, 2, 3] }, { target: 'y' }), {
      expr: 'x is not null and y != 3',
    });
    expect(columnsOf(out.table)).toEqual({ x: [1], y: [1] });
    expect(out.split).toBeUndefined();
  });

  it('reports parse errors with node, param and position', async () => {
    const e = await fail({ expr: 'age >> 3' });
    expect(e.code).toBe('FILTER_EXPR');
    expect(e.message).toBe('node "n1" param "expr": expected a value, found ">" at position 6');
    expect(e.where).toEqual({ nodeId: 'n1', param: 'expr' });
  });

  it('names unknown columns', async () => {
    const e = await fail({ expr: 'height > 3' });
    expect(e.where).toEqual({ nodeId: 'n1', param: 'expr', column: 'height' });
    expect(e.message).toContain('node "n1" param "expr": unknown column "height" at position 1');
    expect((await fail({ expr: 'home town == 1' })).message).toBe(
      'node "n1" param "expr": unexpected "town" at position 6; write names with spaces in back-ticks: `home town`',
    );
  });

  it('fails cleanly on hostile expressions', async () => {
    expect((await fail({ expr: 'constructor.name == 1' })).message).toContain('unexpected character "."');
    expect((await fail({ expr: '__proto__ is null' })).where.column).toBe('__proto__');
    expect((await fail({ expr: '('.repeat(3000) + 'age>1' + ')'.repeat(3000) })).message).toContain('nested too deeply');
    expect((await fail({ expr: 'x'.repeat(100_000) })).message).toContain('expression is too long');
  });

  it('fails when nothing is left', async () => {
    const e = await fail({ expr: 'age > 1000' });
    expect(e.code).toBe('FILTER_EMPTY');
    expect(e.message).toBe('node "n1" param "expr": the condition keeps none of the 5 rows');
  });

  it('rejects an empty expression in the params schema', () => {
    expect(filterRows.params.safeParse({ expr: '' }).success).toBe(false);
  });
});
