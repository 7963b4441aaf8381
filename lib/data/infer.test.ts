import { describe, expect, it } from 'vitest';
import { thrownKilnError } from '../test-utils';
import { inferSchema, parseDateValue, parseNumberValue, parseTable, tableFromRecords } from './infer';
import { loadBuiltinDataset } from './node';
import { getColumn, type Column, type NumericColumn, type Table } from './table';

function col(t: Table, name: string): Column {
  const c = getColumn(t, name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

function nums(t: Table, name: string): NumericColumn {
  const c = col(t, name);
  if (c.type === 'categorical') throw new Error(`${name} is categorical`);
  return c;
}

function countNaN(a: Float64Array): number {
  let n = 0;
  for (const v of a) if (Number.isNaN(v)) n++;
  return n;
}

const csv = (text: string, name = 't.csv') => parseTable({ name, text, format: 'csv' });

describe('value parsers', () => {
  it('reads plain decimal numbers only', () => {
    expect(parseNumberValue('-12.5e-3')).toBe(-0.0125);
    expect(parseNumberValue(' .5 ')).toBe(0.5);
    expect(parseNumberValue('+7.')).toBe(7);
    for (const s of ['0x10', 'Infinity', '1,000', '1e', '--1', '12abc', 'e5']) expect(parseNumberValue(s)).toBeUndefined();
    expect(parseNumberValue(true)).toBeUndefined();
  });

  it('reads ISO dates as UTC epoch ms and rejects impossible ones', () => {
    // References: Python datetime(..., tzinfo=...).timestamp() * 1000.
    expect(parseDateValue('1970-01-01')).toBe(0);
    expect(parseDateValue('2012-01-01')).toBe(1325376000000);
    expect(parseDateValue('2020-03-01T12:30:15.25+02:00')).toBe(1583058615250);
    expect(parseDateValue('2020-03-01 10:30:15.250Z')).toBe(1583058615250);
    expect(parseDateValue('0001-01-01')).toBe(-62135596800000);
    for (const s of ['2021-02-30', '2021-13-01', '2021-1-1', 'Jan 1 2000', '2000/01/01', '2021-01-01T25:00', '20210101']) {
      expect(parseDateValue(s)).toBeUndefined();
    }
  });
});

describe('type inference', () => {
  it('infers numeric, boolean, date and categorical columns from CSV text', () => {
    const t = csv('n,b,d,c,e\n-1.5,yes,2020-01-02,a,\n2e3,No,2020-01-03T04:05:06Z,7,NA\nNA,TRUE,,b,\n');
    expect(t.nRows).toBe(3);
    expect(t.columns.map((c) => c.type)).toEqual(['numeric', 'boolean', 'date', 'categorical', 'numeric']);
    expect(Array.from(nums(t, 'n').values)).toEqual([-1.5, 2000, NaN]);
    expect(Array.from(nums(t, 'b').values)).toEqual([1, 0, 1]);
    expect(Array.from(nums(t, 'd').values)).toEqual([Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3, 4, 5, 6), NaN]);
    expect(col(t, 'c').values).toEqual(['a', '7', 'b']);
    expect(countNaN(nums(t, 'e').values)).toBe(3);
  });

  it('treats every missing spelling as missing', () => {
    const t = csv('x,y\n,a\nNA,N/A\nnull,NaN\n1,z\n');
    expect(countNaN(nums(t, 'x').values)).toBe(3);
    expect(col(t, 'y').values).toEqual(['a', null, null, 'z']);
  });

  it('keeps 0/1 columns numeric and mixed columns categorical', () => {
    const t = csv('flag,mix,when\n0,1,2020-01-01\n1,x,2020-01-02\n1,2,soon\n');
    expect(t.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'categorical']);
  });

  it('maps JSON scalars: numbers, booleans, nulls, absent keys', () => {
    const t = tableFromRecords([{ a: 1, b: true, c: 'x' }, { a: null, b: false }, { a: 2.5, c: 3 }]);
    expect(Array.from(nums(t, 'a').values)).toEqual([1, NaN, 2.5]);
    expect(nums(t, 'b').type).toBe('boolean');
    expect(Array.from(nums(t, 'b').values)).toEqual([1, 0, NaN]);
    expect(col(t, 'c')).toEqual({ name: 'c', type: 'categorical', values: ['x', null, '3'] });
  });
});

