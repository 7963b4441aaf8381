import { describe, expect, it } from 'vitest';
import type { ColumnSchema } from '../data/table';
import { thrownKilnError } from '../test-utils';
import { describeValue, recordsToTable } from './records';

const schema: ColumnSchema[] = [
  { name: 'n', type: 'numeric', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 'd', type: 'date', nullable: true },
  { name: 'c', type: 'categorical', nullable: true },
];

describe('recordsToTable', () => {
  it('converts each field type, null as missing, in schema order', () => {
    const t = recordsToTable(
      [
        { c: 'x', d: '2024-01-02', b: true, n: 1.5, extra: [1, 2], target: 3 },
        { n: null, b: false, d: 86_400_000, c: 7 },
        { n: -2, b: null, d: null, c: null },
        { n: 0, b: true, d: '2024-01-02T03:04:05+01:00', c: false },
      ],
      schema,
    );
    expect(t.nRows).toBe(4);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ['n', 'numeric'],
      ['b', 'boolean'],
      ['d', 'date'],
      ['c', 'categorical'],
    ]);
    expect(Array.from(t.columns[0]!.values as Float64Array)).toEqual([1.5, NaN, -2, 0]);
    expect(Array.from(t.columns[1]!.values as Float64Array)).toEqual([1, 0, NaN, 1]);
    expect(Array.from(t.columns[2]!.values as Float64Array)).toEqual([Date.UTC(2024, 0, 2), 86_400_000, NaN, Date.UTC(2024, 0, 2, 2, 4, 5)]);
    expect(t.columns[3]!.values).toEqual(['x', '7', null, 'false']);
  });

  it('accepts an empty request', () => {
    const t = recordsToTable([], schema);
    expect(t.nRows).toBe(0);
    expect(t.columns).toHaveLength(4);
  });

  it('names the record and the missing field', () => {
    const e = thrownKilnError(() => recordsToTable([{ n: 1, b: true, d: 0, c: 'x' }, { n: 1, b: true, c: 'x' }], schema));
    expect(e.code).toBe('INVALID_RECORD');
    expect(e.message).toBe('record 1: missing field "d"');
    expect(e.where).toMatchObject({ row: 1, column: 'd' });
  });

  it('rejects values of the wrong type, naming record, field and value', () => {
    const base = { n: 1, b: true, d: 0, c: 'x' };
    const cases: [Record<string, unknown>, string][] = [
      [{ n: '12' }, 'record 0 field "n": expected number, got string "12"'],
      [{ n: true }, 'record 0 field "n": expected number, got boolean true'],
      [{ b: 1 }, 'record 0 field "b": expected boolean (true or false), got number 1'],
      [{ b: 'yes' }, 'field "b": expected boolean'],
      [{ d: '2024-02-30' }, 'record 0 field "d": expected date'],
      [{ d: 'yesterday' }, 'got string "yesterday"'],
      [{ c: { a: 1 } }, 'record 0 field "c": expected string, got object'],
      [{ c: [1] }, 'expected string, got array'],
    ];
    for (const [over, msg] of cases) {
      const e = thrownKilnError(() => recordsToTable([{ ...base, ...over }], schema));
      expect(e.code).toBe('INVALID_RECORD');
      expect(e.message).toContain(msg);
    }
  });

  it('rejects non-object records and non-array requests', () => {
    expect(thrownKilnError(() => recordsToTable([null], schema)).message).toBe('record 0: expected an object, got null');
    expect(thrownKilnError(() => recordsToTable([{ n: 1, b: true, d: 0, c: 'x' }, [1, 2]], schema)).message).toBe('record 1: expected an object, got array');
    expect(thrownKilnError(() => recordsToTable([42], schema)).message).toBe('record 0: expected an object, got number 42');
    const e = thrownKilnError(() => recordsToTable({ n: 1 }, schema));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toContain('expected an array of objects, got object');
  });

  it('does not read inherited properties as fields', () => {
    const rec = Object.create({ n: 1 }) as Record<string, unknown>;
    Object.assign(rec, { b: true, d: 0, c: 'x' });
    expect(thrownKilnError(() => recordsToTable([rec], schema)).message).toBe('record 0: missing field "n"');
  });

  it('caps the number of records', () => {
    const recs = Array.from({ length: 11 }, () => ({ n: 1, b: true, d: 0, c: 'x' }));
    expect(recordsToTable(recs, schema, { maxRecords: 11 }).nRows).toBe(11);
    const e = thrownKilnError(() => recordsToTable(recs, schema, { maxRecords: 10 }));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toContain('11 records is more than the 10 allowed');
  });

  it('describes values briefly', () => {
    expect(describeValue('a'.repeat(100))).toBe(`string "${'a'.repeat(40)}…"`);
    expect(describeValue(undefined)).toBe('undefined');
  });
});
