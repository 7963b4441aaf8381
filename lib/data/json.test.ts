import { describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { parseJsonRecords, recordsToRaw } from './json';

function errOf(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError');
}

describe('parseJsonRecords', () => {
  it('takes the union of keys in first-seen order; absent keys are missing', () => {
    const raw = parseJsonRecords('[{"a":1,"b":"x"},{"c":true,"a":2},{"b":null,"d":{"k":1}}]', 'r.json');
    expect(raw.header).toEqual(['a', 'b', 'c', 'd']);
    expect(raw.rows).toEqual([
      [1, 'x', undefined, undefined],
      [2, undefined, true, undefined],
      [undefined, null, undefined, '{"k":1}'],
    ]);
  });

  it('rejects invalid JSON, naming the file', () => {
    const e = errOf(() => parseJsonRecords('[{"a":1},', 'bad.json'));
    expect(e.code).toBe('BAD_JSON');
    expect(e.message).toMatch(/^bad\.json: invalid JSON \(/);
    expect(e.message).not.toContain('\n');
  });

  it('rejects a non-array top level', () => {
    const e = errOf(() => parseJsonRecords('{"a":[1,2]}', 'obj.json'));
    expect(e.code).toBe('NOT_ARRAY');
    expect(e.message).toBe('obj.json: expected a JSON array of records, got an object');
  });

  it('names the record that is not an object', () => {
    const e = errOf(() => parseJsonRecords('[{"a":1},{"a":2},3]', 'mixed.json'));
    expect(e.code).toBe('BAD_RECORD');
    expect(e.message).toBe('mixed.json record [2]: expected an object, got a number');
    expect(errOf(() => recordsToRaw([{ a: 1 }, [1]], 'req')).message).toBe('req record [1]: expected an object, got an array');
    expect(errOf(() => recordsToRaw([null], 'req')).message).toBe('req record [0]: expected an object, got null');
  });

  it('rejects empty input', () => {
    expect(errOf(() => parseJsonRecords('', 'e.json')).code).toBe('EMPTY_FILE');
    expect(errOf(() => parseJsonRecords('[]', 'e.json')).code).toBe('NO_ROWS');
    expect(errOf(() => parseJsonRecords('[{},{}]', 'e.json')).code).toBe('NO_COLUMNS');
  });
});
