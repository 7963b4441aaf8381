import { describe, expect, it } from 'vitest';
import { parseTable } from './infer';
import { sampleDataSource, sampleIndices } from './sample';

const csv = ['name,mpg,note', ...Array.from({ length: 100 }, (_, i) => `car ${i},${i + 0.5},"has, comma ""q"""`)].join('\n');

describe('sampleIndices', () => {
  it('is seeded, sorted, distinct and of the asked size', () => {
    const a = sampleIndices(1000, 50, 7);
    expect(a).toEqual(sampleIndices(1000, 50, 7));
    expect(a).not.toEqual(sampleIndices(1000, 50, 8));
    expect(new Set(a).size).toBe(50);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
  });
  it('keeps every row when the sample is not smaller', () => {
    expect(sampleIndices(5, 9, 1)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('sampleDataSource', () => {
  it('samples CSV rows, keeping quoting and types', () => {
    const s = sampleDataSource({ name: 'cars.csv', text: csv, format: 'csv' }, 10, 3);
    expect(s).toMatchObject({ sampleRows: 10, totalRows: 100 });
    const t = parseTable(s.source);
    expect(t.nRows).toBe(10);
    expect(t.columns.map((c) => c.type)).toEqual(['categorical', 'numeric', 'categorical']);
    const note = t.columns[2]!;
    expect(note.values[0]).toBe('has, comma "q"');
    expect(sampleDataSource({ name: 'cars.csv', text: csv, format: 'csv' }, 10, 3).source.text).toBe(s.source.text);
  });
  it('samples JSON records and returns small data unchanged', () => {
    const recs = Array.from({ length: 30 }, (_, i) => ({ a: i, b: i % 2 ? 'x' : null }));
    const src = { name: 'r.json', text: JSON.stringify(recs), format: 'json' as const };
    const s = sampleDataSource(src, 5, 1);
    expect(JSON.parse(s.source.text)).toHaveLength(5);
    expect(s.totalRows).toBe(30);
    const all = sampleDataSource(src, 30, 1);
    expect(all.source).toBe(src);
  });
});
