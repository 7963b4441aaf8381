import { describe, expect, it } from 'vitest';
import { thrownKilnError } from '../test-utils';
import { parseCsv } from './csv';

describe('parseCsv', () => {
  it('parses quoted fields with commas, doubled quotes and line breaks', () => {
    const raw = parseCsv('name,note\n"Smith, J","said ""hi""\nthen left"\nb,c\n', 'q.csv');
    expect(raw.header).toEqual(['name', 'note']);
    expect(raw.rows).toEqual([
      ['Smith, J', 'said "hi"\nthen left'],
      ['b', 'c'],
    ]);
  });

  it('handles CRLF, a BOM and a trailing newline', () => {
    const raw = parseCsv('\ufeffa,b\r\n1,2\r\n3,4\r\n', 'w.csv');
    expect(raw.header).toEqual(['a', 'b']);
    expect(raw.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(Array.from(raw.rowNumbers!)).toEqual([2, 3]);
  });

  it('skips blank lines but keeps file row numbers', () => {
    const raw = parseCsv('a,b\n\n1,2\n\n3,4\n\n', 'b.csv');
    expect(raw.rows).toHaveLength(2);
    expect(Array.from(raw.rowNumbers!)).toEqual([3, 5]);
  });

  it('sniffs a semicolon delimiter when the header has no comma', () => {
    const raw = parseCsv('a;b\n1,5;2\n', 'eu.csv');
    expect(raw.header).toEqual(['a', 'b']);
    expect(raw.rows[0]).toEqual(['1,5', '2']);
  });

  it('rejects an empty file', () => {
    for (const text of ['', '\n\n', '\ufeff', '   ']) {
      const e = thrownKilnError(() => parseCsv(text, 'e.csv'));
      expect(e.code).toBe('EMPTY_FILE');
      expect(e.message).toContain('e.csv');
    }
  });

  it('rejects a header with no rows', () => {
    const e = thrownKilnError(() => parseCsv('a,b,c\n\n', 'h.csv'));
    expect(e.code).toBe('NO_ROWS');
    expect(e.message).toBe('h.csv: the file has a header but no data rows');
  });

  it('names the ragged row, counting the header as row 1', () => {
    const header = 'a,b,c,d,e,f,g,h,i';
    const good = '1,2,3,4,5,6,7,8,9';
    const lines = [header, ...Array.from({ length: 10 }, () => good), '1,2,3,4,5', good];
    const e = thrownKilnError(() => parseCsv(lines.join('\n'), 'cars.csv'));
    expect(e.code).toBe('RAGGED_ROW');
    expect(e.message).toBe('cars.csv row 12: 5 fields, expected 9');
    expect(e.where).toMatchObject({ file: 'cars.csv', row: 12 });
    expect(thrownKilnError(() => parseCsv('a,b\n1,2,3\n', 'x.csv')).message).toBe('x.csv row 2: 3 fields, expected 2');
  });

  it('rejects duplicate and empty header names', () => {
    const dup = thrownKilnError(() => parseCsv('a,b,a\n1,2,3\n', 'd.csv'));
    expect(dup.code).toBe('DUPLICATE_COLUMN');
    expect(dup.message).toBe('d.csv row 1: column name "a" appears twice (columns 1 and 3)');
    const empty = thrownKilnError(() => parseCsv('a,,c\n1,2,3\n', 'n.csv'));
    expect(empty.code).toBe('EMPTY_COLUMN_NAME');
    expect(empty.message).toBe('n.csv row 1: column 2 has an empty name');
  });

  it('rejects an unterminated quote', () => {
    const e = thrownKilnError(() => parseCsv('a,b\n1,2\n3,"4\n5,6\n', 'u.csv'));
    expect(e.code).toBe('BAD_CSV');
    expect(e.message).toMatch(/^u\.csv row 3: /);
  });
});