describe('real vega datasets', () => {
  it('cars.json: 406 rows, nulls in Horsepower and Miles_per_Gallon, Year as date', async () => {
    const t = parseTable(await loadBuiltinDataset('cars'));
    expect(t.nRows).toBe(406);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'categorical'],
      ['Miles_per_Gallon', 'numeric'],
      ['Cylinders', 'numeric'],
      ['Displacement', 'numeric'],
      ['Horsepower', 'numeric'],
      ['Weight_in_lbs', 'numeric'],
      ['Acceleration', 'numeric'],
      ['Year', 'date'],
      ['Origin', 'categorical'],
    ]);
    // Counted with Python's json module: 6 null Horsepower, 8 null Miles_per_Gallon.
    expect(countNaN(nums(t, 'Horsepower').values)).toBe(6);
    expect(countNaN(nums(t, 'Miles_per_Gallon').values)).toBe(8);
    expect(nums(t, 'Horsepower').values[0]).toBe(130);
    expect(nums(t, 'Year').values[0]).toBe(0);
    const schema = inferSchema(t);
    expect(schema.find((c) => c.name === 'Origin')).toEqual({
      name: 'Origin',
      type: 'categorical',
      nullable: false,
      categories: ['USA', 'Japan', 'Europe'],
    });
    expect(schema.find((c) => c.name === 'Horsepower')).toEqual({ name: 'Horsepower', type: 'numeric', nullable: true });
    expect(schema.find((c) => c.name === 'Acceleration')!.nullable).toBe(false);
    expect(inferSchema(t, 2).find((c) => c.name === 'Origin')!.categories).toEqual(['USA', 'Japan']);
  });

  it('penguins.json: missing measurements and sex', async () => {
    const t = parseTable(await loadBuiltinDataset('penguins'));
    expect(t.nRows).toBe(344);
    expect(countNaN(nums(t, 'Body Mass (g)').values)).toBe(2);
    expect(countNaN(nums(t, 'Beak Length (mm)').values)).toBe(2);
    const sex = col(t, 'Sex');
    expect(sex.type).toBe('categorical');
    expect(sex.values.filter((v) => v === null)).toHaveLength(10);
    expect(col(t, 'Species').type).toBe('categorical');
  });

  it('seattle-weather.csv: a date column and numeric readings', async () => {
    const t = parseTable(await loadBuiltinDataset('seattle-weather'));
    expect(t.nRows).toBe(1461);
    expect(t.columns.map((c) => c.type)).toEqual(['date', 'numeric', 'numeric', 'numeric', 'numeric', 'categorical']);
    const date = nums(t, 'date').values;
    expect(date[0]).toBe(1325376000000);
    expect(date[1460]).toBe(1451520000000);
    expect(nums(t, 'temp_min').values[1460]).toBe(-2.1);
  });
});

describe('parsing against a schema', () => {
  const schema = [
    { name: 'Horsepower', type: 'numeric' as const, nullable: true },
    { name: 'Origin', type: 'categorical' as const, nullable: false },
  ];

  it('parses schema columns as their types and infers the rest', () => {
    const t = csv('Origin,Horsepower,Extra\n1,130,x\n2,,y\n', 'cars.csv');
    const t2 = parseTable({ name: 'cars.csv', text: 'Origin,Horsepower,Extra\n1,130,x\n2,,y\n', format: 'csv' }, { schema });
    expect(col(t, 'Origin').type).toBe('numeric');
    expect(col(t2, 'Origin')).toEqual({ name: 'Origin', type: 'categorical', values: ['1', '2'] });
    expect(Array.from(nums(t2, 'Horsepower').values)).toEqual([130, NaN]);
    expect(t2.columns.map((c) => c.name)).toEqual(['Origin', 'Horsepower', 'Extra']);
  });

  it('names the missing schema column', () => {
    const e = thrownKilnError(() => parseTable({ name: 'cars.csv', text: 'Origin,hp\nUSA,1\n', format: 'csv' }, { schema }));
    expect(e.code).toBe('MISSING_COLUMN');
    expect(e.message).toMatch(/^cars\.csv: column "Horsepower" is missing/);
    expect(e.where).toMatchObject({ file: 'cars.csv', column: 'Horsepower' });
  });

  it('names file, row and column of text in a numeric column', () => {
    const lines = ['Origin,Horsepower', ...Array.from({ length: 15 }, () => 'USA,100'), 'USA,abc'];
    const e = thrownKilnError(() => parseTable({ name: 'cars.csv', text: lines.join('\n'), format: 'csv' }, { schema }));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toBe('cars.csv row 17 column "Horsepower": "abc" is not a number');
    expect(e.where).toMatchObject({ file: 'cars.csv', row: 17, column: 'Horsepower' });
  });

  it('names the JSON record of a bad value, and rejects bad booleans and dates', () => {
    const e = thrownKilnError(() =>
      tableFromRecords([{ hp: 1 }, { hp: true }], { name: 'req', schema: [{ name: 'hp', type: 'numeric', nullable: false }] }),
    );
    expect(e.message).toBe('req record [1] column "hp": true is not a number');
    const b = thrownKilnError(() =>
      parseTable({ name: 'b.csv', text: 'ok\ntrue\nmaybe\n', format: 'csv' }, {
        schema: [{ name: 'ok', type: 'boolean', nullable: false }],
      }),
    );
    expect(b.message).toBe('b.csv row 3 column "ok": "maybe" is not a boolean (true/false/yes/no/1/0)');
    const d = thrownKilnError(() =>
      parseTable({ name: 'd.csv', text: 'when\n2020-01-01\n01/02/2020\n', format: 'csv' }, {
        schema: [{ name: 'when', type: 'date', nullable: false }],
      }),
    );
    expect(d.code).toBe('BAD_VALUE');
    expect(d.where.row).toBe(3);
  });

  it('accepts 0/1 for a boolean schema column', () => {
    const t = tableFromRecords([{ ok: 1 }, { ok: 0 }, { ok: 'yes' }], { schema: [{ name: 'ok', type: 'boolean', nullable: false }] });
    expect(Array.from(nums(t, 'ok').values)).toEqual([1, 0, 1]);
  });
});

describe('parseDateValue: the YYYY-MM-DD fast path', () => {
  it('agrees with the general parser on every day, month and year shape (impossible days included)', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (let y = 0; y <= 9999; y += y < 2100 ? 1 : 37) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 32; d++) {
          const s = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          // A leading space skips the fast path: the regex and Date path answers.
          if (parseDateValue(s) !== parseDateValue(` ${s}`)) mismatches.push(s);
          checked++;
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(900_000);
    expect(parseDateValue('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateValue('2023-02-29')).toBeUndefined();
    expect(parseDateValue('2024-0a-01')).toBeUndefined();
  });
});
