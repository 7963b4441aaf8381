/** `kiln feedback`'s file reading: the id and target columns, numbers vs labels, and bad rows named by file and row. */
import { describe, expect, it } from 'vitest';
import { readFeedbackFile } from './monitor';

describe('readFeedbackFile', () => {
  it('reads id + the one other column from CSV, numbers as numbers', () => {
    expect(readFeedbackFile('id,Miles_per_Gallon\nabc/0,18.5\nabc/1,-2e1\n', 'labels.csv')).toEqual([
      { id: 'abc/0', actual: 18.5 },
      { id: 'abc/1', actual: -20 },
    ]);
  });
  it('prefers an "actual" column, takes --target, keeps labels as text (JSON too)', () => {
    expect(readFeedbackFile('id,actual,note\n1,yes,x\n', 'l.csv')).toEqual([{ id: '1', actual: 'yes' }]);
    expect(readFeedbackFile('id,a,b\n1,2,3\n', 'l.csv', 'b')).toEqual([{ id: '1', actual: 3 }]);
    expect(readFeedbackFile('[{"id":"p1","species":"Adelie"},{"id":7,"species":"Gentoo"}]', 'l.json')).toEqual([
      { id: 'p1', actual: 'Adelie' },
      { id: '7', actual: 'Gentoo' },
    ]);
  });
  it('names the file, the row and the column of what is wrong', () => {
    expect(() => readFeedbackFile('pid,y\n1,2\n', 'l.csv')).toThrow('l.csv: no "id" column (columns: pid, y)');
    expect(() => readFeedbackFile('id,a,b\n1,2,3\n', 'l.csv')).toThrow(/l.csv: which column is the actual outcome\? Give --target \(columns besides id: a, b\)/);
    expect(() => readFeedbackFile('id,y\n1,2\n2,\n', 'l.csv')).toThrow('l.csv row 3: "y" is empty');
    expect(() => readFeedbackFile('id,y\n1,2\n', 'l.csv', 'z')).toThrow('l.csv: no column "z"');
  });
});
