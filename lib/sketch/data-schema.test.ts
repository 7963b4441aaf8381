import { describe, expect, it } from 'vitest';
import { tableFromRecords } from '../data/infer';
import { createRecordChecker, validateSketch } from './anomalies';
import { fromJsonSchema, inferDataSchema, parseDataSchema, toJsonSchema } from './data-schema';
import { RecordSketcher, sketchTable } from './table-sketch';

const train = Array.from({ length: 400 }, (_, i) => ({
  hp: 50 + (i % 150),
  origin: ['USA', 'Japan', 'Europe'][i % 3],
  mpg: i % 10 === 0 ? null : 10 + (i % 30),
  year: `19${70 + (i % 12)}-01-01`,
}));
const schemaCols = [
  { name: 'hp', type: 'numeric' as const, nullable: true },
  { name: 'origin', type: 'categorical' as const, nullable: true },
  { name: 'mpg', type: 'numeric' as const, nullable: true },
  { name: 'year', type: 'date' as const, nullable: true },
];
const trainSketch = sketchTable(tableFromRecords(train, { schema: schemaCols }));
const schema = inferDataSchema(trainSketch);

function sketchOf(records: Record<string, unknown>[]) {
  const r = new RecordSketcher(schemaCols);
  for (const rec of records) r.add(rec);
  return r.sketch();
}

describe('inferred data schema', () => {
  it('records types, ranges, domains and missing rates', () => {
    const by = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
    expect(by.hp).toEqual({ name: 'hp', type: 'numeric', required: true, nullable: false, maxMissingRate: 0, min: 50, max: 199 });
    expect(by.origin!.categories).toEqual(['Europe', 'Japan', 'USA']);
    expect(by.mpg!.nullable).toBe(true);
    expect(by.mpg!.maxMissingRate).toBeCloseTo(0.1 + 0.05, 12); // observed 10 % + slack
    expect(by.year).toMatchObject({ type: 'date', min: Date.UTC(1970, 0, 1), max: Date.UTC(1981, 0, 1) });
  });

  it('finds no anomaly in data like the training data', () => {
    expect(validateSketch(schema, sketchOf(train.filter((_, i) => i % 7 !== 0)), { training: trainSketch })).toEqual([]);
  });

  it('names the column, the constraint and the observed value of each anomaly', () => {
    const bad = train.slice(0, 300).map((r, i) => ({
      ...r,
      hp: i === 0 ? 250 : i === 1 ? 'fast' : r.hp + 60,
      origin: i % 3 === 2 ? 'Mars' : r.origin,
      mpg: i % 2 ? null : r.mpg,
      color: 'red',
      year: undefined,
    }));
    const found = validateSketch(schema, sketchOf(bad), { training: trainSketch });
    const by = (code: string, column: string) => found.find((a) => a.code === code && a.column === column);
    expect(by('OUT_OF_RANGE', 'hp')).toMatchObject({ constraint: 'range [50, 199]', observed: expect.stringMatching(/^max 259 \(\d+ value\(s\) outside\)$/) });
    expect(by('TYPE_MISMATCH', 'hp')).toMatchObject({ observed: '1 value(s) that are not numeric' });
    expect(by('UNKNOWN_CATEGORY', 'origin')).toMatchObject({ constraint: 'domain of 3 categories', observed: '"Mars" (100)' });
    expect(by('MISSING_RATE_HIGH', 'mpg')).toMatchObject({ constraint: 'missing rate ≤ 0.15' });
    expect(by('MISSING_RATE_HIGH', 'year')?.message).toBe('MISSING_RATE_HIGH column "year": expected no missing values, observed 1 (300 of 300)');
    // hp moved by +60 over 300 rows: the training reference (400 rows ≤ 1,000) uses KS
    expect(by('SKEW', 'hp')).toMatchObject({ drift: { method: 'ks', drifted: true } });
    expect(by('SKEW', 'origin')).toMatchObject({ drift: { method: 'chisquare' } });
    const withNew = validateSketch(schema, { ...sketchOf(bad), columns: [...sketchOf(bad).columns, sketchTable(tableFromRecords([{ color: 'red' }])).columns[0]!] });
    expect(withNew.find((a) => a.code === 'SCHEMA_NEW_COLUMN')).toMatchObject({ column: 'color' });
    const noYear = { ...trainSketch, columns: trainSketch.columns.filter((c) => c.name !== 'year') };
    expect(validateSketch(schema, noYear)).toEqual([expect.objectContaining({ code: 'SCHEMA_MISSING_COLUMN', column: 'year', observed: 'absent' })]);
    expect(validateSketch(schema, noYear, { previous: sketchOf(bad) }).map((a) => a.code)).toContain('DRIFT');
  });

  it('round-trips through JSON Schema 2020-12 and reads an edited one (relaxed range, added category, optional column)', () => {
    const js = toJsonSchema(schema) as { $schema: string; properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(js.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(js.properties.hp).toMatchObject({ type: 'number', minimum: 50, maximum: 199 });
    expect(js.properties.origin).toMatchObject({ type: 'string', enum: ['Europe', 'Japan', 'USA'] });
    expect(js.properties.mpg!.type).toEqual(['number', 'null']);
    expect(fromJsonSchema(JSON.parse(JSON.stringify(js)))).toEqual(schema);
    js.properties.hp!.maximum = 300;
    (js.properties.origin!.enum as string[]).push('Mars');
    js.required = js.required.filter((r) => r !== 'year');
    const edited = fromJsonSchema(js);
    const check = createRecordChecker(edited);
    expect(check({ hp: 250, origin: 'Mars', mpg: 20 })).toEqual([]);
    expect(createRecordChecker(schema)({ hp: 250, origin: 'Mars', mpg: 20 }).map((a) => a.code)).toEqual(['OUT_OF_RANGE', 'UNKNOWN_CATEGORY', 'SCHEMA_MISSING_COLUMN']);
  });

  it('rejects a malformed schema naming the path', () => {
    expect(() => fromJsonSchema({ type: 'object', properties: { hp: { type: 'array' } } })).toThrow(/schema at properties.hp.type: expected one of number/);
    expect(() => fromJsonSchema({ properties: { hp: { type: 'number', minimum: 5, maximum: 1 } } })).toThrow(/properties.hp.minimum: 5 is above maximum 1/);
    expect(() => fromJsonSchema({ properties: { hp: { type: 'number', enum: ['a'] } } })).toThrow(/needs a categorical column, "hp" is numeric/);
    expect(() => fromJsonSchema({ properties: {}, required: ['x'] })).toThrow(/schema at required: "x" is not among properties/);
    expect(() => parseDataSchema({ version: 1, columns: [{ name: 'a', type: 'numeric', required: true, nullable: false, maxMissingRate: 2 }] })).toThrow(/schema at columns.0.maxMissingRate/);
  });
});

describe('per-record checker', () => {
  const check = createRecordChecker(schema);

  it('returns one shared empty array for clean records and the soft anomalies otherwise', () => {
    const clean = { hp: 100, origin: 'USA', mpg: null, year: '1975-01-01' };
    expect(check(clean)).toBe(check({ ...clean, hp: '120' }));
    expect(check(clean)).toHaveLength(0);
    expect(check({ hp: null, origin: 'Atlantis', mpg: 'x', year: '1990-01-01', extra: 1 })).toEqual([
      { code: 'MISSING_VALUE', column: 'hp' },
      { code: 'UNKNOWN_CATEGORY', column: 'origin' },
      { code: 'TYPE_MISMATCH', column: 'mpg' },
      { code: 'OUT_OF_RANGE', column: 'year' },
      { code: 'SCHEMA_NEW_COLUMN', column: 'extra' },
    ]);
  });

  it('checks 200,000 records (dates parsed, categories looked up) in well under a second', () => {
    const rec = { hp: 100, origin: 'USA', mpg: 20, year: '1975-01-01' };
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < 200_000; i++) n += check(rec).length;
    expect(n).toBe(0);
    expect(performance.now() - t0).toBeLessThan(800);
  });
});
